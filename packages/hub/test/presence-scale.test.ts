/**
 * Presence at scale (docs/protocol.md "Join/leave in large channels"): a mass subscribe of N
 * clients to one channel must cost O(N) join frames, not N²/2, and presence stays exact.
 */

import { inBatches } from "@switchboard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../src/config.js";
import { type Frame, RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

const N = 1_000;
const THRESHOLD = DEFAULT_LIMITS.joinLeaveMaxSubscribers;

describe("mass subscribe to one channel", () => {
  let hub: TestHub;
  let clients: RawClient[] = [];
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await hub?.close();
  });

  it(`${N} subscribers → O(N) join frames in total, presence lists all of them`, async () => {
    const ch = `chat:mass${Date.now().toString(36)}`;
    clients = await inBatches(N, 100, () => RawClient.connect(hub.url));
    await inBatches(N, 100, (i) => (clients[i] as RawClient).request({ type: "subscribe", channel: ch }));

    // A publication after the last join reaches everyone once the joins before it were fanned out.
    const publisher = clients[0] as RawClient;
    await publisher.request({ type: "publish", channel: ch, data: { last: true } });
    await Promise.all(clients.map((c) => c.waitFor((f) => f.type === "pub", 20_000)));

    const isJoin = (f: Frame) => f.type === "join";
    const joins = clients.map((c) => c.frames.filter(isJoin).length);
    const total = joins.reduce((a, b) => a + b, 0);
    // Up to the threshold every earlier subscriber hears each join (≈ T²/2 frames); above it none.
    expect(total).toBeLessThanOrEqual((THRESHOLD * (THRESHOLD + 1)) / 2);
    expect(total).toBeLessThan(10 * N);
    // A few raw clients: the first heard at most THRESHOLD joins, the late ones none.
    expect(joins[0]).toBeGreaterThan(0);
    expect(joins[0]).toBeLessThanOrEqual(THRESHOLD);
    expect(joins[N - 1]).toBe(0);
    expect(joins[N / 2]).toBe(0);

    const presence = await publisher.request({ type: "presence", channel: ch }, 20_000);
    const listed = new Set((presence.clients as Frame[]).map((p) => p.client));
    expect(listed.size).toBe(N);
    for (const c of clients) expect(listed.has(c.clientId)).toBe(true);

    // Leaves are not fanned out either; presence follows the unsubscribes.
    await inBatches(N / 2, 100, (i) =>
      (clients[N - 1 - i] as RawClient).request({ type: "unsubscribe", channel: ch }),
    );
    const after = await publisher.request({ type: "presence", channel: ch }, 20_000);
    expect((after.clients as Frame[]).length).toBe(N / 2);
    expect(publisher.frames.filter((f) => f.type === "leave")).toHaveLength(0);
  }, 120_000);
});
