/**
 * A reply larger than sendBufferBytes (a history page, a recovering subscribe) reaches a client
 * that keeps up: slow-consumer closes (4008) are for sockets that fall behind, not for big
 * answers — closing would make a reconnecting client ask for the same recovery again, forever.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ config: { limits: { sendBufferBytes: 65_536 } } });
});
afterAll(() => hub.dispose());

it("answers history and a recovering subscribe larger than sendBufferBytes without closing 4008", async () => {
  const channel = "chat:large-replies";
  const data = "x".repeat(10_000);
  const publisher = await RawClient.connect(hub.url);
  for (let i = 0; i < 12; i++) await publisher.request({ type: "publish", channel, data });
  publisher.close();

  const c = await RawClient.connect(hub.url);
  try {
    const page = await c.request({ type: "history", channel, limit: 100 });
    expect(page.type).toBe("history");
    expect(page.publications).toHaveLength(12);
    const sub = await c.request({ type: "subscribe", channel, since: { epoch: page.epoch, offset: 0 } });
    expect(sub).toMatchObject({ type: "subscribed", recovered: true, offset: 12 });
    expect(sub.publications).toHaveLength(12);
    expect(c.closeCode).toBeUndefined();
  } finally {
    c.close();
  }
});
