/**
 * A test-owned Redis Cluster: 6 redis-server processes (3 masters + 3 replicas) on free ports in
 * one temp dir, joined with `redis-cli --cluster create`, killed and removed by dispose().
 *
 * start() returns only once every replica has completed its first sync with its master. Before
 * that a replica cannot be promoted ("Disconnected from master for longer than allowed"): a master
 * killed then stays down with its slots until it returns, which is an outage of the cluster, not
 * a failover. cluster_state:ok alone comes seconds earlier (Redis delays a diskless first sync by
 * repl-diskless-sync-delay, 5 s by default; 0 here).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { findExecutable, freePort, waitFor as waitUntil } from "@switchboard/testkit";
import { Redis } from "ioredis";
import { REDIS_SERVER, reachable } from "./engine-servers.js";

export const REDIS_CLI = findExecutable("redis-cli") ?? "redis-cli";

const run = promisify(execFile);
/** Failure detection: a killed master is replaced by its replica ~this long after (plus election). */
const NODE_TIMEOUT_MS = 2000;

/** A free port whose cluster bus port (port + 10000) is free as well (and below 65536). */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10000 < 65536 && (await canListen(port + 10000))) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A cluster link with short timeouts, for probes that count what it does while a master is down
 * (the dead-master test and `bench/redis-cluster.ts`). `prefix` is the caller's.
 */
export const PROBE_LINK_OPTIONS = {
  commandTimeoutMs: 1000,
  connectTimeoutMs: 3000,
  reconnectStepMs: 100,
  reconnectMaxDelayMs: 1000,
  autoPipelining: false,
  resyncSettleMs: 1000,
} as const;

export interface ClusterNode {
  port: number;
  child: ChildProcess;
}

export class RedisClusterProcess {
  private constructor(
    readonly nodes: ClusterNode[],
    private readonly dir: string,
  ) {}

  static async start(size = 6): Promise<RedisClusterProcess> {
    const dir = await mkdtemp(join(tmpdir(), "sb-redis-cluster-"));
    const nodes: ClusterNode[] = [];
    const cluster = new RedisClusterProcess(nodes, dir);
    try {
      for (let i = 0; i < size; i++) {
        const port = await freeClusterPort();
        const child = spawn(
          REDIS_SERVER,
          [
            "--port",
            String(port),
            "--bind",
            "127.0.0.1",
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            `nodes-${port}.conf`,
            "--cluster-node-timeout",
            String(NODE_TIMEOUT_MS),
            "--dir",
            dir,
            "--save",
            "",
            "--appendonly",
            "no",
            "--repl-diskless-sync-delay",
            "0",
          ],
          { stdio: ["ignore", "ignore", "inherit"] },
        );
        nodes.push({ port, child });
      }
      await Promise.all(
        nodes.map((n) =>
          waitUntil(`redis-server on ${n.port}`, () => {
            if (n.child.exitCode !== null)
              throw new Error(`redis-server on ${n.port} exited ${n.child.exitCode}`);
            return reachable(n.port);
          }),
        ),
      );
      await run(REDIS_CLI, [
        "--cluster",
        "create",
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        "--cluster-replicas",
        "1",
        "--cluster-yes",
      ]);
      await cluster.waitHealthy();
      await cluster.waitReplicated();
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  /** `redis+cluster://` spec with every node as a seed. */
  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`;
  }

  /** Ports of the current masters that own slots, and the slot ranges each serves. */
  async masters(): Promise<Map<number, [number, number][]>> {
    const out = new Map<number, [number, number][]>();
    const live = this.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
    const slots = (await this.#ask(live[0]!.port, ["cluster", "slots"])) as [
      number,
      number,
      [string, number],
    ][];
    for (const [from, to, [, port]] of slots) out.set(port, [...(out.get(port) ?? []), [from, to]]);
    return out;
  }

  /** The port of the master serving `key` now. */
  async masterOf(key: string): Promise<number> {
    const live = this.nodes.find((n) => n.child.exitCode === null && n.child.signalCode === null)!;
    const slot = Number(await this.#ask(live.port, ["cluster", "keyslot", key]));
    for (const [port, ranges] of await this.masters())
      if (ranges.some(([from, to]) => slot >= from && slot <= to)) return port;
    throw new Error(`no master for slot ${slot}`);
  }

  /** Keys on every master that start with `prefix` (SCAN), summed. */
  async countKeys(prefix: string): Promise<number> {
    let total = 0;
    for (const port of (await this.masters()).keys()) {
      const redis = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
      try {
        await redis.connect();
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
          cursor = next;
          total += keys.length;
        } while (cursor !== "0");
      } finally {
        redis.disconnect();
      }
    }
    return total;
  }

  /** Ports of the replicas of the master on `port` (its INFO replication). */
  async replicasOf(port: number): Promise<number[]> {
    const info = String(await this.#ask(port, ["info", "replication"]));
    return [...info.matchAll(/^slave\d+:.*\bport=(\d+)/gm)].map((m) => Number(m[1]));
  }

  /** SIGKILL one node; resolves once it is gone. */
  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (!node || node.child.exitCode !== null || node.child.signalCode !== null) return;
    const exited = new Promise((resolve) => node.child.once("exit", resolve));
    node.child.kill("SIGKILL");
    await exited;
  }

  /** Every live node reports cluster_state:ok and 3 masters serve all slots. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      "the Redis Cluster to be healthy",
      async () => {
        for (const n of this.nodes) {
          if (n.child.exitCode !== null || n.child.signalCode !== null) continue;
          const info = String(await this.#ask(n.port, ["cluster", "info"]).catch(() => ""));
          if (!/^cluster_state:ok\b/m.test(info)) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  /**
   * Every live replica is synced with its master (master_link_status:up) and every master that
   * serves slots has a replica online: only then can a killed master fail over.
   */
  async waitReplicated(timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      "every Redis Cluster replica to finish its first sync",
      async () => {
        const masters = await this.masters();
        for (const n of this.nodes) {
          if (n.child.exitCode !== null || n.child.signalCode !== null) continue;
          const info = String(await this.#ask(n.port, ["info", "replication"]).catch(() => ""));
          if (/^role:slave\b/m.test(info) && !/^master_link_status:up\b/m.test(info)) return false;
          if (masters.has(n.port) && !/^slave\d+:.*state=online/m.test(info)) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  async dispose(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        if (n.child.exitCode !== null || n.child.signalCode !== null) return;
        const exited = new Promise((resolve) => n.child.once("exit", resolve));
        n.child.kill("SIGKILL");
        await exited;
      }),
    );
    await rm(this.dir, { recursive: true, force: true });
  }

  async #ask(port: number, command: string[]): Promise<unknown> {
    const redis = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    redis.on("error", () => {});
    try {
      await redis.connect();
      return await redis.call(command[0]!, ...command.slice(1));
    } finally {
      redis.disconnect();
    }
  }
}
