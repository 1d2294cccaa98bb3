/**
 * 2 hub processes over a test-owned Redis Cluster (3 masters + 3 replicas), SDK subscribers and
 * publishers on both nodes, and the master serving the channel SIGKILLed under load. After the
 * failover publishes resume, and every subscriber has every acknowledged publication once, in
 * order — or, where the promoted replica may lack acknowledged writes (a new epoch), it is told
 * (`lost`, i.e. `recovered: false`) and continues from the new epoch without a gap. Never a silent
 * gap, never one offset twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { EngineProcess, REDIS_SERVER, requireService } from "../engine-servers.js";
import { RedisClusterProcess } from "../redis-cluster-servers.js";
import {
  closeAll,
  Publishers,
  type Received,
  type SubscriberProbe,
  startSubscribers,
  streamProblem,
} from "./cluster-load.js";
import { eventually, HubCluster, runPrefix } from "./hub-cluster.js";

const SUBSCRIBERS = 20;

describe.runIf(requireService(EngineProcess.available(REDIS_SERVER), REDIS_SERVER))(
  "2 hubs over a Redis Cluster that loses a master",
  () => {
    let redis: RedisClusterProcess | undefined;
    let hubs: HubCluster | undefined;
    let probes: SubscriberProbe[] = [];
    let publishers: Publishers | undefined;
    afterEach(async () => {
      closeAll(probes);
      publishers?.close();
      await hubs?.dispose();
      await redis?.dispose();
    });

    it("resumes after the failover; subscribers miss nothing silently and see no offset twice", async () => {
      redis = await RedisClusterProcess.start();
      const prefix = runPrefix("rc");
      hubs = await HubCluster.start({ nodes: 2, broker: redis.url, prefix });
      const channel = "cluster:failover";
      const victim = await redis.masterOf(`${prefix}:{${channel}}:meta`);
      probes = await startSubscribers(hubs, channel, SUBSCRIBERS);
      const pubs = new Publishers(hubs, channel, [0, 1]);
      publishers = pubs;
      pubs.start(Number.POSITIVE_INFINITY, 5);
      await eventually("30 acknowledged publications", () => pubs.count >= 30, 20_000);
      await redis.kill(victim);
      const killedAt = Date.now();
      const atKill = pubs.count;
      const detail = () =>
        `(${pubs.count - atKill}; ${pubs.errors.slice(-3).join("; ")}; ${hubs?.nodes.map((n) => `${n.name} running=${n.running} ${n.stderr.slice(-800)}`).join(" | ")})`;
      await eventually(
        "an acknowledged publication after the failover",
        () => pubs.count > atKill,
        40_000,
        detail,
      );
      console.info(`failover: appends stalled ${Date.now() - killedAt} ms after the master kill`);
      await eventually(
        "30 more acknowledged publications after the failover",
        () => pubs.count >= atKill + 30,
        30_000,
        detail,
      );
      await pubs.stop();
      const fence = await pubs.fence();
      expect(pubs.errors).toEqual([]);
      await eventually(
        "every subscriber to receive the fence",
        () =>
          probes.every((p) => p.received.some((r) => r.epoch === fence.epoch && r.offset === fence.offset)),
        30_000,
      );

      const epochs = pubs.epochs();
      expect(epochs.at(-1)).toBe(fence.epoch);
      expect(epochs.length).toBeLessThanOrEqual(2);
      const problems: string[] = [];
      for (const p of probes) problems.push(...check(p, epochs, pubs));
      expect(problems.slice(0, 10)).toEqual([]);
    }, 90_000);
  },
);

/**
 * Per epoch, in the order the subscriber met them: each earlier epoch contiguous from where it
 * started with the acknowledged data, then a `lost` event for the next one; the last epoch
 * contiguous up to the last acknowledged publication.
 */
function check(p: SubscriberProbe, epochs: readonly string[], pubs: Publishers): string[] {
  const out: string[] = [];
  const segments: { epoch: string; received: Received[] }[] = [];
  for (const r of p.received) {
    const last = segments.at(-1);
    if (last?.epoch === r.epoch) last.received.push(r);
    else if (segments.some((s) => s.epoch === r.epoch))
      out.push(`subscriber ${p.index}: back in epoch ${r.epoch}`);
    else segments.push({ epoch: r.epoch, received: [r] });
  }
  for (const [i, segment] of segments.entries()) {
    if (!epochs.includes(segment.epoch)) out.push(`subscriber ${p.index}: unknown epoch ${segment.epoch}`);
    const acked = pubs.inEpoch(segment.epoch);
    const told = i === 0 ? undefined : [...p.lost].reverse().find((l) => l.epoch === segment.epoch);
    if (i > 0 && !told) out.push(`subscriber ${p.index}: epoch ${segment.epoch} without a lost event`);
    const from = i === 0 ? (segment.received[0]?.offset ?? 1) - 1 : (told?.offset ?? 0);
    const last = i === segments.length - 1;
    // An earlier epoch ends where the failover cut it: contiguous up to what it received.
    const top = last ? undefined : (segment.received.at(-1)?.offset ?? 0);
    const problem = streamProblem(segment.received, acked, from, top);
    if (problem) out.push(`subscriber ${p.index}, epoch ${i + 1}: ${problem}`);
  }
  return out;
}
