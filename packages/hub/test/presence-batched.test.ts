/**
 * Presence at scale for clients that opt in (docs/protocol.md "Presence at scale"): batched
 * `presence_diff` frames in small channels, `occupancy` counts in large ones, the `count` form of
 * `presence` on every engine, and a presence refresh that costs one broker write per node per
 * interval, not one per subscription. Old clients' frames are covered by presence-scale.test.ts
 * and the conformance suite, unchanged.
 */
import { randomBytes } from "node:crypto";
import { inBatches, waitFor } from "@switchboard/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../src/config.js";
import { EngineProcess, REDIS_SERVER, reachable, requireService } from "./engine-servers.js";
import { type Frame, RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

const N = 1_000;
const THRESHOLD = DEFAULT_LIMITS.joinLeaveMaxSubscribers;
const PRESENCE_TYPES = new Set(["join", "leave", "presence_diff", "occupancy"]);
const isPushedPresence = (f: Frame) => PRESENCE_TYPES.has(f.type) && f.id === undefined;
const unique = (label: string) => `chat:${label}-${randomBytes(4).toString("hex")}`;

describe("presenceDiff: a mass subscribe to one channel", () => {
  let hub: TestHub;
  let clients: RawClient[] = [];
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await hub?.close();
  });

  it(`${N} subscribers at once → O(N) presence frames, each diff bounded, an exact occupancy for all`, async () => {
    const ch = unique("diff-mass");
    clients = await inBatches(N, 100, () => RawClient.connect(hub.url, { presenceDiff: true }));
    // All at once: every subscribe is on the wire before the first reply.
    await Promise.all(clients.map((c) => c.request({ type: "subscribe", channel: ch }, 60_000)));
    await Promise.all(clients.map((c) => c.waitFor((f) => f.type === "occupancy" && f.count === N, 30_000)));

    const pushed = clients.map((c) => c.frames.filter(isPushedPresence));
    const frames = pushed.reduce((sum, list) => sum + list.length, 0);
    const bytes = pushed.flat().reduce((sum, f) => sum + JSON.stringify(f).length, 0);
    const diffs = pushed.flat().filter((f) => f.type === "presence_diff");
    const largestDiff = Math.max(
      0,
      ...diffs.map((f) => (f.joined as Frame[]).length + (f.left as Frame[]).length),
    );
    console.log(
      `presenceDiff mass subscribe: ${N} clients, ${frames} presence frames (${diffs.length} presence_diff), ` +
        `${bytes} bytes, largest diff ${largestDiff} entries`,
    );
    // No per-event join/leave frames for these clients: only diffs and counts.
    expect(pushed.flat().filter((f) => f.type === "join" || f.type === "leave")).toHaveLength(0);
    // O(N): a few frames per client (windows while the channel was small, at most one count a second).
    expect(frames).toBeLessThan(10 * N);
    // A window holds at most THRESHOLD changes (beyond it: a count), so no frame — and nothing the
    // hub queues for one — grows with N.
    expect(largestDiff).toBeLessThanOrEqual(THRESHOLD + 1);
    expect(bytes).toBeLessThan(N * 2_000);

    // Half of them leave at once: the rest see the new count, and no leave frames.
    const before = clients.map((c) => c.frames.length);
    await Promise.all(
      clients.slice(N / 2).map((c) => c.request({ type: "unsubscribe", channel: ch }, 60_000)),
    );
    const stay = clients.slice(0, N / 2);
    await Promise.all(stay.map((c) => c.waitFor((f) => f.type === "occupancy" && f.count === N / 2, 30_000)));
    const later = stay.flatMap((c, i) => c.frames.slice(before[i]).filter(isPushedPresence));
    expect(later.filter((f) => f.type !== "occupancy")).toHaveLength(0);
    expect(later.length).toBeLessThan(10 * (N / 2));
    const counted = await (stay[0] as RawClient).request({ type: "presence", channel: ch, count: true });
    expect(counted).toEqual({ type: "occupancy", id: counted.id, channel: ch, count: N / 2 });
  }, 180_000);
});

