import { randomBytes } from "node:crypto";
import { waitFor } from "@switchboard/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerEvent } from "../src/brokers/broker.js";
import { RedisBroker } from "../src/brokers/redis/redis-broker.js";
import { brokerContract } from "./broker-contract.js";
import { dropPrefix } from "./drop-prefix.js";
import { engineFailureContract, HISTORY, request } from "./engine-failure-contract.js";
import { EngineProcess, REDIS_SERVER, reachable, requireService } from "./engine-servers.js";

const SHARED_URL = "redis://127.0.0.1:6379";
const FILE_PREFIX = `sbt-redis-${randomBytes(4).toString("hex")}`;

const sharedUp = requireService(await reachable(6379), `Redis at ${SHARED_URL}`);

if (sharedUp) {
  let fixtures = 0;
  brokerContract("redis", async () => {
    const prefix = `${FILE_PREFIX}-${++fixtures}`;
    return {
      broker: new RedisBroker({ url: SHARED_URL, prefix }),
      restart: async () => new RedisBroker({ url: SHARED_URL, prefix }),
      peer: async () => new RedisBroker({ url: SHARED_URL, prefix }),
      countState: () => countKeys(SHARED_URL, prefix),
      cleanup: () => dropPrefix(SHARED_URL, prefix),
    };
  });

  describe("RedisBroker on the shared Redis", () => {
    const prefix = `${FILE_PREFIX}-own`;
    const broker = new RedisBroker({ url: SHARED_URL, prefix });
    const raw = new Redis(SHARED_URL, { lazyConnect: true });
    beforeAll(async () => {
      await Promise.all([broker.start(() => {}), raw.connect()]);
    });
    afterAll(async () => {
      await broker.close();
      await dropPrefix(SHARED_URL, prefix);
      raw.disconnect();
    });

    it("starts a new epoch when the channel's meta is lost, and never serves the old stream", async () => {
      const ch = `lost:${randomBytes(4).toString("hex")}`;
      const before = await broker.append(request(ch, 1));
      await broker.append(request(ch, 2, { key: "k-lost" }));
      await raw.del(`${prefix}:{${ch}}:meta`);

      const after = await broker.append(request(ch, 3, { key: "k-lost" }));
      expect(after.epoch).not.toBe(before.epoch);
      expect(after).toMatchObject({ offset: 1, duplicate: false });
      const old = await broker.history({
        channel: ch,
        since: { epoch: before.epoch, offset: 0 },
        limit: 10,
        history: HISTORY,
      });
      expect(old).toEqual({ epoch: after.epoch, offset: 1, publications: [], complete: false });
      const all = await broker.history({
        channel: ch,
        since: { epoch: after.epoch, offset: 0 },
        limit: 10,
        history: HISTORY,
      });
      expect(all.publications.map((p) => p.data)).toEqual([3]);
    });

    it("fans out to another node and keeps offsets contiguous when two nodes append at once", async () => {
      const eventsB: BrokerEvent[] = [];
      const other = new RedisBroker({ url: SHARED_URL, prefix });
      await other.start((e) => eventsB.push(e));
      try {
        const ch = `race:${randomBytes(4).toString("hex")}`;
        await other.subscribe(ch);
        const results = await Promise.all(
          Array.from({ length: 60 }, (_, i) => (i % 2 ? broker : other).append(request(ch, { i }))),
        );
        expect(results.map((r) => r.offset).sort((x, y) => x - y)).toEqual(
          Array.from({ length: 60 }, (_, i) => i + 1),
        );
        await waitFor("60 live events on the other node", () => eventsB.length >= 60);
        // One script per append: the fan-out order IS the offset order, across nodes too.
        expect(eventsB.map((e) => (e.type === "pub" ? e.publication.offset : -1))).toEqual(
          Array.from({ length: 60 }, (_, i) => i + 1),
        );
      } finally {
        await other.close();
      }
    });

    it("keeps the meta alive at least as long as the stream", async () => {
      const ch = `ttl:${randomBytes(4).toString("hex")}`;
      await broker.append(request(ch, 1, { history: { size: 10, ttlSeconds: 60 } }));
      const metaTtl = await raw.pttl(`${prefix}:{${ch}}:meta`);
      const histTtl = await raw.pttl(`${prefix}:{${ch}}:hist`);
      expect(histTtl).toBeGreaterThan(0);
      expect(histTtl).toBeLessThanOrEqual(60_000);
      expect(metaTtl).toBeGreaterThanOrEqual(histTtl);
    });
  });
}

