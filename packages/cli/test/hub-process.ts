/** A `switchboard hub` child process for system tests: start, SIGKILL, SIGTERM, restart. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class HubProcess {
  private child: ChildProcess | undefined;
  stderr = "";

  constructor(
    readonly port: number,
    readonly args: string[],
  ) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process and resolves once /healthz answers. */
  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [MAIN, "hub", "--port", String(this.port), "--log-level", "warn", ...this.args],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`hub exited ${child.exitCode}: ${this.stderr}`);
      try {
        if ((await fetch(`${this.httpUrl}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`hub not healthy in time: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal and resolves with the exit code (or the signal name). */
  stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | string> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve(child?.exitCode ?? "gone");
    return new Promise((resolve) => {
      child.once("exit", (code, sig) => resolve(code ?? sig ?? "unknown"));
      child.kill(signal);
    });
  }
}
