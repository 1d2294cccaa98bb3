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
