/** Pre-framed publications: header bytes per RFC 6455, and intact delivery of every length class over real sockets. */
import { describe, expect, it } from "vitest";
import { frameText } from "../src/shared-frame.js";
import { RawClient } from "./raw-client.js";
import { startTestHub } from "./test-hub.js";

describe("frameText", () => {
  it("writes FIN+text and the 7-, 16- or 64-bit length, unmasked", () => {
    const header = (n: number) => frameText(Buffer.alloc(n, 0x61));
    expect([...header(0).subarray(0, 2)]).toEqual([0x81, 0]);
    expect([...header(125).subarray(0, 2)]).toEqual([0x81, 125]);
    expect([...header(126).subarray(0, 4)]).toEqual([0x81, 126, 0, 126]);
    expect([...header(65_535).subarray(0, 4)]).toEqual([0x81, 126, 0xff, 0xff]);
    const big = header(65_536);
    expect([...big.subarray(0, 10)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(big.length).toBe(65_546);
    expect(big.subarray(10).every((b) => b === 0x61)).toBe(true);
  });
});

it("delivers publications of every frame-length class intact to a subscriber", async () => {
  const hub = await startTestHub({ config: { limits: { maxFrameBytes: 300_000 } } });
  try {
    const sub = await RawClient.connect(hub.url);
    const pub = await RawClient.connect(hub.url);
    await sub.request({ type: "subscribe", channel: "chat:sizes" });
    const sizes = [1, 90, 200, 60_000, 70_000, 250_000];
    for (const size of sizes) {
      // One at a time, so each publication leaves its socket alone (the pre-framed path).
      await pub.request({
        type: "publish",
        channel: "chat:sizes",
        data: "é".repeat(size / 2) + "x".repeat(size % 2),
      });
      await sub.waitForCount((f) => f.type === "pub", sizes.indexOf(size) + 1);
    }
    expect(sub.pubs("chat:sizes").map((f) => (f.data as string).length)).toEqual(
      sizes.map((s) => Math.floor(s / 2) + (s % 2)),
    );
    expect(sub.closeCode).toBeUndefined();
  } finally {
    await hub.dispose();
  }
});

it("sends a run of publications every subscriber got alike as the same NDJSON message, in order, next to replies and other channels", async () => {
  const hub = await startTestHub();
  try {
    const channel = "chat:batch";
    const [a, b, both, pub] = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(hub.url)));
    if (!a || !b || !both || !pub) throw new Error("not connected");
    for (const c of [a, b, both, pub]) await c.request({ type: "subscribe", channel });
    await both.request({ type: "subscribe", channel: "chat:other" });
    // One message of 40 publishes: appended together, so each pass carries a run of them.
    const frames = Array.from({ length: 40 }, (_, i) => ({
      type: "publish",
      id: 1000 + i,
      channel: i % 10 === 9 ? "chat:other" : channel,
      data: { i, text: "é".repeat(i) },
    }));
    pub.send(frames.map((f) => JSON.stringify(f)).join("\n"));
    const mine = frames.filter((f) => f.channel === channel).map((f) => f.data);
    for (const c of [a, b, both, pub]) {
      const got = await c.waitForCount((f) => f.type === "pub" && f.channel === channel, mine.length);
      expect(got.map((f) => f.offset)).toEqual(mine.map((_, k) => k + 1));
      expect(got.map((f) => f.data)).toEqual(mine);
    }
    const others = await both.waitForCount((f) => f.type === "pub" && f.channel === "chat:other", 4);
    expect(others.map((f) => (f.data as { i: number }).i)).toEqual([9, 19, 29, 39]);
    // A subscriber of both channels gets them interleaved as they were published.
    const all = both.frames.filter((f) => f.type === "pub").map((f) => (f.data as { i: number }).i);
    expect(all).toEqual(frames.map((f) => f.data.i));
    // The publisher's `published` replies travel with its copies, in the order they were queued.
    const acks = await pub.waitForCount((f) => f.type === "published", frames.length);
    expect(acks.map((f) => f.id)).toEqual(frames.map((f) => f.id));
    // Alike subscribers got byte-identical messages, and fewer messages than publications.
    const pubMessages = (c: RawClient) => c.rawMessages.filter((m) => m.includes('"type":"pub"'));
    expect(pubMessages(b)).toEqual(pubMessages(a));
    expect(pubMessages(a).length).toBeLessThan(mine.length);
    for (const c of [a, b, both, pub]) expect(c.closeCode).toBeUndefined();
    for (const c of [a, b, both, pub]) c.close();
  } finally {
    await hub.dispose();
  }
});
