/**
 * Builds the front-end apps (webpack, production) when their output is missing or was built from
 * other inputs: the app's sources and config, and the built packages it bundles. One build at
 * a time per checkout (a lock folder), so `switchboard start` and a test run never write the same
 * dist/ at once.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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

/**
 * Written into dist/ after a build we ran or checked: the fingerprint of the inputs it was built
 * from. Dotfiles are not served.
 */
const STAMP = ".switchboard-build";
const LOCK_STALE_MS = 10 * 60_000;

/** packages/cli/{src,dist}/build-apps.* → the checkout's apps/ folder. */
export function defaultAppsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../../apps");
}

export function appDist(appsDir: string, app: AppName): string {
  return join(appsDir, app, "dist");
}

/** The file a finished build of this app always has. */
function entryFile(app: AppName): string {
  return app === "host" ? "index.html" : "remoteEntry.js";
}

export async function buildApps(options: BuildAppsOptions = {}): Promise<BuildResult[]> {
  const appsDir = options.appsDir ?? defaultAppsDir();
  const log = options.log ?? (() => undefined);
  const apps = options.apps ?? APP_NAMES;
  const results: BuildResult[] = [];
  const releaseLock = await acquireLock(appsDir, log);
  try {
    // Sequential on purpose: webpack is CPU-bound and uses every core it gets.
    for (const app of apps) {
      const started = Date.now();
      const dist = appDist(appsDir, app);
      const state = buildState(appsDir, app);
      if (!options.force && !state.stale) {
        // Built by `npm run build` (no stamp yet): remember what it was built from.
        if (state.adopted) writeFileSync(join(dist, STAMP), `${state.fingerprint}\n`);
        results.push({ app, dist, built: false, ms: 0 });
        continue;
      }
      log(`building ${app} (${options.force ? "forced" : state.reason})…`);
      await runWebpack(join(appsDir, app));
      writeFileSync(join(dist, STAMP), `${buildState(appsDir, app).fingerprint}\n`);
      const ms = Date.now() - started;
      log(`built ${app} in ${(ms / 1000).toFixed(1)} s`);
      results.push({ app, dist, built: true, ms });
    }
  } finally {
    releaseLock();
  }
  return results;
}

export interface BuildState {
  stale: boolean;
  /** Why it is stale, for the log line. */
  reason: string;
  /** Hash of every input file's path and content. */
  fingerprint: string;
  /** Current without a matching stamp: the output is newer than every input (`npm run build`). */
  adopted: boolean;
}

/**
 * Whether dist/ must be rebuilt. Current when its stamp holds the inputs' fingerprint (contents,
 * so a `tsc -b` that rewrites identical files changes nothing), or — no stamp, as after
 * `npm run build`, which does not write one — when the output is newer than every input.
 */
export function buildState(appsDir: string, app: AppName): BuildState {
  const dist = appDist(appsDir, app);
  const { fingerprint, newestMs } = fingerprintInputs(inputsOf(appsDir, app));
  const state = (stale: boolean, reason: string, adopted = false) => ({
    stale,
    reason,
    fingerprint,
    adopted,
  });
  if (!existsSync(join(dist, entryFile(app)))) return state(true, `no ${entryFile(app)} yet`);
  const stamp = readSafe(join(dist, STAMP))?.trim();
  if (stamp === fingerprint) return state(false, "current");
  const builtMs = newestOutputMtime(dist);
  if (builtMs > newestMs) return state(false, "current", true);
  return state(true, stamp ? "sources changed since the last build" : "sources newer than the output");
}

/** True when dist/ is missing or its inputs changed since it was built. */
export function isStale(appsDir: string, app: AppName): boolean {
  return buildState(appsDir, app).stale;
}

function inputsOf(appsDir: string, app: AppName): string[] {
  const root = resolve(appsDir, "..");
  return [
    join(appsDir, app, "src"),
    join(appsDir, app, "webpack.config.cjs"),
    join(appsDir, "webpack-shared.cjs"),
    join(appsDir, app, "package.json"),
    // Bundled into the apps: rebuilt packages mean rebuilt apps.
    ...["client", "protocol", "react"].map((name) => join(root, "packages", name, "dist")),
  ];
}

function fingerprintInputs(inputs: readonly string[]): { fingerprint: string; newestMs: number } {
  const hash = createHash("sha256");
  let newestMs = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const stats = statSync(path);
    if (stats.isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (entry !== "node_modules" && !entry.endsWith(".tsbuildinfo")) visit(join(path, entry));
      }
      return;
    }
    newestMs = Math.max(newestMs, stats.mtimeMs);
    hash.update(path).update("\0").update(readFileSync(path)).update("\0");
  };
  for (const input of inputs) visit(input);
  return { fingerprint: hash.digest("hex"), newestMs };
}

/**
 * The newest file of the output. webpack skips writing an asset whose content did not change, but
 * a build after a change rewrites at least the entry (it lists the chunks' hashes); a build that
 * changed nothing leaves it old: then one extra build, which stamps.
 */
function newestOutputMtime(dist: string): number {
  let newest = 0;
  const visit = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name === STAMP) continue;
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full);
      else newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  visit(dist);
  return newest;
}

function readSafe(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
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
