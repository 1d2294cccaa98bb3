/**
 * A stream reset (the channel's epoch changed under the hub, e.g. Redis restarted empty) ends
 * every local subscription with `insufficient_state`; presence and join/leave must follow, and
 * the subscription gauge must not drift. The broker is the real SQLite broker; the test only adds
 * a way to inject the engine event that a lost history produces.
 */
import { afterEach, expect, it } from "vitest";
import { GatedBroker } from "./gated-broker.js";
import { type Frame, RawClient } from "./raw-client.js";
import { startTestHub, type TestHub, tempDir } from "./test-hub.js";

let hub: TestHub | undefined;
afterEach(async () => {
  await hub?.dispose();
});

it("ends subscriptions on a reset, clears their presence, and keeps the gauge exact", async () => {
  const dir = tempDir();
  const broker = new GatedBroker({ path: `${dir}/sb.db` });
  hub = await startTestHub({ broker, dataDir: dir });
  const channel = "chat:reset";
  const a = await RawClient.connect(hub.url, { name: "a" });
  const b = await RawClient.connect(hub.url, { name: "b" });
  await a.request({ type: "subscribe", channel });
  await b.request({ type: "subscribe", channel });
  await a.waitFor((f) => f.type === "join");
  broker.loseHistory(channel);
  for (const c of [a, b])
    expect(await c.waitFor((f) => f.type === "unsubscribed" && f.id === undefined)).toMatchObject({
      channel,
      reason: "insufficient_state",
      resubscribe: true,
    });
  // Nobody here is subscribed any more (a node elsewhere would get `leave`): the gauge reads 0, and
  // a newcomer (presence answers subscribers only) finds itself alone — no stale entries of a and b.
  // /metrics renders at most once a second: poll it.
  const metrics = async () => (await fetch(`${hub?.httpUrl}/metrics`)).text();
  await expect.poll(metrics).toMatch(/switchboard_subscriptions 0\b/);
  const c = await RawClient.connect(hub.url, { name: "c" });
  await c.request({ type: "subscribe", channel });
  await expect
    .poll(async () =>
      ((await c.request({ type: "presence", channel })).clients as Frame[]).map((p) => p.client),
    )
    .toEqual([c.clientId]);
  await c.request({ type: "unsubscribe", channel });
  c.close();
  // Resubscribing (as the SDK does) counts again, and presence is exact: no stale entries.
  const again = await a.request({ type: "subscribe", channel, since: { epoch: "old", offset: 0 } });
  expect(again).toMatchObject({ type: "subscribed", recovered: false });
  await b.request({ type: "subscribe", channel });
  const presence = (await a.request({ type: "presence", channel })).clients as Frame[];
  expect(presence.map((p) => p.client).sort()).toEqual([a.clientId, b.clientId].sort());
  await expect.poll(metrics).toMatch(/switchboard_subscriptions 2\b/);
  a.close();
  b.close();
});
