/** Ordering over real sockets: concurrent publishers, and pipelined requests about one channel. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub.dispose());

it("delivers offsets 1..1000 exactly once and in the same order to every subscriber", async () => {
  const channel = `chat:order-${Date.now()}`;
  const subscribers = await Promise.all([0, 1, 2].map(() => RawClient.connect(hub.url)));
  for (const s of subscribers)
    expect(await s.request({ type: "subscribe", channel })).toMatchObject({ offset: 0 });
  const publishers = await Promise.all(Array.from({ length: 10 }, () => RawClient.connect(hub.url)));
  // Every publisher fires its 100 publishes without waiting, so appends interleave.
  const acks = await Promise.all(
    publishers.flatMap((p, n) =>
      Array.from({ length: 100 }, (_, i) =>
        p.request({ type: "publish", channel, data: { p: n, i } }, 20_000),
      ),
    ),
  );
  expect(acks.every((a) => a.type === "published")).toBe(true);
  expect(new Set(acks.map((a) => a.offset)).size).toBe(1000);
  const streams = await Promise.all(
    subscribers.map((s) => s.waitForCount((f) => f.type === "pub", 1000, 20_000)),
  );
  const expected = Array.from({ length: 1000 }, (_, i) => i + 1);
  for (const pubs of streams) expect(pubs.map((f) => f.offset)).toEqual(expected);
  const first = JSON.stringify(streams[0]?.map((f) => f.data));
  for (const pubs of streams) expect(JSON.stringify(pubs.map((f) => f.data))).toBe(first);
  // Per publisher, its own publications keep their sending order.
  for (let n = 0; n < 10; n++) {
    const mine = (streams[0] ?? []).map((f) => f.data as { p: number; i: number }).filter((d) => d.p === n);
    expect(mine.map((d) => d.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  }
  for (const c of [...subscribers, ...publishers]) c.close();
}, 60_000);

it("subscribe, unsubscribe, subscribe pipelined ends subscribed (the SDK's retry of an unanswered subscribe)", async () => {
  // Requests about one channel are answered as if handled one after another, even while the first
  // still waits on the broker.
  const c = await RawClient.connect(hub.url);
  try {
    const channel = `chat:order${Date.now().toString(36)}`;
    c.send(
      [
        { type: "subscribe", id: 10, channel },
        { type: "unsubscribe", id: 11, channel },
        { type: "subscribe", id: 12, channel },
      ]
        .map((f) => JSON.stringify(f))
        .join("\n"),
    );
    const replies = await Promise.all([10, 11, 12].map((id) => c.waitFor((f) => f.id === id)));
    expect(replies.map((f) => f.type)).toEqual(["subscribed", "unsubscribed", "subscribed"]);
    await c.request({ type: "publish", channel, data: "after" });
    const pub = await c.waitFor((f) => f.type === "pub" && f.channel === channel);
    expect(pub.data).toBe("after");
  } finally {
    c.close();
  }
});
