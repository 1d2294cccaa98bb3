/**
 * Requests about one channel that arrive pipelined are answered as if handled one after another,
 * even while the first is still waiting on the broker.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

let hub: TestHub;
const clients: RawClient[] = [];
beforeAll(async () => {
  hub = await startTestHub();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => hub.dispose());

it("subscribe, unsubscribe, subscribe pipelined ends subscribed (the SDK's retry of an unanswered subscribe)", async () => {
  const c = await RawClient.connect(hub.url);
  clients.push(c);
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
});