describe.runIf(requireService(EngineProcess.available(REDIS_SERVER), REDIS_SERVER))(
  "RedisBroker across a failover to an async replica",
  () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    });

    it("gives the channel a new epoch when the promoted replica lacks acknowledged writes", async () => {
      const master = await EngineProcess.redis();
      cleanups.push(() => master.dispose());
      await master.start();
      const replica = await EngineProcess.redis(master.port);
      cleanups.push(() => replica.dispose());
      await replica.start();
      const onMaster = new Redis(master.url);
      cleanups.push(async () => onMaster.disconnect());
      const before = new RedisBroker({ url: master.url, prefix: "sbt" });
      cleanups.push(() => before.close());
      await before.start(() => {});

      const ch = "failover:chat";
      for (const n of [1, 2, 3]) await before.append(request(ch, n));
      // Offsets 1..3 reached the replica (WAIT: acknowledged by 1 replica)…
      await waitFor("the replica to have 1..3", async () => (await onMaster.wait(1, 1000)) === 1);
      // The replica is cut off and promoted (as a failover would, on a master it no longer hears),
      // while the master still acknowledges 4 and 5 — writes the promoted replica never gets.
      const promoted = new Redis(replica.url);
      cleanups.push(async () => promoted.disconnect());
      await promoted.replicaof("NO", "ONE");
      const acked = [await before.append(request(ch, 4)), await before.append(request(ch, 5))];
      expect(acked.map((a) => a.offset)).toEqual([4, 5]);
      await master.kill();

      const after = new RedisBroker({ url: replica.url, prefix: "sbt" });
      cleanups.push(() => after.close());
      await after.start(() => {});
      const position = await after.position(ch);
      // Without the replication-id check this would be { epoch: acked epoch, offset: 3 } and the
      // next publication would reuse offset 4 under the epoch subscribers already hold.
      expect(position.offset).toBe(3);
      expect(position.epoch).not.toBe(acked[0]!.epoch);
      for (const since of [acked[1]!, { epoch: acked[0]!.epoch, offset: 3 }]) {
        const h = await after.history({ channel: ch, since, limit: 10, history: HISTORY });
        expect(h).toMatchObject({ epoch: position.epoch, complete: false, publications: [] });
      }
      expect(await after.append(request(ch, "new"))).toEqual({
        epoch: position.epoch,
        offset: 4,
        duplicate: false,
      });
      // What survived is still served under the new epoch.
      const kept = await after.history({ channel: ch, limit: 10, history: HISTORY });
      expect(kept.publications.map((p) => p.data)).toEqual([1, 2, 3, "new"]);
    }, 30_000);
  },
);

const ownServer = requireService(EngineProcess.available(REDIS_SERVER), `the ${REDIS_SERVER} binary`);

if (ownServer)
  engineFailureContract("redis", {
    engine: () => EngineProcess.redis(),
    broker: (url, options) => new RedisBroker({ url, prefix: "sbt", ...options }),
    keepsData: false, // redis-server runs with --save "" --appendonly no: a restart comes back empty
  });

/** Keys of the prefix (SCAN): what reads must not add to. */
async function countKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    let total = 0;
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      total += keys.length;
    } while (cursor !== "0");
    return total;
  } finally {
    redis.disconnect();
  }
}
