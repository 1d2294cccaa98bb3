/**
 * The publishable packages as a consumer gets them: `npm pack` each, check what the tarball
 * ships, install the tarballs into an empty project, then use them from Node (a real hub
 * connection), from TypeScript (types through the `exports` map) and from a browser build (Vite).
 * Needs built dist/ folders (`npx tsc -b`); packs with --ignore-scripts so it never rebuilds.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { RunningHub } from "@switchboard/hub";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hub, removeTempDirs } from "./helpers/hub.js";

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const noBrowser = !existsSync(CHROMIUM) && process.env.CI !== "true";
const repo = fileURLToPath(new URL("../../..", import.meta.url));
const require = createRequire(import.meta.url);

interface PackedPackage {
  /** Folder under packages/. */
  dir: string;
  /** What a consumer's entry module imports from it (checked in Node and in the browser build). */
  imports: string[];
}

/** Every publishable package; a new one is one more line here. */
const PACKAGES: PackedPackage[] = [
  { dir: "protocol", imports: ["encodeFrame", "PROTOCOL_VERSION", "ErrorCode"] },
  { dir: "client", imports: ["getSharedClient", "createClient", "switchboardShared", "SwitchboardError"] },
  {
    dir: "react",
    imports: [
      "SwitchboardProvider",
      "useClient",
      "useChannel",
      "usePublish",
      "usePresence",
      "useConnectionState",
    ],
  },
];

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports: Record<string, { types?: string; default?: string } | string>;
  files: string[];
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
interface PackResult {
  filename: string;
  files: { path: string }[];
}

const manifests = new Map<string, Manifest>();
const packed = new Map<string, PackResult>();
let project: string;
let running: RunningHub;

const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(join(repo, "packages", dir, "package.json"), "utf8")) as Manifest;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "sb-pack-install-"));
  for (const pkg of PACKAGES) {
    manifests.set(pkg.dir, manifestOf(pkg.dir));
    const { stdout } = await run(
      "npm",
      ["pack", "--json", "--ignore-scripts", "--pack-destination", project],
      { cwd: join(repo, "packages", pkg.dir) },
    );
    const [result] = JSON.parse(stdout) as PackResult[];
    if (!result) throw new Error(`npm pack gave no result for ${pkg.dir}`);
    packed.set(pkg.dir, result);
  }
  const dependencies = Object.fromEntries(
    PACKAGES.map((pkg) => [manifests.get(pkg.dir)?.name, `file:./${packed.get(pkg.dir)?.filename}`]),
  );
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module", dependencies }),
  );
  // The tarballs are local; peers (react) come from the npm cache when it has them.
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
    cwd: project,
  });
  running = await hub();
}, 180_000);

afterAll(async () => {
  await running?.close();
  rmSync(project, { recursive: true, force: true });
  removeTempDirs();
});

describe.each(PACKAGES)("the $dir tarball", (pkg) => {
  it("is publishable: not private, ESM + types exports, engines, a README", () => {
    const manifest = manifests.get(pkg.dir) as Manifest;
    expect(manifest.private).toBeUndefined();
    expect(manifest.engines?.node).toMatch(/^>=\d+/);
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === "./package.json") continue;
      expect(target).toMatchObject({ types: expect.stringMatching(/\.d\.ts$/), default: expect.any(String) });
    }
    expect(packed.get(pkg.dir)?.files.map((f) => f.path)).toContain("README.md");
  });

  it("ships only what a consumer needs: built files of existing sources, no build info, no dangling maps", () => {
    const files = packed.get(pkg.dir)?.files.map((f) => f.path) ?? [];
    expect(files.filter((f) => f.includes("tsbuildinfo"))).toEqual([]);
    for (const map of files.filter((f) => f.endsWith(".map"))) {
      const sources = (
        JSON.parse(readFileSync(join(repo, "packages", pkg.dir, map), "utf8")) as { sources: string[] }
      ).sources.map((s) => join(map, "..", s));
      for (const source of sources) expect(files, `${map} points at ${source}`).toContain(source);
    }
    // A stale output of a moved or deleted source would be shipped and importable: none.
    for (const built of files.filter((f) => f.startsWith("dist/") && f.endsWith(".js"))) {
      const source = join(
        repo,
        "packages",
        pkg.dir,
        built.replace(/^dist\//, "src/").replace(/\.js$/, ".ts"),
      );
      const tsx = source.replace(/\.ts$/, ".tsx");
      expect(existsSync(source) || existsSync(tsx), `${built} has no source`).toBe(true);
    }
    for (const file of files)
      expect(file, "only dist/, README and package.json").toMatch(/^(dist\/|README\.md$|package\.json$)/);
  });

  it("depends on its sibling packages with semver ranges that the sibling's version satisfies", () => {
    const manifest = manifests.get(pkg.dir) as Manifest;
    const ranges = { ...manifest.dependencies, ...manifest.peerDependencies };
    for (const other of PACKAGES) {
      const sibling = manifests.get(other.dir) as Manifest;
      const range = ranges[sibling.name];
      if (range === undefined) continue;
      const [, major, minor] = /^(\d+)\.(\d+)\./.exec(sibling.version) ?? [];
      expect(range).toBe(major === "0" ? `^0.${minor}.0` : `^${major}.0.0`);
    }
  });
});

