/**
 * One run of one workload against one target: its nodes, its clients, the copy counter, and the
 * measuring steps the workloads are made of (connect, publish at a rate or saturated, drain).
 */
import { readFileSync } from "node:fs";
import { Samples } from "../histogram.js";
import { CopyCounter } from "./copy-counter.js";
import type { Payload, PeerClient } from "./load-clients.js";
import type { Figures, PeerSizes } from "./peer-sizes.js";
import type { Nodes, Target } from "./targets.js";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, digits = 2) => Number(n.toFixed(digits));

export class Run {
  clients: PeerClient[] = [];
  counter = new CopyCounter();
  published = new Map<string, number>();
  publishErrors = 0;
  aborted = false;
  nodes: Nodes | undefined;
  private pad: string;

  constructor(
    readonly target: Target,
    readonly sizes: PeerSizes,
    readonly note: (text: string) => void,
  ) {
    this.pad = "x".repeat(Math.max(0, sizes.payloadBytes - 40));
  }

  get processes() {
    return this.nodes?.processes ?? [];
  }

  cpu(): { user: number; system: number } {
    const all = this.processes.map((p) => p.cpuTimes());
    return { user: all.reduce((n, c) => n + c.user, 0), system: all.reduce((n, c) => n + c.system, 0) };
  }

  /** Write syscalls of every node so far (`/proc/<pid>/io` syscw; 0 where unreadable). */
  writes(): number {
    let total = 0;
    for (const p of this.processes) {
      try {
        total += Number(/^syscw: (\d+)/m.exec(readFileSync(`/proc/${p.pid}/io`, "utf8"))?.[1] ?? 0);
      } catch {}
    }
    return total;
  }

  async memory(): Promise<{ rss: number; heapUsed: number }> {
    const all = await Promise.all(this.processes.map((p) => p.memoryAfterGc()));
    return { rss: all.reduce((n, m) => n + m.rss, 0), heapUsed: all.reduce((n, m) => n + m.heapUsed, 0) };
  }

  /** Connects `count` clients (client i to node i mod nodes), each subscribed to `channelsOf(i)`. */
  async connect(count: number, channelsOf: (i: number) => string[], concurrency: number) {
    const urls = this.processes.map((p) => p.url);
    const times = new Samples();
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < count && !this.aborted) {
        const i = next++;
        const started = performance.now();
        const channels = channelsOf(i);
        const client = await this.target.connect(
          urls[i % urls.length] ?? "",
          this.counter.subscriber(channels),
        );
        this.clients.push(client);
        await Promise.all(channels.map((c) => client.subscribe(c)));
        times.add(performance.now() - started);
        if (this.clients.length % 500 === 0) this.note(`connected ${this.clients.length}/${count}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return { seconds: (performance.now() - t0) / 1000, times };
  }

  async publisher(): Promise<PeerClient> {
    const client = await this.target.connect(this.processes[0]?.url ?? "", () => undefined);
    this.clients.push(client);
    return client;
  }

  payload(channel: string): Payload {
    const s = this.published.get(channel) ?? 0;
    this.published.set(channel, s + 1);
    return { s, t: performance.now(), p: this.pad };
  }

  publish(client: PeerClient, channel: string): Promise<void> {
    return client.publish(channel, this.payload(channel)).catch(() => void this.publishErrors++);
  }

  /** Waits until every expected copy arrived (or the drain deadline passed). */
  async drain(): Promise<void> {
    const expected = this.counter.expected(this.published);
    const deadline = performance.now() + this.sizes.drainSeconds * 1000;
    while (this.counter.copies - this.counter.duplicated < expected && performance.now() < deadline) {
      if (this.aborted) return;
      await sleep(10);
    }
  }

  /** Publishes `rate`/s for `seconds`, round robin over `channels`, without waiting for acks. */
  async fixedRate(client: PeerClient, channels: string[], rate: number, seconds: number) {
    const acks: Promise<void>[] = [];
    const t0 = performance.now();
    let sent = 0;
    const total = Math.round(rate * seconds);
    while (sent < total && !this.aborted) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      while (sent < due) acks.push(this.publish(client, channels[sent++ % channels.length] ?? ""));
      await sleep(Math.max(1, t0 + (sent * 1000) / rate - performance.now()));
    }
    await Promise.all(acks);
  }

  /** Keeps `window` publications in flight on one channel for `seconds`. */
  async saturate(client: PeerClient, channel: string, window: number, seconds: number) {
    const deadline = performance.now() + seconds * 1000;
    const worker = async () => {
      while (performance.now() < deadline && !this.aborted) await this.publish(client, channel);
    };
    await Promise.all(Array.from({ length: window }, worker));
  }

  /** Runs `publish`, drains, and returns the delivery figures over that window. */
  async deliveries(publish: () => Promise<void>): Promise<Partial<Figures>> {
    const cpu0 = this.cpu();
    const writes0 = this.writes();
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    await publish();
    await this.drain();
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = this.cpu();
    const writes = this.writes() - writes0;
    const own = process.cpuUsage(own0);
    const copies = Math.max(1, this.counter.copies);
    const perCopy = (s: number) => round((s * 1e6) / copies);
    return {
      deliveriesPerSecond: Math.round(this.counter.copies / seconds),
      latencyP50Ms: round(this.counter.latency.percentile(50), 1),
      latencyP99Ms: round(this.counter.latency.percentile(99), 1),
      userMicrosPerCopy: perCopy(cpu1.user - cpu0.user),
      systemMicrosPerCopy: perCopy(cpu1.system - cpu0.system),
      cpuMicrosPerCopy: perCopy(cpu1.user - cpu0.user + cpu1.system - cpu0.system),
      writesPerCopy: round(writes / copies, 3),
      loadGeneratorCpuPercent: round((own.user + own.system) / 1e4 / seconds, 1),
    };
  }

  /** One publication to each channel, to check the idle/storm subscriptions still deliver. */
  async probe(channels: string[]): Promise<void> {
    const client = await this.publisher();
    this.counter.measuring = false;
    await Promise.all(channels.map((c) => this.publish(client, c)));
    await this.drain();
  }
}
