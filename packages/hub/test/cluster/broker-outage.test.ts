/**
 * The broker dies for 2 s under load: 2 hub processes over a test-owned Redis / NATS (its own
 * process on a free port — never the shared one), SDK subscribers and publishers on both nodes.
 * While the engine is down every node's /readyz answers 503 and a publish is answered
 * `UNAVAILABLE` (checked on the raw protocol; the SDK retries such publishes under the same key
 * until they are acknowledged). After the restart /readyz is 200 again and nothing acknowledged
 * is lost or doubled:
 * - NATS keeps its store (-sd): same epoch, every subscriber has every acked publication once.
 * - Redis comes back EMPTY (--save "" --appendonly no): its history is gone, so the channel gets a
 *   new epoch and every subscriber is told (`lost`, i.e. `recovered: false`) instead of being
 *   silently given a partial stream; from there on it has every acknowledged publication once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { EngineProcess, NATS_SERVER, REDIS_SERVER, requireService } from "../engine-servers.js";
import { RawClient } from "../raw-client.js";
import {
  closeAll,
  Publishers,
  type Received,
  type SubscriberProbe,
  startSubscribers,
  streamProblem,
} from "./cluster-load.js";
import { eventually, HubCluster, httpText } from "./hub-cluster.js";

const ENGINES = [
  { name: "redis", binary: REDIS_SERVER, start: () => EngineProcess.redis(), keepsData: false },
  { name: "nats", binary: NATS_SERVER, start: () => EngineProcess.nats(), keepsData: true },
] as const;

const OUTAGE_MS = 2000;
const SUBSCRIBERS = 40;

/** Sum of `switchboard_errors_total{code="UNAVAILABLE"}` over the nodes' /metrics. */
async function unavailableReplies(cluster: HubCluster): Promise<number> {
  let sum = 0;
  for (const node of cluster.nodes) {
    const text = await httpText(`${node.httpUrl}/metrics`);
    const match = /^switchboard_errors_total\{code="UNAVAILABLE"\} (\d+)/m.exec(text);
    sum += Number(match?.[1] ?? 0);
  }
  return sum;
}

