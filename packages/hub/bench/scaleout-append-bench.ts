/**
 * Append throughput and latency of the Redis and NATS brokers against the shared services
 * (127.0.0.1:6379, 127.0.0.1:4222), every append also delivered live to this process. Not a
 * test; run it by hand:
 *
 *   node --import tsx packages/hub/bench/scaleout-append-bench.ts [redis|nats|both] [appendsPerCase]
 */
import { randomBytes } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import type { Broker } from "../src/brokers/broker.js";
import { NatsBroker } from "../src/brokers/nats/nats-broker.js";
import { RedisBroker } from "../src/brokers/redis/redis-broker.js";

const which = process.argv[2] ?? "both";
const TOTAL = Number(process.argv[3] ?? 10_000);
const HISTORY = { size: 1000, ttlSeconds: 300 };

interface Case {
  inFlight: number;
  channels: number;
  keyed: boolean;
}
const cases: Case[] = [
  { inFlight: 1, channels: 1, keyed: true },
  { inFlight: 64, channels: 1, keyed: true },
  { inFlight: 256, channels: 100, keyed: true },
  { inFlight: 256, channels: 100, keyed: false },
];

async function dropRedis(prefix: string): Promise<void> {
  const redis = new Redis("redis://127.0.0.1:6379");
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
  redis.disconnect();
}

async function dropNats(prefix: string): Promise<void> {
  const nc = await connect({ servers: "127.0.0.1:4222" });
  const jsm = await jetstreamManager(nc);
  for (const s of [`${prefix}_history`, `KV_${prefix}_members`, `KV_${prefix}_dedupe`]) {
    await jsm.streams.delete(s).catch(() => false);
  }
  await nc.close();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function run(make: () => Broker, c: Case) {
  const broker = make();
  let delivered = 0;
  await broker.start((e) => {
    if (e.type === "pub") delivered++;
  });
  const run = randomBytes(3).toString("hex");
  for (let ch = 0; ch < c.channels; ch++) await broker.subscribe(`bench:${run}-${ch}`);
  const latencies: number[] = [];
  let next = 0;
  const data = { text: "hello from the sender module", user: "u42", n: 0 };
  async function worker(): Promise<void> {
    while (next < TOTAL) {
      const i = next++;
      const t0 = performance.now();
      await broker.append({
        channel: `bench:${run}-${i % c.channels}`,
        data: { ...data, n: i },
        info: { client: "c_bench", user: "u42" },
        ...(c.keyed ? { key: `k-${i}` } : {}),
        history: HISTORY,
        dedupeSeconds: 300,
      });
      latencies.push(performance.now() - t0);
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: c.inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  const deadline = Date.now() + 10_000;
  while (delivered < TOTAL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await broker.close();
  latencies.sort((a, b) => a - b);
  return {
    rate: Math.round(TOTAL / seconds),
    p50: percentile(latencies, 50).toFixed(2),
    p99: percentile(latencies, 99).toFixed(2),
    delivered,
  };
}

const brokers: [string, (prefix: string) => Broker, (prefix: string) => Promise<void>][] = [
  ["redis", (prefix) => new RedisBroker({ url: "redis://127.0.0.1:6379", prefix }), dropRedis],
  ["nats", (prefix) => new NatsBroker({ servers: "nats://127.0.0.1:4222", prefix }), dropNats],
];
console.log(
  `${TOTAL} appends per case, ~150-byte payloads, history size ${HISTORY.size}, all delivered live`,
);
console.log("broker | in flight | channels | keyed | appends/s | p50 ms | p99 ms | delivered");
for (const [name, make, drop] of brokers) {
  if (which !== "both" && which !== name) continue;
  const prefix = `sbbench_${randomBytes(3).toString("hex")}`;
  try {
    await run(() => make(prefix), { inFlight: 64, channels: 10, keyed: true }); // warm-up (JIT, connections)
    for (const c of cases) {
      const r = await run(() => make(prefix), c);
      console.log(
        [name, c.inFlight, c.channels, c.keyed, r.rate, r.p50, r.p99, `${r.delivered}/${TOTAL}`].join(" | "),
      );
    }
  } finally {
    await drop(prefix);
  }
}