describe("presenceDiff: small channels", () => {
  let hub: TestHub;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    // A long window, so that a join and a leave surely fall into one.
    hub = await startTestHub({ config: { limits: { presenceDiffWindowMs: 2_000 } } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await hub?.close();
  });
  const connect = async (connect: Record<string, unknown> = {}) => {
    const client = await RawClient.connect(hub.url, connect);
    clients.push(client);
    return client;
  };

  it("coalesces a window into one presence_diff, a join and leave of one client cancel, old clients unchanged", async () => {
    const ch = unique("diff-small");
    const batched = await connect({ presenceDiff: true });
    const old = await connect();
    await batched.request({ type: "subscribe", channel: ch });
    await old.request({ type: "subscribe", channel: ch });
    const brief = await connect();
    const staying = await connect({ name: "staying@1.0.0" });
    await brief.request({ type: "subscribe", channel: ch });
    await brief.request({ type: "unsubscribe", channel: ch });
    await staying.request({ type: "subscribe", channel: ch });

    // One frame for the whole window, shared by every presenceDiff subscriber — so it may name
    // the receiver itself (its own join fell into the window); `brief` joined and left: absent.
    const diff = await batched.waitFor((f) => f.type === "presence_diff", 10_000);
    expect(diff).toEqual({
      type: "presence_diff",
      channel: ch,
      joined: [
        { client: batched.clientId },
        { client: old.clientId },
        { client: staying.clientId, name: "staying@1.0.0" },
      ],
      left: [],
    });
    // The old client hears every event as before.
    await old.waitForCount((f) => f.type === "join" || f.type === "leave", 3);
    expect(old.frames.filter((f) => f.type === "join" || f.type === "leave")).toEqual([
      { type: "join", channel: ch, info: { client: brief.clientId } },
      { type: "leave", channel: ch, info: { client: brief.clientId } },
      { type: "join", channel: ch, info: { client: staying.clientId, name: "staying@1.0.0" } },
    ]);

    await staying.request({ type: "unsubscribe", channel: ch });
    const next = await batched.waitFor(
      (f) => f.type === "presence_diff" && (f.left as Frame[]).length > 0,
      10_000,
    );
    expect(next).toEqual({
      type: "presence_diff",
      channel: ch,
      joined: [],
      left: [{ client: staying.clientId, name: "staying@1.0.0" }],
    });
    expect(batched.frames.filter((f) => f.type === "join" || f.type === "leave")).toHaveLength(0);
    // Small: no occupancy pushed; the list is there for the asking.
    expect(batched.frames.filter((f) => f.type === "occupancy")).toHaveLength(0);
  }, 30_000);

  it("validates presenceDiff and count", async () => {
    const client = new RawClient(hub.url);
    clients.push(client);
    await client.opened;
    // A malformed connect is a protocol violation, as for every connect field.
    client.send({ type: "connect", id: 1, presenceDiff: "yes" });
    expect(await client.waitClosed()).toBe(4000);
    expect(client.frames).toContainEqual({
      type: "disconnect",
      code: 4000,
      reason: "presenceDiff: expected true or false",
      reconnect: false,
    });
    const ok = await connect();
    const ch = unique("count-bad");
    await ok.request({ type: "subscribe", channel: ch });
    expect(await ok.request({ type: "presence", channel: ch, count: 1 })).toMatchObject({
      type: "error",
      code: "BAD_REQUEST",
      message: "count: expected true or false",
    });
    const outsider = await connect();
    expect(await outsider.request({ type: "presence", channel: ch, count: true })).toMatchObject({
      type: "error",
      code: "PERMISSION_DENIED",
    });
  });
});

const redisUp = requireService(await reachable(6379), "Redis at redis://127.0.0.1:6379");
const natsUp = requireService(await reachable(4222), "NATS at nats://127.0.0.1:4222");
const engines: Array<[string, string | undefined]> = [["sqlite", undefined]];
if (redisUp) engines.push(["redis", "redis://127.0.0.1:6379"]);
if (natsUp) engines.push(["nats", "nats://127.0.0.1:4222"]);

describe.each(engines)("presence count on %s", (_engine, broker) => {
  let hub: TestHub;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    hub = await startTestHub({
      ...(broker ? { broker, prefix: `sbt_count_${randomBytes(4).toString("hex")}` } : {}),
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await hub?.close();
  });

  it("answers the number of subscribers as an occupancy reply", async () => {
    const ch = unique("count");
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.connect(hub.url);
      clients.push(c);
      await c.request({ type: "subscribe", channel: ch });
    }
    const asker = clients[0] as RawClient;
    let reply: Frame = { type: "none" };
    await waitFor("five present", async () => {
      reply = await asker.request({ type: "presence", channel: ch, count: true });
      return reply.count === 5;
    });
    expect(reply).toEqual({ type: "occupancy", id: reply.id, channel: ch, count: 5 });
    await (clients[4] as RawClient).request({ type: "unsubscribe", channel: ch });
    await waitFor("four present", async () => {
      reply = await asker.request({ type: "presence", channel: ch, count: true });
      return reply.count === 4;
    });
    // The list form is unchanged.
    const list = await asker.request({ type: "presence", channel: ch });
    expect((list.clients as Frame[]).length).toBe(4);
  });
});