for (const engine of ENGINES) {
  const available = requireService(EngineProcess.available(engine.binary), engine.binary);
  describe.runIf(available)(`2 hubs over a ${engine.name} that dies for 2 s`, () => {
    let server: EngineProcess | undefined;
    let cluster: HubCluster | undefined;
    let probes: SubscriberProbe[] = [];
    let publishers: Publishers | undefined;
    let raw: RawClient | undefined;
    afterEach(async () => {
      raw?.close();
      closeAll(probes);
      publishers?.close();
      await cluster?.dispose();
      await server?.dispose();
    });

    it("answers UNAVAILABLE and /readyz 503 while it is down, then loses nothing acknowledged", async () => {
      server = await engine.start();
      await server.start();
      cluster = await HubCluster.start({ nodes: 2, broker: server.url });
      const nodes = cluster.nodes;
      const channel = "cluster:outage";
      probes = await startSubscribers(cluster, channel, SUBSCRIBERS);
      const pubs = new Publishers(cluster, channel, [0, 1]);
      publishers = pubs;
      raw = await RawClient.connect(cluster.node(0).url);
      for (const node of nodes) expect(await node.readyzStatus()).toBe(200);
      const unavailableBefore = await unavailableReplies(cluster);

      pubs.start(Number.POSITIVE_INFINITY, 5);
      await eventually("30 acknowledged publications", () => pubs.count >= 30, 20_000);
      const downAt = Date.now();
      await server.kill();
      await Promise.all(nodes.map((node) => node.waitReadyz(503, 10_000)));
      const ackedWhileDown = pubs.count;
      const rejected = await raw.request({ type: "publish", channel, data: "raw", key: "raw-1" });
      expect(rejected).toMatchObject({ type: "error", code: "UNAVAILABLE" });
      // The outage lasts OUTAGE_MS in all (the scenario, not a wait for a condition).
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
      expect(pubs.count).toBe(ackedWhileDown);

      await server.start();
      await Promise.all(nodes.map((node) => node.waitReadyz(200, 15_000)));
      // The raw client's retry under the same key is appended now — once.
      const retried = await raw.request({ type: "publish", channel, data: "raw", key: "raw-1" }, 10_000);
      expect(retried).toMatchObject({ type: "published" });
      const again = await raw.request({ type: "publish", channel, data: "raw", key: "raw-1" }, 10_000);
      expect(again).toMatchObject({ type: "published", epoch: retried.epoch, offset: retried.offset });
      await eventually("30 more acknowledged publications", () => pubs.count >= ackedWhileDown + 30, 20_000);
      await pubs.stop();
      const fence = await pubs.fence();
      pubs.acked.set(`${retried.epoch}:${retried.offset}`, {
        epoch: String(retried.epoch),
        offset: Number(retried.offset),
        data: "raw",
      });

      expect(pubs.errors).toEqual([]);
      // The SDK publishers were answered UNAVAILABLE too, and retried until acknowledged.
      expect((await unavailableReplies(cluster)) - unavailableBefore).toBeGreaterThan(1);
      await eventually(
        "every subscriber to receive the fence",
        () =>
          probes.every((p) => p.received.some((r) => r.epoch === fence.epoch && r.offset === fence.offset)),
        30_000,
      );

      const epochs = pubs.epochs();
      const problems: string[] = [];
      if (engine.keepsData) {
        expect(epochs).toEqual([fence.epoch]);
        const acked = pubs.inEpoch(fence.epoch);
        expect(Math.max(...acked.keys())).toBe(acked.size); // offsets 1..n, each acknowledged once
        for (const p of probes) {
          const problem = streamProblem(p.received, acked);
          if (problem) problems.push(`subscriber ${p.index}: ${problem}`);
          if (p.lost.length > 0) problems.push(`subscriber ${p.index}: lost ${JSON.stringify(p.lost)}`);
        }
      } else {
        // The first epoch's acks came before the outage; the restarted, empty Redis began another.
        expect(epochs).toHaveLength(2);
        const [before, after] = epochs as [string, string];
        expect(after).toBe(fence.epoch);
        const ackedBefore = pubs.inEpoch(before);
        const ackedAfter = pubs.inEpoch(after);
        expect(Math.max(...ackedAfter.keys())).toBe(ackedAfter.size);
        for (const p of probes) problems.push(...epochChange(p, before, ackedBefore, after, ackedAfter));
      }
      expect(problems.slice(0, 10)).toEqual([]);
    }, 90_000);
  });
}

/**
 * After an epoch change a subscriber must have: the old epoch contiguous from 1 with the acked
 * data; a `lost` event telling it; the new epoch contiguous from the position `lost` gave it up to
 * the last acknowledged publication.
 */
function epochChange(
  p: SubscriberProbe,
  before: string,
  ackedBefore: ReadonlyMap<number, string>,
  after: string,
  ackedAfter: ReadonlyMap<number, string>,
): string[] {
  const out: string[] = [];
  const old: Received[] = [];
  const fresh: Received[] = [];
  for (const r of p.received) {
    if (r.epoch === before && fresh.length === 0) old.push(r);
    else if (r.epoch === after) fresh.push(r);
    else out.push(`subscriber ${p.index}: ${r.epoch}:${r.offset} out of place`);
  }
  const oldTop = old.at(-1)?.offset ?? 0;
  // Up to where it got before the outage (a publication appended just before the kill may have
  // lost its ack with Redis and been published again, acknowledged, in the new epoch).
  const oldProblem = streamProblem(old, ackedBefore, 0, oldTop);
  if (oldProblem) out.push(`subscriber ${p.index}, old epoch: ${oldProblem}`);
  const told = [...p.lost].reverse().find((l) => l.epoch === after);
  if (!told) out.push(`subscriber ${p.index}: never told the history was lost (${JSON.stringify(p.lost)})`);
  const newProblem = streamProblem(fresh, ackedAfter, told?.offset ?? 0);
  if (newProblem) out.push(`subscriber ${p.index}, new epoch after lost at ${told?.offset}: ${newProblem}`);
  return out;
}
