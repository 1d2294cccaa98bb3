/**
 * A hub in its own process, so the load generator's CPU and memory never count as the hub's.
 * Reads the hub's CPU time and RSS from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));

export interface HubProcess {
  /** The WebSocket URL the process printed when ready ("… on ws://HOST:PORT/…"). */
  readonly url: string;
  readonly httpUrl: string;
  readonly pid: number;
  /** User + system CPU seconds the hub process has used so far. */
  cpuSeconds(): number;
  /** User and system CPU seconds separately (`/proc/<pid>/stat` utime, stime). */
  cpuTimes(): { user: number; system: number };
  /** Resident set size in bytes. */
  rssBytes(): number;
  /** Forces a full GC in the hub (through its inspector) and returns its memory usage after it. */
  memoryAfterGc(): Promise<NodeJS.MemoryUsage>;
  stop(): Promise<void>;
}

export function spawnHub(args: string[], env: NodeJS.ProcessEnv = {}): Promise<HubProcess> {
  return spawnMeasured([MAIN, "hub", "--port", "0", "--log-level", "warn", ...args], env, "hub");
}

/** Any Node server script that prints "… on ws://HOST:PORT…" once it listens (the bench's peers too). */
export async function spawnMeasured(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  label = "server",
): Promise<HubProcess> {
  // The inspector (loopback, random port) lets the bench force a GC before measuring memory,
  // without any benchmark hook in the measured process itself.
  const child: ChildProcess = spawn(process.execPath, ["--inspect=127.0.0.1:0", ...argv], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const inspectorUrl = new Promise<string>((resolve) => {
    let err = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const match = /Debugger listening on (ws:\/\/\S+)/.exec(err);
      if (match?.[1]) resolve(match[1]);
      for (const line of chunk.toString().split("\n"))
        if (line && !/Debugger|For help|inspector/.test(line)) process.stderr.write(`${label}: ${line}\n`);
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /on (ws:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`${label} exited with ${code}`)));
  });
  const pid = child.pid ?? 0;
  const ticks = 100; // USER_HZ on Linux
  const cpuTimes = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return { user: Number(fields[11]) / ticks, system: Number(fields[12]) / ticks };
  };
  return {
    url,
    httpUrl: url.replace(/^ws/, "http").replace(/\/ws$/, ""),
    pid,
    cpuSeconds() {
      const { user, system } = cpuTimes();
      return user + system;
    },
    cpuTimes,
    rssBytes() {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      return Number(match?.[1] ?? 0) * 1024;
    },
    async memoryAfterGc() {
      const ws = new WebSocket(await inspectorUrl);
      await new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      });
      const call = (id: number, method: string, params: object = {}) =>
        new Promise<Record<string, unknown>>((resolve) => {
          const onMessage = (data: Buffer) => {
            const reply = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown> };
            if (reply.id !== id) return;
            ws.off("message", onMessage);
            resolve(reply.result ?? {});
          };
          ws.on("message", onMessage);
          ws.send(JSON.stringify({ id, method, params }));
        });
      await call(1, "HeapProfiler.collectGarbage");
      await call(2, "HeapProfiler.collectGarbage");
      const result = await call(3, "Runtime.evaluate", {
        expression: "JSON.stringify(process.memoryUsage())",
        returnByValue: true,
      });
      ws.close();
      return JSON.parse(String((result.result as { value: string }).value)) as NodeJS.MemoryUsage;
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
