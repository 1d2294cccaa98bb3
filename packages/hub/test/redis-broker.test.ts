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
