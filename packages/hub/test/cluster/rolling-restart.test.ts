/**
 * A rolling restart under load: 3 hub processes over the shared Redis / NATS; one at a time each
 * node gets SIGTERM (it drains: `disconnect` 4100 to every client, exit 0), is started again on
 * its port, and must answer /readyz 200 before the next one goes. Subscribers and publishers (our
 * SDK) move to the other nodes and back; at the end every subscriber has every acknowledged
 * publication exactly once, in order, and no publication was appended twice.
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

const SUBSCRIBERS = 90;

for (const engine of ENGINES) {
  const up = requireService(await reachable(engine.port), `${engine.name} at ${engine.url}`);
  describe.runIf(up)(`rolling restart of 3 hubs over ${engine.name}`, () => {
    let cluster: HubCluster | undefined;
    let probes: SubscriberProbe[] = [];
    let publishers: Publishers | undefined;
    afterEach(async () => {
      closeAll(probes);
      publishers?.close();
      await cluster?.dispose();
    });

    it("loses nothing and delivers nothing twice while every node drains and restarts in turn", async () => {
      cluster = await HubCluster.start({ nodes: 3, broker: engine.url });
      const channel = "cluster:rolling";
      probes = await startSubscribers(cluster, channel, SUBSCRIBERS);
      const pubs = new Publishers(cluster, channel, [0, 1, 2]);
      publishers = pubs;
      pubs.start(Number.POSITIVE_INFINITY, 5);
      await eventually("20 acknowledged publications", () => pubs.count >= 20, 20_000);

      for (const node of cluster.nodes) {
        expect(await node.stop()).toBe(0);
        await node.start();
        await node.waitReadyz(200);
        const count = pubs.count;
        // Load goes on between restarts: the others keep acknowledging while this one is back.
        await eventually(`20 more acks after ${node.name} restarted`, () => pubs.count >= count + 20, 20_000);
      }
      await pubs.stop();
      const fence = await pubs.fence();

      expect(pubs.errors).toEqual([]);
      expect(pubs.epochs()).toEqual([fence.epoch]);
      const acked = pubs.inEpoch(fence.epoch);
      expect(fence.offset).toBe(acked.size); // offsets 1..n, each appended once
      for (const node of cluster.nodes) expect(node.starts).toBe(2);
      // Every node's first clients were drained with 4100 (not cut off).
      for (let home = 0; home < 3; home++) {
        const drained = probes.filter((p) => p.home === home && p.closes.includes(4100));
        expect(drained.length, `subscribers of hub-${home + 1} drained with 4100`).toBe(SUBSCRIBERS / 3);
      }
      await eventually(
        "every subscriber to receive the fence",
        () => probes.every((p) => p.received.some((r) => r.offset === fence.offset)),
        30_000,
      );
      const problems = probes.flatMap((p) => {
        const where = `subscriber ${p.index} (nodes ${p.nodes.join("→")}, closes ${p.closes.join(",")})`;
        const problem = streamProblem(p.received, acked);
        return [
          ...(problem ? [`${where}: ${problem}`] : []),
          ...(p.lost.length > 0 ? [`${where}: lost ${JSON.stringify(p.lost)}`] : []),
        ];
      });
      expect(problems.slice(0, 10)).toEqual([]);
    }, 90_000);
  });
}
