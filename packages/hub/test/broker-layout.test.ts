/**
 * The dependency rules of packages/hub/src/brokers, so engines stay in their own rooms: each engine's
 * client library is imported only inside that engine's folder; engine folders import their own
 * files, the broker interface, brokers/shared and src/util — nothing else of the hub; shared/
 * imports no engine; the rest of the hub knows only broker.ts and create-broker.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src");
const ENGINES = {
  sqlite: /^better-sqlite3$/,
  redis: /^(ioredis|cluster-key-slot)$/,
  nats: /^@nats-io\//,
} as const;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Static `from "…"`, side-effect `import "…"` and dynamic `import("…")` specifiers. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found = text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm);
  return [...found].map((m) => m[1] ?? "");
}

/** Path below src/ with forward slashes, for a relative specifier; null for a package. */
function target(file: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  return relative(src, resolve(dirname(file), specifier))
    .split(sep)
    .join("/");
}

const files = sources(src).map((file) => ({
  file,
  path: relative(src, file).split(sep).join("/"),
  imports: importsOf(file),
}));

describe("broker layout", () => {
  it("finds the engine folders and their imports", () => {
    for (const engine of Object.keys(ENGINES)) {
      expect(files.some((f) => f.path.startsWith(`brokers/${engine}/`))).toBe(true);
    }
    // The parser must see the engine clients, or every rule below would pass vacuously.
    for (const [engine, client] of Object.entries(ENGINES)) {
      const inFolder = files.filter((f) => f.path.startsWith(`brokers/${engine}/`));
      expect(inFolder.some((f) => f.imports.some((s) => client.test(s)))).toBe(true);
    }
  });

  it("imports each engine's client library only inside its folder", () => {
    const stray = files.flatMap(({ path, imports }) =>
      Object.entries(ENGINES).flatMap(([engine, client]) =>
        imports
          .filter((s) => client.test(s) && !path.startsWith(`brokers/${engine}/`))
          .map((s) => `${path}: ${s}`),
      ),
    );
    expect(stray).toEqual([]);
  });

  it("keeps engine folders to themselves, the interface, shared/ and util/", () => {
    const stray = files.flatMap(({ file, path, imports }) => {
      const engine = Object.keys(ENGINES).find((e) => path.startsWith(`brokers/${e}/`));
      if (!engine) return [];
      return imports
        .map((s) => [s, target(file, s)] as const)
        .filter(([, t]) => t !== null)
        .filter(
          ([, t]) =>
            !t?.startsWith(`brokers/${engine}/`) &&
            !t?.startsWith("brokers/shared/") &&
            !t?.startsWith("util/") &&
            t !== "brokers/broker.js",
        )
        .map(([s]) => `${path}: ${s}`);
    });
    expect(stray).toEqual([]);
  });

  it("keeps shared/ free of engines and of the rest of the hub", () => {
    const stray = files
      .filter((f) => f.path.startsWith("brokers/shared/"))
      .flatMap(({ file, path, imports }) =>
        imports
          .filter((s) => {
            const t = target(file, s);
            if (t === null) return Object.values(ENGINES).some((client) => client.test(s));
            return !t.startsWith("brokers/shared/") && t !== "brokers/broker.js";
          })
          .map((s) => `${path}: ${s}`),
      );
    expect(stray).toEqual([]);
  });

  it("lets the rest of the hub reach brokers only through broker.ts and create-broker.ts", () => {
    const stray = files
      .filter((f) => !f.path.startsWith("brokers/"))
      .flatMap(({ file, path, imports }) =>
        imports
          .filter((s) => {
            const t = target(file, s);
            return t?.startsWith("brokers/") && t !== "brokers/broker.js" && t !== "brokers/create-broker.js";
          })
          .map((s) => `${path}: ${s}`),
      );
    expect(stray).toEqual([]);
  });
});
