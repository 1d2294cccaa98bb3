/**
 * Builds the front-end apps (webpack, production) when their output is missing or older than
 * what goes into it: the app's sources and config, and the built client it bundles. One build at
 * a time per checkout (a lock folder), so `switchboard start` and a test run never write the same
 * dist/ at once.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const APP_NAMES = ["sender", "receiver", "host"] as const;
export type AppName = (typeof APP_NAMES)[number];

export interface BuildAppsOptions {
  /** The folder holding sender/, receiver/ and host/; default: this checkout's apps/. */
  appsDir?: string;
  apps?: readonly AppName[];
  /** Build even when the output looks current. */
  force?: boolean;
  log?: (line: string) => void;
}

export interface BuildResult {
  app: AppName;
  /** The built output folder (what serveApp serves). */
  dist: string;
  /** False when the existing output was current. */
  built: boolean;
  ms: number;
}

/** Written last into dist/ by a successful build; its mtime is "built at". Dotfiles are not served. */
const STAMP = ".switchboard-build";
const LOCK_STALE_MS = 10 * 60_000;

/** packages/cli/{src,dist}/build-apps.* → the checkout's apps/ folder. */
export function defaultAppsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../../apps");
}

export function appDist(appsDir: string, app: AppName): string {
  return join(appsDir, app, "dist");
}

export async function buildApps(options: BuildAppsOptions = {}): Promise<BuildResult[]> {
  const appsDir = options.appsDir ?? defaultAppsDir();
  const log = options.log ?? (() => undefined);
  const apps = options.apps ?? APP_NAMES;
  const results: BuildResult[] = [];
  const releaseLock = await acquireLock(appsDir, log);
  try {
    // Sequential on purpose: webpack is CPU-bound and these machines have 2 cores.
    for (const app of apps) {
      const started = Date.now();
      const dist = appDist(appsDir, app);
      if (!options.force && !isStale(appsDir, app)) {
        results.push({ app, dist, built: false, ms: 0 });
        continue;
      }
      log(`building ${app}…`);
      await runWebpack(join(appsDir, app));
      writeFileSync(join(dist, STAMP), `${new Date().toISOString()}\n`);
      const ms = Date.now() - started;
      log(`built ${app} in ${(ms / 1000).toFixed(1)} s`);
      results.push({ app, dist, built: true, ms });
    }
  } finally {
    releaseLock();
  }
  return results;
}

/** True when dist/ is missing or any input is newer than the last successful build. */
export function isStale(appsDir: string, app: AppName): boolean {
  const stamp = join(appDist(appsDir, app), STAMP);
  if (!existsSync(stamp)) return true;
  const builtAt = statSync(stamp).mtimeMs;
  const root = resolve(appsDir, "..");
  const inputs = [
    join(appsDir, app, "src"),
    join(appsDir, app, "webpack.config.cjs"),
    join(appsDir, "webpack-shared.cjs"),
    join(appsDir, app, "package.json"),
    // Bundled into every app: a rebuilt client means rebuilt apps.
    join(root, "packages", "client", "dist"),
    join(root, "packages", "protocol", "dist"),
  ];
  return inputs.some((input) => newestMtime(input) > builtAt);
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

function runWebpack(appDir: string): Promise<void> {
  const cli = createRequire(join(appDir, "package.json")).resolve("webpack-cli/bin/cli.js");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, "--mode", "production", "-c", "webpack.config.cjs"], {
      cwd: appDir,
      env: { ...process.env, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolvePromise();
      else
        reject(
          new Error(
            `webpack failed for ${appDir} (exit ${code}):\n${output.split("\n").slice(-40).join("\n")}`,
          ),
        );
    });
  });
}

/** A lock folder in the temp dir, keyed by checkout; waits for another builder, breaks stale locks. */
async function acquireLock(appsDir: string, log: (line: string) => void): Promise<() => void> {
  const key = createHash("sha1").update(resolve(appsDir)).digest("hex").slice(0, 12);
  const lock = join(tmpdir(), `switchboard-build-${key}.lock`);
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (Date.now() - statSafe(lock) > LOCK_STALE_MS) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!announced) log("waiting for another build of the apps to finish…");
      announced = true;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
