/**
 * The peer bench's workloads (docs/benchmarks.md, "Peers"), each run against one target:
 * start its node(s), connect the load, measure, count every copy, stop everything.
 */
import { Samples } from "../histogram.js";
import { CopyCounter } from "./copy-counter.js";
import type { Payload, PeerClient } from "./load-clients.js";
import type { Nodes, ServerName, Target } from "./targets.js";

export const WORKLOADS = ["saturated", "fixed", "channels", "idle", "storm", "cross-node"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export const PEER_DEFAULTS = {
  subscribers: 1_000,
  seconds: 5,
  /** Saturated fan-out: publications in flight (each worker waits for its ack). */
  window: 50,
  /** Fixed rate and cross-node: each publication travels alone. */
  fixedRate: 50,
  channels: 5_000,
  /** Publications per second over all channels of the channels workload, round robin. */
  channelRate: 1_000,
  idleConnections: 19_000,
  /** Idle connections share a channel in groups this large (presence stays modest). */
  idlePerChannel: 20,
  /** Longer than one heartbeat interval (25 s for all three), so idle CPU includes heartbeats. */
  idleSeconds: 26,
  storm: 5_000,
  /** Connection attempts in flight during the connect storm (the listen backlog is 511). */
  stormConcurrency: 500,
  connectConcurrency: 100,
  payloadBytes: 100,
  redisUrl: "redis://127.0.0.1:6379",
  /** Waiting for the last copies after publishing stops; missing ones then count as lost. */
  drainSeconds: 15,
  /** A run that takes longer fails (a stuck server must not hang the bench). */
  runTimeoutSeconds: 300,
} as const;

export type PeerSizes = { -readonly [K in keyof typeof PEER_DEFAULTS]: (typeof PEER_DEFAULTS)[K] };

/** Every figure a run can produce; each workload fills the ones listed in FIGURES. */
export interface Figures {
  deliveriesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Server CPU (all its nodes, user + system) per delivered copy. */
  cpuMicrosPerCopy: number;
  userMicrosPerCopy: number;
  systemMicrosPerCopy: number;
  /** RSS growth per idle subscribed connection, after settling and a forced GC. */
  rssKiBPerConnection: number;
  heapKiBPerConnection: number;
  /** Server CPU while idle (heartbeats only), percent of one core. */
  idleCpuPercent: number;
  /** Wall time until every client was connected and subscribed. */
  connectSeconds: number;
  connectP50Ms: number;
  connectP99Ms: number;
}
export type FigureName = keyof Figures;

const DELIVERY: FigureName[] = [
  "deliveriesPerSecond",
  "latencyP50Ms",
  "latencyP99Ms",
  "cpuMicrosPerCopy",
  "userMicrosPerCopy",
  "systemMicrosPerCopy",
];
export const FIGURES: Record<WorkloadName, FigureName[]> = {
  saturated: DELIVERY,
  fixed: DELIVERY,
  channels: DELIVERY,
  "cross-node": DELIVERY,
  idle: ["rssKiBPerConnection", "heapKiBPerConnection", "idleCpuPercent", "connectSeconds"],
  storm: ["connectSeconds", "connectP50Ms", "connectP99Ms"],
};

export interface RunResult extends Partial<Figures> {
  workload: WorkloadName;
  server: ServerName;
  run: number;
  ok: boolean;
  failure?: string;
  nodes: number;
  connections: number;
  /** Wall time of the whole run: start, load, measure, stop. */
  wallSeconds: number;
  publications: number;
  copies: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

class Run {
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
    const t0 = performance.now();
    await publish();
    await this.drain();
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = this.cpu();
    const copies = Math.max(1, this.counter.copies);
    const perCopy = (s: number) => round((s * 1e6) / copies);
    return {
      deliveriesPerSecond: Math.round(this.counter.copies / seconds),
      latencyP50Ms: round(this.counter.latency.percentile(50), 1),
      latencyP99Ms: round(this.counter.latency.percentile(99), 1),
      userMicrosPerCopy: perCopy(cpu1.user - cpu0.user),
      systemMicrosPerCopy: perCopy(cpu1.system - cpu0.system),
      cpuMicrosPerCopy: perCopy(cpu1.user - cpu0.user + cpu1.system - cpu0.system),
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

type Body = (run: Run) => Promise<{ figures: Partial<Figures>; connections: number }>;

const fanout =
  (rateOrWindow: "fixed" | "saturated"): Body =>
  async (run) => {
    const { sizes } = run;
    const channel = "fanout";
    await run.connect(sizes.subscribers, () => [channel], sizes.connectConcurrency);
    const publisher = await run.publisher();
    await sleep(300);
    run.note("publishing");
    const figures = await run.deliveries(() =>
      rateOrWindow === "fixed"
        ? run.fixedRate(publisher, [channel], sizes.fixedRate, sizes.seconds)
        : run.saturate(publisher, channel, sizes.window, sizes.seconds),
    );
    return { figures, connections: sizes.subscribers };
  };

const BODIES: Record<WorkloadName, { nodes: number; body: Body }> = {
  saturated: { nodes: 1, body: fanout("saturated") },
  fixed: { nodes: 1, body: fanout("fixed") },
  "cross-node": { nodes: 2, body: fanout("fixed") },
  channels: {
    nodes: 1,
    async body(run) {
      const { sizes } = run;
      const channels = Array.from({ length: sizes.channels }, (_, k) => `ch-${k}`);
      // Each channel has exactly 2 subscribers: connection j holds channels 2k and 2k+1 ≡ j.
      const connections = Math.min(sizes.subscribers, 2 * sizes.channels);
      const mine = Array.from({ length: connections }, () => [] as string[]);
      channels.forEach((c, k) => {
        mine[(2 * k) % connections]?.push(c);
        mine[(2 * k + 1) % connections]?.push(c);
      });
      await run.connect(connections, (i) => [...new Set(mine[i])], sizes.connectConcurrency);
      const publisher = await run.publisher();
      await sleep(300);
      run.note("publishing");
      const figures = await run.deliveries(() =>
        run.fixedRate(publisher, channels, sizes.channelRate, sizes.seconds),
      );
      return { figures, connections };
    },
  },
  idle: {
    nodes: 1,
    async body(run) {
      const { sizes } = run;
      const n = sizes.idleConnections;
      const channelOf = (i: number) => `idle-${Math.floor(i / sizes.idlePerChannel)}`;
      await sleep(300);
      const base = await run.memory();
      const { seconds } = await run.connect(n, (i) => [channelOf(i)], sizes.connectConcurrency);
      run.note("settling");
      await sleep(1000);
      const after = await run.memory();
      run.note(`idle ${sizes.idleSeconds} s`);
      const cpu0 = run.cpu();
      await sleep(sizes.idleSeconds * 1000);
      const cpu1 = run.cpu();
      const dropped = run.clients.filter((c) => !c.isOpen()).length;
      if (dropped > 0) throw new Error(`${dropped} idle connections dropped`);
      await run.probe([...new Set(Array.from({ length: n }, (_, i) => channelOf(i)))]);
      const idleCpu = cpu1.user - cpu0.user + cpu1.system - cpu0.system;
      return {
        connections: n,
        figures: {
          rssKiBPerConnection: round((after.rss - base.rss) / n / 1024, 1),
          heapKiBPerConnection: round((after.heapUsed - base.heapUsed) / n / 1024, 1),
          idleCpuPercent: round((idleCpu / sizes.idleSeconds) * 100),
          connectSeconds: round(seconds),
        },
      };
    },
  },
  storm: {
    nodes: 1,
    async body(run) {
      const { sizes } = run;
      await sleep(300);
      const { seconds, times } = await run.connect(sizes.storm, () => ["storm"], sizes.stormConcurrency);
      await run.probe(["storm"]);
      return {
        connections: sizes.storm,
        figures: {
          connectSeconds: round(seconds),
          connectP50Ms: round(times.percentile(50), 1),
          connectP99Ms: round(times.percentile(99), 1),
        },
      };
    },
  },
};

export async function runWorkload(
  workload: WorkloadName,
  target: Target,
  sizes: PeerSizes,
  runNumber: number,
  note: (text: string) => void,
): Promise<RunResult> {
  const { nodes, body } = BODIES[workload];
  const run = new Run(target, sizes, note);
  const result: RunResult = {
    workload,
    server: target.name,
    run: runNumber,
    ok: false,
    nodes,
    connections: 0,
    wallSeconds: 0,
    publications: 0,
    copies: 0,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
  };
  let timer: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  try {
    run.nodes = await target.start(nodes, sizes.redisUrl);
    note(`started in ${Math.round(performance.now() - t0)} ms`);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${sizes.runTimeoutSeconds} s`)),
        sizes.runTimeoutSeconds * 1000,
      );
    });
    const { figures, connections } = await Promise.race([body(run), timeout]);
    Object.assign(result, figures, { connections });
  } catch (err) {
    result.failure = err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
    run.aborted = true;
    for (const client of run.clients) client.close();
    const stopping = performance.now();
    await run.nodes?.stop();
    note(`stopped in ${Math.round(performance.now() - stopping)} ms`);
    result.wallSeconds = round((performance.now() - t0) / 1000);
  }
  const totals = run.counter.totals(run.published);
  result.publications = [...run.published.values()].reduce((a, b) => a + b, 0);
  Object.assign(result, totals);
  if (!result.failure && run.publishErrors > 0) result.failure = `${run.publishErrors} publications failed`;
  if (!result.failure && totals.lost + totals.duplicated + totals.outOfOrder > 0)
    result.failure = `lost ${totals.lost}, duplicated ${totals.duplicated}, out of order ${totals.outOfOrder}`;
  result.ok = !result.failure;
  return result;
}
