import { randomBytes } from "node:crypto";
import type { Json } from "@switchboard/protocol";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AppendRequest,
  type BrokerEvent,
  BrokerUnavailableError,
  type HistoryPolicy,
} from "../src/brokers/broker.js";
import { RedisBroker } from "../src/brokers/redis-broker.js";
import { brokerContract } from "./broker-contract.js";
import { dropPrefix } from "./drop-prefix.js";
import { EngineProcess, REDIS_SERVER, reachable, requireService, waitUntil } from "./engine-servers.js";

const SHARED_URL = "redis://127.0.0.1:6379";
const FILE_PREFIX = `sbt-redis-${randomBytes(4).toString("hex")}`;
const HISTORY: HistoryPolicy = { size: 100, ttlSeconds: 300 };

function request(channel: string, data: Json, extra: Partial<AppendRequest> = {}): AppendRequest {
  return { channel, data, history: HISTORY, dedupeSeconds: 300, ...extra };
}

const sharedUp = requireService(await reachable(6379), `Redis at ${SHARED_URL}`);

if (sharedUp) {
  let fixtures = 0;
  brokerContract("redis", async () => {
    const prefix = `${FILE_PREFIX}-${++fixtures}`;
    return {
      broker: new RedisBroker({ url: SHARED_URL, prefix }),
      restart: async () => new RedisBroker({ url: SHARED_URL, prefix }),
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
        await waitUntil("60 live events on the other node", () => eventsB.length >= 60);
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

describe.runIf(ownServer)("RedisBroker against a Redis the test kills", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const server = await EngineProcess.redis();
    cleanups.push(() => server.dispose());
    await server.start();
    const events: BrokerEvent[] = [];
    const broker = new RedisBroker({ url: server.url, prefix: "sbt" });
    cleanups.push(() => broker.close());
    await broker.start((event) => events.push(event));
    return { server, broker, events };
  }

  async function expectFastUnavailable(operation: () => Promise<unknown>): Promise<number> {
    const started = performance.now();
    await expect(operation()).rejects.toBeInstanceOf(BrokerUnavailableError);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(2000);
    return elapsed;
  }

  it("fails fast while Redis is down, then resyncs and starts a new epoch after an empty restart", async () => {
    const { server, broker, events } = await setup();
    const ch = "outage:chat";
    await broker.subscribe(ch);
    const first = await broker.append(request(ch, "before"));
    await waitUntil("the first live event", () => events.some((e) => e.type === "pub"));

    const killedAt = Date.now();
    await server.kill();
    await waitUntil("ready() to turn false", async () => !(await broker.ready()));
    for (let i = 0; i < 3; i++)
      await expectFastUnavailable(() => broker.append(request(ch, `during ${i}`, { key: `k${i}` })));
    await expectFastUnavailable(() => broker.position(ch));
    await expectFastUnavailable(() => broker.history({ channel: ch, limit: 10, history: HISTORY }));
    await expectFastUnavailable(() => broker.subscribe("outage:other"));
    // Stay down ~2 s, the way a real restart would.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2000 - (Date.now() - killedAt))));

    await server.start();
    await waitUntil("ready() to turn true", () => broker.ready());
    await waitUntil("a resync event", () => events.some((e) => e.type === "resync"));
    const after = await broker.append(request(ch, "after"));
    expect(after.epoch).not.toBe(first.epoch); // Redis came back empty: history is lost, so is the epoch
    expect(after.offset).toBe(1);
    // The subscription came back by itself: the live event arrives without subscribing again.
    await waitUntil("the live event after restart", () =>
      events.some((e) => e.type === "pub" && e.epoch === after.epoch && e.publication.data === "after"),
    );
  });

  it("times a hung Redis out instead of waiting, and a retry with the same key resolves the doubt", async () => {
    const { server, broker } = await setup();
    const ch = "hung:chat";
    await broker.append(request(ch, "warm-up"));
    await server.signal("SIGSTOP");
    try {
      await expectFastUnavailable(() => broker.append(request(ch, "maybe", { key: "k-hung" })));
    } finally {
      await server.signal("SIGCONT");
    }
    await waitUntil("ready() after SIGCONT", () => broker.ready());
    // Redis did run the timed-out script once it woke up: the retry must not append it again.
    const retry = await broker.append(request(ch, "maybe", { key: "k-hung" }));
    expect(retry).toMatchObject({ offset: 2, duplicate: true });
    expect((await broker.position(ch)).offset).toBe(2);
  });

  it("refuses to start, quickly, when Redis is not there", async () => {
    const server = await EngineProcess.redis(); // never started: nothing listens on its port
    cleanups.push(() => server.dispose());
    const broker = new RedisBroker({ url: server.url, connectTimeoutMs: 1000 });
    const started = performance.now();
    await expect(broker.start(() => {})).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await broker.ready()).toBe(false);
    await broker.close();
  });
});