describe.runIf(redisUp)("presenceDiff across nodes (Redis)", () => {
  let a: TestHub;
  let b: TestHub;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    const shared = {
      broker: "redis://127.0.0.1:6379",
      prefix: `sbt_nodes_${randomBytes(4).toString("hex")}`,
    };
    [a, b] = await Promise.all([startTestHub(shared), startTestHub(shared)]);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it("a mass subscribe on another node: bounded diffs, then counts, ending exact", async () => {
    const ch = unique("diff-nodes");
    const M = 300;
    // Few local subscribers on A (small there), hundreds arriving at once on B.
    const watchers = await inBatches(3, 3, () => RawClient.connect(a.url, { presenceDiff: true }));
    clients.push(...watchers);
    for (const w of watchers) await w.request({ type: "subscribe", channel: ch });
    const crowd = await inBatches(M, 100, () => RawClient.connect(b.url));
    clients.push(...crowd);
    await Promise.all(crowd.map((c) => c.request({ type: "subscribe", channel: ch }, 60_000)));
    await Promise.all(
      watchers.map((w) => w.waitFor((f) => f.type === "occupancy" && f.count === M + 3, 30_000)),
    );
    const pushed = watchers.flatMap((w) => w.frames.filter(isPushedPresence));
    const diffs = pushed.filter((f) => f.type === "presence_diff");
    const sizes = diffs.map((f) => (f.joined as Frame[]).length + (f.left as Frame[]).length);
    console.log(
      `across nodes: ${M} joins on B → ${pushed.length} presence frames on A's 3 watchers (diff sizes ${sizes.join(",")})`,
    );
    expect(pushed.filter((f) => f.type === "join" || f.type === "leave")).toHaveLength(0);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(THRESHOLD);
    // Far fewer frames than joins: at most a window's diff and a count a second each.
    expect(pushed.length).toBeLessThan(M);
  }, 120_000);
});

const ownRedis = requireService(EngineProcess.available(REDIS_SERVER), `the ${REDIS_SERVER} binary`);

describe.runIf(ownRedis)("presence refresh on Redis", () => {
  let engine: EngineProcess;
  let hub: TestHub;
  let redis: Redis;
  const clients: RawClient[] = [];
  const prefix = "sbt_refresh";
  beforeAll(async () => {
    engine = await EngineProcess.redis();
    await engine.start();
    redis = new Redis(engine.url);
    // A 3 s TTL: the node renews its liveness every second.
    hub = await startTestHub({ broker: engine.url, prefix, config: { limits: { presenceTtlSeconds: 3 } } });
  }, 30_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await hub?.close();
    redis?.disconnect();
    await engine?.dispose();
  });

  it("costs one broker write per refresh interval for 1,000 subscriptions", async () => {
    const channels = Array.from({ length: 10 }, (_, i) => unique(`refresh-${i}`));
    const made = await inBatches(100, 50, () => RawClient.connect(hub.url));
    clients.push(...made);
    await inBatches(100, 50, (i) =>
      Promise.all(channels.map((ch) => (made[i] as RawClient).request({ type: "subscribe", channel: ch }))),
    );
    const asker = made[0] as RawClient;
    await waitFor("1,000 entries", async () => {
      const counts = await Promise.all(
        channels.map((ch) => asker.request({ type: "presence", channel: ch, count: true })),
      );
      return counts.every((c) => c.count === 100);
    });

    // The hub's one node record: its score (the liveness expiry) moves on with every renewal.
    const renewals = async () => Number((await redis.zrange(`${prefix}:nodes`, "0", "0", "WITHSCORES"))[1]);
    await redis.config("RESETSTAT");
    const first = await renewals();
    let seen = first;
    let intervals = 0;
    // Three renewals of the node record = three refresh intervals.
    await waitFor(
      "three refreshes",
      async () => {
        const now = await renewals();
        if (now !== seen) {
          seen = now;
          intervals++;
        }
        return intervals >= 3;
      },
      { timeoutMs: 15_000 },
    );
    const stats = parseCommandStats(await redis.info("commandstats"));
    // What the test itself sent: its probe (zrange), RESETSTAT and INFO.
    const ownProbes = new Set(["zrange", "config|resetstat", "config", "info"]);
    const hubCalls = [...stats].filter(([cmd]) => !ownProbes.has(cmd));
    const scripts = (stats.get("evalsha") ?? 0) + (stats.get("eval") ?? 0);
    console.log(
      `presence refresh: 1000 subscriptions, ${intervals} intervals → ${JSON.stringify(Object.fromEntries(hubCalls))}`,
    );
    // One keep-alive script per interval (its ZADD/ZREMRANGEBYSCORE/ZSCORE run inside it).
    expect(scripts).toBeLessThanOrEqual(intervals + 1);
    expect(stats.get("hset") ?? 0).toBe(0); // no entry is rewritten
    expect(stats.get("zadd") ?? 0).toBeLessThanOrEqual(intervals + 1);
    // And the entries are all still there after more than a TTL of refreshes.
    const counts = await Promise.all(
      channels.map((ch) => asker.request({ type: "presence", channel: ch, count: true })),
    );
    expect(counts.map((c) => c.count)).toEqual(channels.map(() => 100));
  }, 120_000);
});

/** `cmdstat_<name>:calls=N,...` lines → name → calls. */
function parseCommandStats(info: string): Map<string, number> {
  const stats = new Map<string, number>();
  for (const line of info.split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match?.[1] && match[2]) stats.set(match[1], Number(match[2]));
  }
  return stats;
}
