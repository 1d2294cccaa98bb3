/**
 * A throwaway Redis Cluster (3 masters + 3 replicas, the test helper's) for measurements. Not a
 * test; run it by hand:
 *
 *   node --import tsx packages/hub/bench/redis-cluster.ts serve
 *     starts the cluster, prints its redis+cluster:// URL, and keeps it until SIGINT/SIGTERM
 *     (e.g. for `switchboard bench --peers --workload cross-node --redis <that URL>`);
 *   node --import tsx packages/hub/bench/redis-cluster.ts dead-master [seconds]
 *     one cluster link with a sharded subscription on a shard whose master and replica are then
 *     killed; a TCP listener on the dead master's port counts the reconnects for `seconds` (60);
 *   node --import tsx packages/hub/bench/redis-cluster.ts appends <redis+cluster://URL> [count] [inFlight]
 *     this process's CPU per append (each delivered live back to it) over 100 channels.
 */

import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { ClusterLink, clusterSeeds } from "../src/brokers/redis/cluster-link.js";
import { RedisBroker } from "../src/brokers/redis/redis-broker.js";
import { PROBE_LINK_OPTIONS, RedisClusterProcess } from "../test/redis-cluster-servers.js";

const mode = process.argv[2] ?? "serve";

async function serve(): Promise<void> {
  const redis = await RedisClusterProcess.start();
  console.log(redis.url);
  const stop = async () => {
    await redis.dispose();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  setInterval(() => {}, 60_000);
}

async function deadMaster(seconds: number): Promise<void> {
  const redis = await RedisClusterProcess.start();
  const topic = "bench:{cluster:dead}:live";
  const victim = await redis.masterOf(topic);
  const replicas = await redis.replicasOf(victim);
  const link = new ClusterLink(clusterSeeds(redis.url), { prefix: "bench", ...PROBE_LINK_OPTIONS });
  await link.connect();
  await link.transport({ receive: () => {}, topics: () => [topic], resync: () => {} }).listen(topic);
  for (const port of replicas) await redis.kill(port);
  await redis.kill(victim);
  let accepts = 0;
  const probe = createServer((socket) => {
    accepts++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => probe.listen(victim, "127.0.0.1", () => resolve()));
  const cpu0 = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${accepts} connects to the dead master in ${seconds} s; this process ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU`,
  );
  await link.close();
  probe.close();
  await redis.dispose();
}

async function appends(url: string, total: number, inFlight: number): Promise<void> {
  const prefix = `sbbench_${randomBytes(3).toString("hex")}`;
  const broker = new RedisBroker({ url, prefix });
  let delivered = 0;
  await broker.start((e) => {
    if (e.type === "pub") delivered++;
  });
  const channels = Array.from({ length: 100 }, (_, i) => `bench:${i}`);
  for (const channel of channels) await broker.subscribe(channel);
  const once = async (count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        await broker.append({
          channel: channels[i % channels.length] ?? "bench:0",
          data: { text: "hello from the sender module", user: "u42", n: i },
          info: { client: "c_bench", user: "u42" },
          history: { size: 1000, ttlSeconds: 300 },
          dedupeSeconds: 300,
        });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  };
  await once(Math.min(2000, total)); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  delivered = 0;
  await once(total);
  const deadline = Date.now() + 10_000;
  while (delivered < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${total} appends, ${inFlight} in flight: ${((cpu.user + cpu.system) / total).toFixed(1)} µs CPU per append, ${Math.round(total / seconds)}/s, ${delivered} delivered`,
  );
  await broker.close();
}

if (mode === "serve") await serve();
else if (mode === "appends")
  await appends(process.argv[3] ?? "", Number(process.argv[4] ?? 5000), Number(process.argv[5] ?? 64));
else await deadMaster(Number(process.argv[3] ?? 60));
