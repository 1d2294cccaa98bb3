/**
 * Scale-out, end to end: 3 hub processes over the shared Redis / NATS, 300 subscribers (our
 * client SDK) spread over them, a publisher on every node awaiting every ack. One hub is
 * SIGKILLed mid-stream; its clients fail over to the others and resume with `since`. At the end
 * every subscriber holds every acknowledged publication exactly once, in offset order, with the
 * acknowledged data — and nothing that was not acknowledged.
 */
import { afterEach, describe, expect, it } from "vitest";
import { reachable, requireService } from "../engine-servers.js";
import {
  closeAll,
  Publishers,
  type SubscriberProbe,
  startSubscribers,
  streamProblem,
} from "./cluster-load.js";
import { eventually, HubCluster } from "./hub-cluster.js";

const ENGINES = [
  { name: "redis", url: "redis://127.0.0.1:6379", port: 6379 },
  { name: "nats", url: "nats://127.0.0.1:4222", port: 4222 },
] as const;

const SUBSCRIBERS = 300;
const PER_PUBLISHER = 100;
const VICTIM = 1; // hub-2

for (const engine of ENGINES) {
  const up = requireService(await reachable(engine.port), `${engine.name} at ${engine.url}`);
  describe.runIf(up)(`3 hubs over ${engine.name}`, () => {
    let cluster: HubCluster | undefined;
    let probes: SubscriberProbe[] = [];
    let publishers: Publishers | undefined;
    afterEach(async () => {
      closeAll(probes);
      publishers?.close();
      await cluster?.dispose();
    });

    it("delivers every acknowledged publication once, in order, to 300 subscribers across a SIGKILL of one hub", async () => {
      cluster = await HubCluster.start({ nodes: 3, broker: engine.url });
      const channel = "cluster:scale-out";
      probes = await startSubscribers(cluster, channel, SUBSCRIBERS);
      const pubs = new Publishers(cluster, channel, [0, 1, 2]);
      publishers = pubs;
      const victim = cluster.node(VICTIM);
      pubs.start(PER_PUBLISHER);

      const total = 3 * PER_PUBLISHER;
      await eventually(
        "a third of the publications to be acknowledged",
        () => pubs.count >= total / 3,
        30_000,
      );
      await victim.kill();
      const ackedAtKill = pubs.count;
      await pubs.done();
      const fence = await pubs.fence();

      expect(pubs.errors).toEqual([]);
      expect(ackedAtKill).toBeLessThan(total);
      expect(pubs.epochs()).toEqual([fence.epoch]);
      const acked = pubs.inEpoch(fence.epoch);
      // Offsets 1..301, each acknowledged once: retried publishes were deduplicated, not re-appended.
      expect(acked.size).toBe(total + 1);
      expect(fence.offset).toBe(total + 1);

      await eventually(
        "every subscriber to receive the fence (the last publication)",
        () => probes.every((p) => p.received.some((r) => r.offset === fence.offset)),
        30_000,
        () => `(${probes.filter((p) => !p.received.some((r) => r.offset === fence.offset)).length} behind)`,
      );
      // The victim's clients really moved: each was on hub-2, then on another node.
      const moved = probes.filter((p) => p.home === VICTIM);
      expect(moved.length).toBe(SUBSCRIBERS / 3);
      for (const p of moved)
        expect([p.nodes[0], p.nodes.at(-1) !== victim.name]).toEqual([victim.name, true]);

      const problems = probes.flatMap((p) => {
        const problem = streamProblem(p.received, acked);
        const lost =
          p.lost.length > 0
            ? `lost ${JSON.stringify(p.lost)} after subscribed ${JSON.stringify(p.subscribed)}`
            : undefined;
        return [problem, lost]
          .filter((x) => x !== undefined)
          .map((x) => `subscriber ${p.index} (home hub-${p.home + 1}, nodes ${p.nodes.join("→")}): ${x}`);
      });
      expect(problems.slice(0, 10)).toEqual([]);
    }, 90_000);
  });
}
