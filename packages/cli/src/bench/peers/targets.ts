/**
 * The servers under comparison: how to start N nodes of each (every node its own process,
 * measured from /proc) and which load client speaks to it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type HubProcess, spawnHub, spawnMeasured } from "../hub-process.js";
import { type Connect, connectHub, connectSocketIo, connectWsLoop } from "./load-clients.js";

export const SERVERS = ["hub", "socket.io", "ws"] as const;
export type ServerName = (typeof SERVERS)[number];

export interface Nodes {
  processes: HubProcess[];
  stop(): Promise<void>;
}

export interface Target {
  name: ServerName;
  connect: Connect;
  /** Starts `count` nodes; more than one share `redisUrl` (cross-node). */
  start(count: number, redisUrl: string): Promise<Nodes>;
}

const script = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

async function startAll(spawnOne: (n: number) => Promise<HubProcess>, count: number, cleanup = () => {}) {
  const processes: HubProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    cleanup();
  };
  try {
    for (let n = 1; n <= count; n++) processes.push(await spawnOne(n));
  } catch (err) {
    await stop();
    throw err;
  }
  return { processes, stop };
}

const hub: Target = {
  name: "hub",
  connect: connectHub,
  start(count, redisUrl) {
    const dataDir = mkdtempSync(join(tmpdir(), "sb-peers-"));
    // One node: the default (embedded) broker, as a newcomer runs it; cross-node: Redis.
    const broker = (n: number) =>
      count > 1 ? ["--broker", redisUrl, "--node", `bench-${n}-${process.pid}`] : [];
    return startAll(
      (n) => spawnHub(["--data", join(dataDir, `hub-${n}`), ...broker(n)]),
      count,
      () => rmSync(dataDir, { recursive: true, force: true }),
    );
  },
};

const peer = (name: ServerName, file: string, connect: Connect): Target => ({
  name,
  connect,
  start: (count, redisUrl) =>
    startAll(
      () => spawnMeasured([script(file), ...(count > 1 ? ["--redis", redisUrl] : [])], {}, name),
      count,
    ),
});

export const TARGETS: Record<ServerName, Target> = {
  hub,
  "socket.io": peer("socket.io", "sio-server.js", connectSocketIo),
  ws: peer("ws", "ws-loop-server.js", connectWsLoop),
};