describe("installed into an empty project", () => {
  it("imports and works in Node: publishes and reads back through a real hub", async () => {
    const script = join(project, "node-check.mjs");
    writeFileSync(
      script,
      `import WebSocket from ${JSON.stringify(pathToFileURL(require.resolve("ws")).href)};
import { PROTOCOL_VERSION } from "@switchboard/protocol";
import { createClient } from "@switchboard/client";
import { switchboardShared } from "@switchboard/client/federation";
import * as bindings from "@switchboard/react";
const client = createClient({ urls: process.argv[2], WebSocket, name: "pack-install" });
const published = await client.publish("chat:pack", { text: "from the tarball" });
const history = await client.history("chat:pack");
client.close();
console.log(JSON.stringify({ PROTOCOL_VERSION, published, data: history.publications.map((p) => p.data),
  shared: Object.keys(switchboardShared()), hooks: Object.keys(bindings) }));
`,
    );
    const { stdout } = await run(process.execPath, [script, running.url], { cwd: project });
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      PROTOCOL_VERSION: 1,
      published: { offset: 1 },
      data: [{ text: "from the tarball" }],
    });
    expect(result.shared).toContain("@switchboard/client");
    expect(result.hooks).toEqual(
      expect.arrayContaining(["SwitchboardProvider", "useChannel", "usePresence"]),
    );
  });

  it("type-checks a TypeScript consumer through the exports map", async () => {
    writeFileSync(
      join(project, "consumer.ts"),
      `import { type HubFrame, PROTOCOL_VERSION } from "@switchboard/protocol";
import { type Client, getSharedClient, type Message } from "@switchboard/client";
import { switchboardShared } from "@switchboard/client/federation";
const client: Client = getSharedClient({ urls: "ws://localhost:7700/ws" });
client.subscribe("chat:x", { rewind: 5 }).on("publication", (m: Message) => m.offset);
const frame: HubFrame["type"] = "pub";
export const used = [PROTOCOL_VERSION, frame, switchboardShared()];
`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2022", "DOM"],
          strict: true,
          noEmit: true,
          types: [],
        },
        files: ["consumer.ts"],
      }),
    );
    const tsc = require.resolve("typescript/bin/tsc");
    await expect(run(process.execPath, [tsc, "-p", project], { cwd: project })).resolves.toBeDefined();
  }, 60_000);

  it("bundles for the browser with Vite", async () => {
    const names = PACKAGES.map((pkg) => manifests.get(pkg.dir)?.name as string);
    const entry = PACKAGES.map(
      (pkg, i) =>
        `import { ${pkg.imports.join(", ")} } from "${names[i]}";\nconsole.log(${pkg.imports.join(", ")});`,
    ).join("\n");
    // In the page: the page's client from the installed package, one publish to the test's hub.
    const usage = `const hub = new URLSearchParams(location.search).get("hub");
if (hub) window.result = getSharedClient({ urls: hub, name: "bundle" }).publish("chat:web", "from the bundle")
  .then((p) => p.offset, (e) => String(e));`;
    writeFileSync(join(project, "main.js"), `${entry}\n${usage}\n`);
    writeFileSync(join(project, "index.html"), '<script type="module" src="./main.js"></script>');
    const { build } = await import("vite");
    await build({
      root: project,
      logLevel: "silent",
      configFile: false,
      build: { outDir: join(project, "web"), minify: true },
    });
    const html = readFileSync(join(project, "web", "index.html"), "utf8");
    const bundle = /src="\/?(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(bundle).toBeDefined();
    const code = readFileSync(join(project, "web", bundle as string), "utf8");
    // The page registration and the protocol's subprotocol survive bundling.
    expect(code).toContain("switchboard.client");
    expect(code).toContain("switchboard.v1");
  }, 60_000);

  it.skipIf(noBrowser)(
    "runs that bundle in Chromium: it connects and publishes with the browser's WebSocket",
    async () => {
      const web = join(project, "web");
      const server = createServer((req, res) => {
        const path = normalize(join(web, (req.url ?? "/").split("?")[0] || "/"));
        const file = path.endsWith("/") ? join(path, "index.html") : path;
        if (!file.startsWith(web) || !existsSync(file)) return void res.writeHead(404).end();
        const type = file.endsWith(".html") ? "text/html" : "text/javascript";
        res.writeHead(200, { "content-type": type }).end(readFileSync(file));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
      });
      try {
        const tab = await browser.newPage();
        const errors: string[] = [];
        tab.on("pageerror", (e) => errors.push(e.message));
        const port = (server.address() as AddressInfo).port;
        await tab.goto(`http://127.0.0.1:${port}/?hub=${encodeURIComponent(running.url)}`);
        await tab.waitForFunction(() => "result" in window, null, { timeout: 15_000 });
        expect(await tab.evaluate(() => (window as unknown as { result: unknown }).result)).toBe(1);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
        await new Promise((resolve) => server.close(resolve));
      }
    },
    60_000,
  );
});
