/** Concurrency: 10 publishers × 100 publishes on one channel, 3 subscribers, over real sockets. */
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
