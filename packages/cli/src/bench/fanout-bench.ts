/**
 * Fan-out benchmark: one channel, N subscribers, a publisher at a fixed rate, then flat out.
 * Reports deliveries/s, end-to-end latency p50/p99 (publish → subscriber receive), hub CPU per
 * delivery and hub memory per idle connection. The hub runs in its own process.
 *
 * With `nodes` > 1 (Redis or NATS only) it is the cross-node fan-out: that many hub processes
 * over the broker, subscribers split evenly across them, the publisher on the first, so most
 * deliveries cross the broker. CPU and memory are then the sum over all hub processes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadSocket, openSocket } from "./bench-client.js";
import { Samples } from "./histogram.js";
import { type HubProcess, spawnHub } from "./hub-process.js";

export interface FanoutOptions {
  subscribers: number;
  rate: number;
  seconds: number;
  broker: string;
  payloadBytes: number;
  /** Hub processes (> 1 needs a Redis or NATS broker). */
  nodes: number;
  log: (line: string) => void;
}

export interface FanoutResult {
  scenario: string;
  nodes: number;
  subscribers: number;
  publishRate: number;
  publishes: number;
  deliveries: number;
  deliveriesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  hubCpuMicrosPerDelivery: number;
  hubRssMiB: number;
  /** RSS growth per subscribed idle connection, after a forced GC. */
  bytesPerIdleConnection: number;
  /** JS heap growth per subscribed idle connection, after a forced GC. */
  heapBytesPerIdleConnection: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runFanout(options: FanoutOptions): Promise<FanoutResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "sb-bench-"));
  const hubs: HubProcess[] = [];
  const channel = `bench:fanout-${Date.now()}`;
  const sockets: LoadSocket[] = [];
  const cpuSeconds = () => hubs.reduce((sum, h) => sum + h.cpuSeconds(), 0);
  const rssBytes = () => hubs.reduce((sum, h) => sum + h.rssBytes(), 0);
  /** Memory summed over the hubs, each measured after a forced full GC. */
  const memory = async () => {
    const all = await Promise.all(hubs.map((h) => h.memoryAfterGc()));
    return { rss: all.reduce((n, m) => n + m.rss, 0), heapUsed: all.reduce((n, m) => n + m.heapUsed, 0) };
  };
  try {
    for (let n = 1; n <= options.nodes; n++)
      hubs.push(
        await spawnHub([
          "--data",
          join(dataDir, `hub-${n}`),
          "--broker",
          options.broker,
          "--node",
          `bench-${n}`,
        ]),
      );
    const first = hubs[0] as HubProcess;
    await sleep(300);
    const base = await memory();
    let delivered = 0;
    let measuring = false;
    let latency = new Samples();
    const onPub = (frame: { data: unknown }) => {
      delivered++;
      if (measuring) latency.add(Date.now() - (frame.data as { t: number }).t);
    };
    for (let i = 0; i < options.subscribers; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, options.subscribers - i) }, (_, j) =>
          openSocket((hubs[(i + j) % hubs.length] as HubProcess).url, onPub),
        ),
      );
      await Promise.all(batch.map((s) => s.request({ type: "subscribe", channel })));
      sockets.push(...batch);
      if (i % 250 === 0) options.log(`connected ${sockets.length}/${options.subscribers}`);
    }
    await sleep(500);
    const idle = await memory();
    const perConnection = (field: "rss" | "heapUsed") =>
      Math.round((idle[field] - base[field]) / options.subscribers);
    const bytesPerIdleConnection = perConnection("rss");
    const heapBytesPerIdleConnection = perConnection("heapUsed");
    options.log(
      `idle: ${(bytesPerIdleConnection / 1024).toFixed(1)} KiB RSS, ${(heapBytesPerIdleConnection / 1024).toFixed(1)} KiB JS heap per subscribed connection (after GC)`,
    );
    const publisher = await openSocket(first.url, () => undefined);
    const pad = "x".repeat(Math.max(0, options.payloadBytes - 30));
    const results: FanoutResult[] = [];

    const phase = async (scenario: string, rate: number | "max"): Promise<void> => {
      delivered = 0;
      latency = new Samples();
      measuring = true;
      const cpu0 = cpuSeconds();
      const t0 = performance.now();
      const deadline = t0 + options.seconds * 1000;
      let publishes = 0;
      if (rate === "max") {
        // Keep a window of publishes in flight: the hub's throughput, not our pacing, sets the rate.
        const window = 32;
        const worker = async () => {
          while (performance.now() < deadline) {
            publishes++;
            await publisher.request({ type: "publish", channel, data: { t: Date.now(), pad } });
          }
        };
        await Promise.all(Array.from({ length: window }, worker));
      } else {
        const interval = 1000 / rate;
        let next = t0;
        while (performance.now() < deadline) {
          publisher.ws.send(
            JSON.stringify({ type: "publish", id: 1e9 + publishes, channel, data: { t: Date.now(), pad } }),
          );
          publishes++;
          next += interval;
          const wait = next - performance.now();
          if (wait > 0) await sleep(wait);
          else if (publishes % 20 === 0) await new Promise((r) => setImmediate(r));
        }
      }
      const expected = publishes * options.subscribers;
      const drainDeadline = performance.now() + 30_000;
      while (delivered < expected && performance.now() < drainDeadline) await sleep(20);
      const elapsed = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds() - cpu0;
      measuring = false;
      const result: FanoutResult = {
        scenario,
        nodes: options.nodes,
        subscribers: options.subscribers,
        publishRate: Math.round(publishes / options.seconds),
        publishes,
        deliveries: delivered,
        deliveriesPerSecond: Math.round(delivered / elapsed),
        latencyP50Ms: latency.percentile(50),
        latencyP99Ms: latency.percentile(99),
        hubCpuMicrosPerDelivery: delivered > 0 ? Number(((cpu * 1e6) / delivered).toFixed(2)) : Number.NaN,
        hubRssMiB: Math.round(rssBytes() / 1048576),
        bytesPerIdleConnection,
        heapBytesPerIdleConnection,
      };
      if (delivered < expected)
        options.log(`WARNING: ${expected - delivered} deliveries missing in ${scenario}`);
      options.log(
        `${scenario}: ${result.deliveriesPerSecond} deliveries/s, p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms, ${result.hubCpuMicrosPerDelivery} µs hub CPU per delivery`,
      );
      results.push(result);
    };
    await phase(`fixed ${options.rate}/s`, options.rate);
    await phase("max", "max");
    publisher.ws.terminate();
    return results;
  } finally {
    for (const s of sockets) s.ws.terminate();
    await Promise.all(hubs.map((h) => h.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
