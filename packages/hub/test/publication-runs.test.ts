/**
 * Publications reach a write pass as one run per channel (FlushScheduler, ChannelStream.flushRun):
 * whatever else happens to a connection before that pass — it closes, it leaves one of its
 * channels — its frames must still leave in the order they were produced. The broker is the real
 * SQLite broker; one test holds its events back for a moment, as a pub/sub message delayed on the
 * wire would be, so that they reach the hub between two reads of a client's socket.
 */
import { afterEach, expect, it } from "vitest";
import { GatedBroker } from "./gated-broker.js";
import { type Frame, RawClient, RawClients } from "./raw-client.js";
import { startTestHub, type TestHub, tempDir } from "./test-hub.js";

let hub: TestHub | undefined;
const clients = new RawClients();
const connect = (url: string) => clients.connect(url);
afterEach(async () => {
  clients.closeAll();
  await hub?.dispose();
  hub = undefined;
});

it("a hub-initiated close still sends the publications delivered before it (4029 after a stored publish)", async () => {
  hub = await startTestHub({ config: { limits: { publishRatePerSecond: 1, rateLimitStrikes: 1 } } });
  const channel = "chat:close-after-run";
  const abuser = await connect(hub.url);
  await abuser.request({ type: "subscribe", channel });
  // One message: the first publish is stored, the second refused, the third closes with 4029 once
  // the first is answered. Its live copy was delivered to the channel before that close.
  abuser.send(
    [1, 2, 3].map((i) => JSON.stringify({ type: "publish", id: 100 + i, channel, data: i })).join("\n"),
  );
  expect(await abuser.waitClosed()).toBe(4029);
  const published = abuser.frames.find((f) => f.type === "published");
  expect(published).toMatchObject({ id: 101, offset: 1 });
  const types = abuser.frames.filter((f) => f.type === "pub" || f.type === "disconnect");
  expect(types.map((f) => [f.type, f.offset])).toEqual([
    ["pub", 1],
    ["disconnect", undefined],
  ]);
});

it("keeps production order across channels when a connection leaves one of them before the pass", async () => {
  const dir = tempDir();
  const broker = new GatedBroker({ path: `${dir}/sb.db` });
  hub = await startTestHub({ broker, dataDir: dir });
  const [a, b] = ["chat:order-a", "chat:order-b"];
  const sub = await connect(hub.url);
  const pub = await connect(hub.url);
  await sub.request({ type: "subscribe", channel: a });
  await sub.request({ type: "subscribe", channel: b });
  broker.hold();
  await pub.request({ type: "publish", channel: a, data: "first" });
  await pub.request({ type: "publish", channel: b, data: "second" });
  expect(broker.heldCount).toBe(2);
  // The unsubscribe is read on the hub's next poll; the publications reach it just before (the
  // check phase of this turn), so both channels have a run waiting for the next write pass.
  const from = sub.frames.length;
  sub.send({ type: "unsubscribe", id: 900, channel: b });
  setImmediate(() => broker.release());
  await sub.waitFor((f) => f.id === 900);
  await sub.waitForCount((f) => f.type === "pub", 2);
  const seen = sub.frames.slice(from).map((f: Frame) => (f.type === "pub" ? f.data : f.type));
  expect(seen).toEqual(["first", "second", "unsubscribed"]);
  expect(sub.closeCode).toBeUndefined();
});

it("a subscriber joining while a run waits for the pass gets none of it: the run goes to those it was delivered to", async () => {
  const dir = tempDir();
  const broker = new GatedBroker({ path: `${dir}/sb.db` });
  hub = await startTestHub({ broker, dataDir: dir });
  const channel = "chat:join-during-run";
  const early = await connect(hub.url);
  const late = await connect(hub.url);
  const pub = await connect(hub.url);
  await early.request({ type: "subscribe", channel });
  broker.hold();
  await pub.request({ type: "publish", channel, data: "before" });
  expect(broker.heldCount).toBe(1);
  // The subscribe is read on the hub's next poll, after the publication reached the stream.
  late.send({ type: "subscribe", id: 900, channel });
  setImmediate(() => broker.release());
  const subscribed = await late.waitFor((f) => f.id === 900);
  expect(subscribed).toMatchObject({ type: "subscribed", offset: 1 });
  await pub.request({ type: "publish", channel, data: "after" });
  await early.waitForCount((f) => f.type === "pub", 2);
  await late.waitForCount((f) => f.type === "pub", 1);
  await pub.request({ type: "publish", channel, data: "last" });
  await late.waitForCount((f) => f.type === "pub", 2);
  expect(early.pubs(channel).map((f) => [f.offset, f.data])).toEqual([
    [1, "before"],
    [2, "after"],
    [3, "last"],
  ]);
  expect(late.pubs(channel).map((f) => [f.offset, f.data])).toEqual([
    [2, "after"],
    [3, "last"],
  ]);
});

it("a stream reset ends subscriptions after the publications of the run it interrupts", async () => {
  const dir = tempDir();
  const broker = new GatedBroker({ path: `${dir}/sb.db` });
  hub = await startTestHub({ broker, dataDir: dir });
  const [channel, other] = ["chat:reset-run", "chat:reset-other"];
  const alone = await connect(hub.url);
  const both = await connect(hub.url);
  const pub = await connect(hub.url);
  await alone.request({ type: "subscribe", channel });
  await both.request({ type: "subscribe", channel });
  await both.request({ type: "subscribe", channel: other });
  broker.hold();
  for (const data of ["one", "two"]) await pub.request({ type: "publish", channel, data });
  await pub.request({ type: "publish", channel: other, data: "elsewhere" });
  expect(broker.heldCount).toBe(3);
  // Delivered, then the epoch changes before any write pass: both in one turn.
  broker.release();
  broker.loseHistory(channel);
  for (const c of [alone, both]) {
    await c.waitFor((f) => f.type === "unsubscribed" && f.channel === channel);
    const seen = c.frames
      .filter((f) => f.channel === channel && (f.type === "pub" || f.type === "unsubscribed"))
      .map((f) => (f.type === "pub" ? f.data : f.reason));
    expect(seen).toEqual(["one", "two", "insufficient_state"]);
  }
  // The other channel goes on, in the order it was published.
  const last = await both.waitFor((f) => f.type === "pub" && f.channel === other);
  expect(last).toMatchObject({ offset: 1, data: "elsewhere" });
  expect(both.frames.findIndex((f) => f === last)).toBeGreaterThan(
    both.frames.findIndex((f) => f.type === "pub" && f.data === "two"),
  );
});
