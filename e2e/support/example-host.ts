/**
 * The example hosts (examples/rspack-host, examples/vite-host) as a new team would run them: their
 * own install (not workspaces: each pins its own bundler and federation runtime), a production
 * build pointed at our served remotes and hub through the environment, then served like any app.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ServedApp, serveApp } from "../../packages/cli/src/serve-apps.js";

export const EXAMPLES_DIR = resolve(fileURLToPath(new URL("../../examples", import.meta.url)));

export const EXAMPLE_HOSTS = {
  rspack: { dir: "rspack-host", cli: "node_modules/@rspack/cli/bin/rspack.js", args: ["build"] },
  vite: { dir: "vite-host", cli: "node_modules/vite/bin/vite.js", args: ["build"] },
} as const;

export type ExampleHost = keyof typeof EXAMPLE_HOSTS;

export interface ExampleBuildEnv {
  SWITCHBOARD_SENDER_ENTRY: string;
  SWITCHBOARD_RECEIVER_ENTRY: string;
  SWITCHBOARD_HUB_URL: string;
  /** "1": leave @switchboard/client out of the shared block (the host bundles its own copy). */
  SWITCHBOARD_BUNDLE_OWN_CLIENT?: string;
}

/**
 * The environment of a build run by hand, not this test runner's: the Vite federation plugin
 * switches itself off when it sees VITEST or NODE_ENV=test, and the remotes' imports then fail to
 * resolve ("Rolldown failed to resolve import sender/sender").
 */
function buildEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith("VITEST") && key !== "TEST" && key !== "NODE_ENV") env[key] = value;
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: buildEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${command} ${args.join(" ")} in ${cwd} failed (exit ${code}):\n${output}`)),
    );
  });
}

/** A fresh clone has no node_modules in the examples: install from their own lock file. */
export async function installExample(host: ExampleHost): Promise<void> {
  const dir = join(EXAMPLES_DIR, EXAMPLE_HOSTS[host].dir);
  if (existsSync(join(dir, "node_modules", ".package-lock.json"))) return;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  await run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund"], dir);
}

/** Builds into `outDir` (absolute) and returns how long the bundler took, in ms. */
export async function buildExample(host: ExampleHost, env: ExampleBuildEnv, outDir: string): Promise<number> {
  const { dir, cli, args } = EXAMPLE_HOSTS[host];
  const cwd = join(EXAMPLES_DIR, dir);
  // The CLI of the example's own install (their exports maps do not expose the bin files).
  const bin = join(cwd, cli);
  const started = Date.now();
  await run(process.execPath, [bin, ...args], cwd, {
    ...env,
    SWITCHBOARD_OUT_DIR: outDir,
    NODE_ENV: "production",
  });
  return Date.now() - started;
}

export function serveExample(outDir: string): Promise<ServedApp> {
  return serveApp({ dir: outDir, port: 0, host: "127.0.0.1" });
}
