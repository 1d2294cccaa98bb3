/**
 * Test-owned Redis / NATS processes on free ports with temp dirs — the only way to kill a broker
 * without touching the shared services — plus the "is the shared service there" check.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findExecutable, freePort, waitFor } from "@switchboard/testkit";

/** Found on PATH; the bare name when absent (EngineProcess.available() then says false). */
export const REDIS_SERVER = findExecutable("redis-server") ?? "redis-server";
export const NATS_SERVER = findExecutable("nats-server") ?? "nats-server";

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export function reachable(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Decides whether a test group runs: locally a missing service skips with a printed reason, in CI
 * (`CI=true`) it fails instead.
 */
export function requireService(available: boolean, what: string): boolean {
  if (available) return true;
  if (process.env.CI === "true") throw new Error(`${what} is required in CI but is not available`);
  console.warn(`skipping: ${what} is not available`);
  return false;
}

/** One engine process that can be killed and started again on the same port and data dir. */
export class EngineProcess {
  #child: ChildProcess | undefined;
  #stderr = "";

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: () => string[],
    private readonly binary: string,
  ) {}

  /** A Redis without persistence; with `replicaOf` (a port), an async replica of that server. */
  static async redis(replicaOf?: number): Promise<EngineProcess> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), "sb-redis-"));
    const replica = replicaOf === undefined ? [] : ["--replicaof", "127.0.0.1", String(replicaOf)];
    // No persistence: a restart comes back empty, like a Redis that lost its data.
    return new EngineProcess(
      port,
      dir,
      () => [
        ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
        ...replica,
      ],
      REDIS_SERVER,
    );
  }

  static async nats(): Promise<EngineProcess> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), "sb-nats-"));
    return new EngineProcess(
      port,
      dir,
      () => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
      NATS_SERVER,
    );
  }

  static available(binary: string): boolean {
    return existsSync(binary);
  }

  get url(): string {
    return `${this.binary === REDIS_SERVER ? "redis" : "nats"}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(this.binary, this.args(), { stdio: ["ignore", "ignore", "pipe"] });
    this.#child = child;
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-2000);
    });
    await waitFor(`${this.binary} on port ${this.port} (${this.#stderr})`, async () => {
      if (child.exitCode !== null) throw new Error(`${this.binary} exited: ${this.#stderr}`);
      return reachable(this.port);
    });
  }

  /** SIGKILL, and wait until the port is closed. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    await waitFor("the port to close", async () => !(await reachable(this.port)));
  }

  /**
   * SIGSTOP / SIGCONT. A stop takes effect asynchronously (a thread running on another core can
   * still read one more request), so resolve only once every thread of the process is stopped.
   */
  async signal(signal: "SIGSTOP" | "SIGCONT"): Promise<void> {
    const pid = this.#child?.pid;
    this.#child?.kill(signal);
    if (signal !== "SIGSTOP" || pid === undefined) return;
    await waitFor("every thread of the engine to stop", async () => {
      const tasks = await readdir(`/proc/${pid}/task`);
      const states = await Promise.all(
        tasks.map(async (t) => (await readFile(`/proc/${pid}/task/${t}/stat`, "utf8")).split(") ")[1]?.[0]),
      );
      return states.every((state) => state === "T" || state === "t");
    });
  }

  async dispose(): Promise<void> {
    this.#child?.kill("SIGCONT");
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
