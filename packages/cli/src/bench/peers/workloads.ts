/**
 * The peer bench's workloads (docs/benchmarks.md, "Peers"), each run against one target:
 * start its node(s), connect the load, measure, count every copy, stop everything.
 */
import { Run, round, sleep } from "./peer-run.js";
import type { FigureName, Figures, PeerSizes } from "./peer-sizes.js";
import type { ServerName, Target } from "./targets.js";

export const WORKLOADS = ["saturated", "fixed", "channels", "idle", "storm", "cross-node"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

const DELIVERY: FigureName[] = [
  "deliveriesPerSecond",
  "latencyP50Ms",
  "latencyP99Ms",
  "cpuMicrosPerCopy",
  "userMicrosPerCopy",
  "systemMicrosPerCopy",
  "writesPerCopy",
  "loadGeneratorCpuPercent",
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
      // Idle CPU before the memory figure: the two full GCs it forces (and the sweeping that
      // follows them) are the bench's work, not the server's, and would land in the idle window.
      run.note(`idle ${sizes.idleSeconds} s`);
      const cpu0 = run.cpu();
      await sleep(sizes.idleSeconds * 1000);
      const cpu1 = run.cpu();
      const after = await run.memory();
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
