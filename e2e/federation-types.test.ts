/**
 * Types through Module Federation (CLI.md "Using the modules in another team's host"): the served
 * remotes list their types in mf-manifest.json, the MF DTS consumer (what a host's build runs
 * with `dts.consumeTypes`) downloads them from there, and our host's sources type-check against
 * those downloaded types alone — its old hand-written declarations are gone.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { consumeTypes } from "@module-federation/dts-plugin/core";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "./support/test-system.js";

const HOST_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../apps/host");

interface Manifest {
  name: string;
  metaData: { globalName: string; types: { zip: string; api: string } };
}

/** The host's program with `sender`/`receiver` resolved only from `typesDir` (no fallback). */
function hostProgram(typesDir: string, extraFiles: Record<string, string> = {}): ts.Program {
  const configPath = join(HOST_DIR, "tsconfig.json");
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error(`cannot read ${configPath}`);
  const paths: Record<string, string[]> = {};
  for (const name of ["sender", "receiver"]) {
    paths[name] = [join(typesDir, name, `${name}.d.ts`)];
    paths[`${name}/${name}`] = [join(typesDir, name, `${name}.d.ts`)];
  }
  const options: ts.CompilerOptions = { ...config.options, paths, noEmit: true, composite: false };
  delete options.emitDeclarationOnly;
  delete options.tsBuildInfoFile;
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (file) => extraFiles[file] ?? readFile(file);
  host.fileExists = (file) => file in extraFiles || fileExists(file);
  return ts.createProgram({ rootNames: [...config.fileNames, ...Object.keys(extraFiles)], options, host });
}

function errors(program: ts.Program): string[] {
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

describe("types through Module Federation", () => {
  let system: TestSystem;
  const context = mkdtempSync(join(tmpdir(), "switchboard-mf-types-"));
  const typesDir = join(context, "@mf-types");

  beforeAll(async () => {
    system = await startTestSystem();
  }, 300_000);

  afterAll(async () => {
    await system?.close();
    rmSync(context, { recursive: true, force: true });
  });

  it("each remote's manifest lists its types, served next to it", async () => {
    for (const origin of [system.senderOrigin, system.receiverOrigin]) {
      const manifest = (await (await fetch(`${origin}/mf-manifest.json`)).json()) as Manifest;
      expect(manifest.name).toMatch(/^switchboard_(sender|receiver)$/);
      expect(manifest.metaData.globalName).toBe(manifest.name);
      expect(manifest.metaData.types).toMatchObject({ zip: "@mf-types.zip", api: "@mf-types.d.ts" });
      const zip = await fetch(`${origin}/${manifest.metaData.types.zip}`);
      expect(zip.status).toBe(200);
      expect((await zip.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
  });

  it("the MF DTS consumer downloads them and the host type-checks against them alone", async () => {
    await consumeTypes({
      host: {
        context,
        typesFolder: "@mf-types",
        abortOnError: true,
        consumeAPITypes: false,
        moduleFederationConfig: {
          name: "types_check_host",
          remotes: {
            sender: `switchboard_sender@${system.senderOrigin}/mf-manifest.json`,
            receiver: `switchboard_receiver@${system.receiverOrigin}/mf-manifest.json`,
          },
        },
      },
    });
    expect(existsSync(join(typesDir, "sender", "sender.d.ts"))).toBe(true);
    expect(existsSync(join(typesDir, "receiver", "receiver.d.ts"))).toBe(true);

    const program = hostProgram(typesDir);
    expect(errors(program)).toEqual([]);
    // The remotes' modules really came from the downloaded folder, not from their sources.
    const fromRemotes = program
      .getSourceFiles()
      .map((file) => file.fileName)
      .filter((name) => /[/\\](sender|receiver)[/\\]/.test(name) && !name.includes("node_modules"));
    expect(fromRemotes.length).toBeGreaterThan(0);
    for (const name of fromRemotes) expect(name.startsWith(typesDir)).toBe(true);
  }, 60_000);

  it("and those types catch a wrong prop (they are not `any`)", () => {
    const probe = join(HOST_DIR, "src", "__types-probe.ts");
    const program = hostProgram(typesDir, {
      [probe]: `import { mount } from "sender/sender";
mount(document.body, { channel: 42 });
`,
    });
    const found = errors(program).filter((line) => line.startsWith(probe));
    expect(found.join("\n")).toMatch(/not assignable to type 'string'/);
  });
});
