/**
 * A `switchboard hub` child process (the built CLI) for tests that kill, drain or restart a real
 * process: SIGKILL, SIGTERM (drain, close 4100), restart on the same port, name and data folder.
 * SB_HUB_STDERR=1 copies every hub's stderr, prefixed with its name, to the test's stderr.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";
import { httpStatus } from "./http.js";
import { waitFor } from "./wait-for.js";

const CLI_MAIN_URL = new URL("../../cli/dist/main.js", import.meta.url);
/**
 * The CLI entry of this checkout; `npx tsc -b` builds it. (In a DOM test environment the module
 * URL is not a file: URL; such tests never spawn a hub, so its path is enough there.)
 */
export const CLI_MAIN =
  CLI_MAIN_URL.protocol === "file:" ? fileURLToPath(CLI_MAIN_URL) : CLI_MAIN_URL.pathname;

export interface HubProcessOptions {
  port: number;
  /** `--node`; also labels errors and echoed stderr. */
  name?: string;
  /** `--data`; the CLI default (./data) when absent. */
  dataDir?: string;
  /** More CLI flags (`--broker`, `--config`, …). */
  args?: readonly string[];
  /** Default warn. */
  logLevel?: string;
  /** Another CLI entry to run (e.g. a build with extra logging); default CLI_MAIN. */
  main?: string;
}

/** How much stderr is kept (across restarts) for failure messages. */
const STDERR_KEEP_CHARS = 8_192;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 15_000;

export class HubProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<number | string> | undefined;
  /** The port it listens on; launch() moves it when the probed port was taken meanwhile. */
  port: number;
  readonly name: string;
  /** The last few KB of stderr, across restarts. */
  stderr = "";
  /** How many times it was started. */
  starts = 0;

  constructor(readonly options: HubProcessOptions) {
    this.port = options.port;
    this.name = options.name ?? `hub-${options.port}`;
  }

  /** A hub on a free port, started; tries another port once if the probed one was taken meanwhile. */
  static async launch(options: Omit<HubProcessOptions, "port">): Promise<HubProcess> {
    const hub = new HubProcess({ ...options, port: await freePort() });
    try {
      await hub.start();
    } catch (error) {
      if (!/already in use/i.test(hub.stderr)) throw error;
      hub.port = await freePort();
      await hub.start();
    }
    return hub;
  }

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

  /** Spawns the hub; resolves once it printed its `on ws://…` line (it is listening). */
  async start(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const main = this.options.main ?? CLI_MAIN;
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npx tsc -b\` first`);
    const { dataDir, args = [], logLevel = "warn" } = this.options;
    const child = spawn(
      process.execPath,
      [
        main,
        "hub",
        "--port",
        String(this.port),
        ...(this.options.name === undefined ? [] : ["--node", this.options.name]),
        ...(dataDir === undefined ? [] : ["--data", dataDir]),
        "--log-level",
        logLevel,
        ...args,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#child = child;
    this.starts++;
    const exited = new Promise<number | string>((resolve) =>
      child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
    );
    this.#exited = exited;
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_KEEP_CHARS);
      if (process.env.SB_HUB_STDERR) process.stderr.write(`[${this.name}] ${chunk}`);
    });
    let out = "";
    await new Promise<void>((resolve, reject) => {
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
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) while starting: ${this.stderr}`));
      });
    });
  }

  /** SIGKILL: no drain, sockets die with the process. Resolves once it exited. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill("SIGKILL");
    await this.#exited;
  }

  /**
   * Sends `signal` and resolves with the exit code (or the signal's name, e.g. "SIGKILL"). A hub
   * still running after `timeoutMs` is killed and the call fails.
   */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = STOP_TIMEOUT_MS): Promise<number | string> {
    if (!this.running) return (await this.#exited) ?? "never started";
    this.#child?.kill(signal);
    const timeout = new Promise<string>((resolve) => setTimeout(resolve, timeoutMs, "timeout").unref());
    const result = await Promise.race([this.#exited as Promise<number | string>, timeout]);
    if (result === "timeout") {
      await this.kill();
      throw new Error(`${this.name} did not exit within ${timeoutMs} ms of ${signal}: ${this.stderr}`);
    }
    return result;
  }

  /** Stops (SIGTERM) if running and starts again on the same port, name and data folder. */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.start();
  }

  readyzStatus(): Promise<number> {
    return httpStatus(`${this.httpUrl}/readyz`);
  }

  /** Waits until /readyz answers `status` (200: broker reachable; 503: not). */
  async waitReadyz(status: 200 | 503, timeoutMs = START_TIMEOUT_MS): Promise<void> {
    let last = 0;
    await waitFor(
      `${this.name} /readyz ${status}`,
      async () => {
        last = await this.readyzStatus();
        return last === status;
      },
      { timeoutMs, detail: () => `(last ${last}; stderr: ${this.stderr.slice(-500)})` },
    );
  }
}
