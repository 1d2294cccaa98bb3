/**
 * A Redis Cluster master that dies together with its replica (nothing to promote): the broker's
 * sharded subscriber for that shard must back off instead of reconnecting in a tight loop. A TCP
 * listener takes the dead node's port and counts the connects that arrive there; the retries must
 * reach a gap of a second or more (the capped backoff) after a bounded number of attempts. A tight
 * loop (what ioredis 6 does by itself: ~40 a second) never leaves such a gap.
 */
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterLink, clusterSeeds } from "../../src/brokers/redis/cluster-link.js";
import { EngineProcess, REDIS_SERVER, requireService } from "../engine-servers.js";
import { PROBE_LINK_OPTIONS, RedisClusterProcess } from "../redis-cluster-servers.js";
import { eventually, runPrefix } from "./hub-cluster.js";

describe.runIf(requireService(EngineProcess.available(REDIS_SERVER), REDIS_SERVER))(
  "a Redis Cluster shard with no live node",
  () => {
    let redis: RedisClusterProcess | undefined;
    let link: ClusterLink | undefined;
    let probe: Server | undefined;
    afterEach(async () => {
      await link?.close();
      await new Promise((resolve) => (probe ? probe.close(resolve) : resolve(undefined)));
      await redis?.dispose();
    });

    it("the sharded subscriber retries the dead master with a capped backoff, not a storm", async () => {
      redis = await RedisClusterProcess.start();
      const prefix = runPrefix("rcdead");
      const topic = `${prefix}:{cluster:dead}:live`;
      const victim = await redis.masterOf(topic);
      const replicas = await redis.replicasOf(victim);
      expect(replicas.length).toBeGreaterThan(0);
      const cluster = redis;
      link = new ClusterLink(clusterSeeds(redis.url), { prefix, ...PROBE_LINK_OPTIONS });
      await link.connect();
      const transport = link.transport({ receive: () => {}, topics: () => [topic], resync: () => {} });
      await transport.listen(topic);

      // Replicas first, so that the master's death cannot be followed by a failover.
      for (const port of replicas) await cluster.kill(port);
      await cluster.kill(victim);
      const accepts: number[] = [];
      probe = createServer((socket) => {
        accepts.push(Date.now());
        socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        probe?.once("error", reject);
        probe?.listen(victim, "127.0.0.1", () => resolve());
      });
      const widestGap = () => {
        let widest = 0;
        for (let i = 1; i < accepts.length; i++) widest = Math.max(widest, accepts[i]! - accepts[i - 1]!);
        return widest;
      };
      await eventually(
        "two connects to the dead master a second or more apart",
        () => widestGap() >= 1000,
        60_000,
        () => `(${accepts.length} connects so far, widest gap ${widestGap()} ms)`,
      );
      console.info(`dead master: ${accepts.length} connects until a ${widestGap()} ms gap`);
      expect(accepts.length).toBeLessThan(100);
    }, 120_000);
  },
);
