/**
 * N `switchboard hub` PROCESSES over one broker, for scale-out tests: each node on its own
 * explicit free port (so a restarted node comes back where its clients look for it), its own
 * data folder, and one key / subject prefix per cluster (`--prefix`), so runs never collide on
 * the shared Redis / NATS. Nodes can be SIGKILLed, drained with SIGTERM (close 4100) and restarted.
 *
 * The hub processes run the built CLI (packages/cli/dist/main.js): `npm test` builds it first.
 * Debugging: SB_CLUSTER_CLI=<path to main.js> runs another build (e.g. one with extra logging);
 * SB_CLUSTER_STDERR=1 copies every node's stderr, prefixed with its name, to the test's stderr.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dropPrefix } from "../drop-prefix.js";
import { freePort } from "../engine-servers.js";

export const CLI_MAIN =
  process.env.SB_CLUSTER_CLI ?? fileURLToPath(new URL("../../../cli/dist/main.js", import.meta.url));

/** A prefix valid for both engines (`[A-Za-z0-9_-]`), unique per call. */
export function runPrefix(label: string): string {
  return `sbt_${label}_${randomBytes(4).toString("hex")}`;
}

/** GET a hub URL without keep-alive (a restarted node on the same port must not see a stale socket). */
export function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}

/** GET a hub URL's body as text ("" when it cannot be reached). */
export function httpText(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve(text));
      res.on("error", () => resolve(text));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(""));
    req.end();
  });
}

/** Polls until `condition` holds, or throws naming what it waited for. */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  detail: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export class HubNode {
  #child: ChildProcess | undefined;
  #exited: Promise<number | string> | undefined;
  /** The last 4 KB of stderr, across restarts (for failure messages). */
  stderr = "";
  starts = 0;

  constructor(
    readonly name: string,
    public port: number,
    readonly dataDir: string,
    private readonly args: readonly string[],
  ) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns the process; resolves once it printed its `on ws://…` line (it is listening). */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const child = spawn(
      process.execPath,
      [
        CLI_MAIN,
        "hub",
        "--port",
        String(this.port),
        "--node",
        this.name,
        "--data",
        this.dataDir,
        "--log-level",
        "warn",
        ...this.args,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#child = child;
    this.starts++;
    this.#exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
    );
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4096);
      if (process.env.SB_CLUSTER_STDERR) process.stderr.write(`[${this.name}] ${chunk}`);
    });
    let out = "";
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} did not start: ${this.stderr}`)),
        timeoutMs,
      );
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (/ on ws:\/\//.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.#exited?.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) while starting: ${this.stderr}`));
      });
    });
    await listening;
  }

  /** SIGKILL: no drain, sockets die with the process. Resolves once it exited. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill("SIGKILL");
    await this.#exited;
  }

  /** SIGTERM: the hub drains (close 4100) and exits; resolves with the exit code. */
  async stop(timeoutMs = 15_000): Promise<number | string> {
    if (!this.running) return (await this.#exited) ?? "never started";
    this.#child?.kill("SIGTERM");
    const timeout = new Promise<string>((resolve) => setTimeout(resolve, timeoutMs, "timeout").unref());
    const result = await Promise.race([this.#exited as Promise<number | string>, timeout]);
    if (result === "timeout") {
      await this.kill();
      throw new Error(`${this.name} did not exit within ${timeoutMs} ms of SIGTERM: ${this.stderr}`);
    }
    return result;
  }

  /** Starts again on the same port, name and data folder. */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.start();
  }

  readyzStatus(): Promise<number> {
    return httpStatus(`${this.httpUrl}/readyz`);
  }

  /** Waits until /readyz answers `status` (200: broker reachable; 503: not). */
  waitReadyz(status: 200 | 503, timeoutMs = 15_000): Promise<void> {
    let last = 0;
    return eventually(
      `${this.name} /readyz ${status}`,
      async () => {
        last = await this.readyzStatus();
        return last === status;
      },
      timeoutMs,
      () => `(last ${last}; stderr: ${this.stderr.slice(-500)})`,
    );
  }
}

export interface ClusterOptions {
  nodes: number;
  /** redis://HOST:PORT or nats://HOST:PORT (or memory, for a single node). */
  broker: string;
  /** Key / subject prefix; one per cluster when absent. */
  prefix?: string;
  /** Hub config object (docs/operations.md keys), written to a file and passed as --config. */
  config?: unknown;
}

export class HubCluster {
  private constructor(
    readonly nodes: HubNode[],
    readonly broker: string,
    readonly prefix: string,
    private readonly dir: string,
  ) {}

  static async start(options: ClusterOptions): Promise<HubCluster> {
    if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`npx tsc -b\` first`);
    const prefix = options.prefix ?? runPrefix("cluster");
    const dir = mkdtempSync(join(tmpdir(), "sb-cluster-"));
    const args = ["--broker", options.broker, "--prefix", prefix];
    if (options.config !== undefined) {
      const file = join(dir, "config.json");
      writeFileSync(file, JSON.stringify(options.config));
      args.push("--config", file);
    }
    const nodes: HubNode[] = [];
    for (let i = 1; i <= options.nodes; i++) {
      const data = join(dir, `hub-${i}`);
      nodes.push(new HubNode(`hub-${i}`, await freePort(), data, args));
    }
    const cluster = new HubCluster(nodes, options.broker, prefix, dir);
    try {
      await Promise.all(nodes.map((node) => startOnFreePort(node)));
    } catch (err) {
      await cluster.dispose();
      throw err;
    }
    return cluster;
  }

  node(index: number): HubNode {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index}`);
    return node;
  }

  /** Every node's URL, starting with node `index`: a client homed there fails over to the others. */
  urlsFrom(index: number): string[] {
    const n = this.nodes.length;
    return Array.from({ length: n }, (_, i) => this.node((index + i) % n).url);
  }

  /** Kills every node, removes the data folders and the broker keys / streams of the prefix. */
  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.dir, { recursive: true, force: true });
    await dropPrefix(this.broker, this.prefix).catch(() => undefined);
  }
}

/** A free port can be taken between probing and listening: pick another once if it was. */
async function startOnFreePort(node: HubNode): Promise<void> {
  try {
    await node.start();
  } catch (err) {
    if (!/port already in use/.test(node.stderr)) throw err;
    node.port = await freePort();
    await node.start();
  }
}
