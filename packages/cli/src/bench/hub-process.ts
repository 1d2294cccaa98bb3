/**
 * A hub in its own process, so the load generator's CPU and memory never count as the hub's.
 * Reads the hub's CPU time and RSS from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));

export interface HubProcess {
  readonly url: string;
  readonly httpUrl: string;
  readonly pid: number;
  /** User + system CPU seconds the hub process has used so far. */
  cpuSeconds(): number;
  /** Resident set size in bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

export async function spawnHub(args: string[], env: NodeJS.ProcessEnv = {}): Promise<HubProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--expose-gc", MAIN, "hub", "--port", "0", "--log-level", "warn", ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /on (ws:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`hub exited with ${code}`)));
  });
  const pid = child.pid ?? 0;
  const ticks = 100; // USER_HZ on Linux
  return {
    url,
    httpUrl: url.replace(/^ws/, "http").replace(/\/ws$/, ""),
    pid,
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      return (Number(fields[11]) + Number(fields[12])) / ticks;
    },
    rssBytes() {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      return Number(match?.[1] ?? 0) * 1024;
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}
