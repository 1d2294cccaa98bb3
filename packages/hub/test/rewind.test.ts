/**
 * Conformance over raw frames: `subscribe` with `rewind` (docs/protocol.md "Late joiners") — the
 * last K publications in the `subscribed` reply, then live `pub` frames with no gap or duplicate.
 * Rewind while the channel keeps moving: recovery-under-load.test.ts.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type Frame, RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

const HISTORY_SIZE = 20;
let hub: TestHub;
const clients: RawClient[] = [];
beforeAll(async () => {
  hub = await startTestHub({
    config: { namespaces: { chat: { history: { size: HISTORY_SIZE, ttlSeconds: 3600 } } } },
  });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => hub.dispose());

let seq = 0;
const channel = () => `chat:rw${Date.now().toString(36)}${seq++}`;
async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(hub.url);
  clients.push(c);
  return c;
}
async function publishN(c: RawClient, ch: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await c.request({ type: "publish", channel: ch, data: { i } });
}
const offsets = (frame: Frame) => (frame.publications as Array<{ offset: number }>).map((p) => p.offset);

it("returns the last K publications, oldest first, not recovered, then live pubs right after", async () => {
  const ch = channel();
  const pub = await connect();
  await publishN(pub, ch, 10);
  const sub = await connect();
  const reply = await sub.request({ type: "subscribe", channel: ch, rewind: 4 });
  expect(reply).toMatchObject({ type: "subscribed", channel: ch, offset: 10, recovered: false });
  expect(offsets(reply)).toEqual([7, 8, 9, 10]);
  expect((reply.publications as Array<{ data: unknown }>).map((p) => p.data)).toEqual([
    { i: 7 },
    { i: 8 },
    { i: 9 },
    { i: 10 },
  ]);
  await pub.request({ type: "publish", channel: ch, data: { i: 11 } });
  expect((await sub.waitFor((f) => f.type === "pub" && f.channel === ch)).offset).toBe(11);
});

it("returns fewer when the channel has fewer, and none for an empty channel", async () => {
  const ch = channel();
  const c = await connect();
  const empty = await c.request({ type: "subscribe", channel: ch, rewind: 5 });
  expect(empty).toMatchObject({ type: "subscribed", offset: 0, recovered: false, publications: [] });
  await publishN(c, ch, 3);
  const late = await connect();
  const reply = await late.request({ type: "subscribe", channel: ch, rewind: HISTORY_SIZE });
  expect(reply).toMatchObject({ offset: 3, recovered: false });
  expect(offsets(reply)).toEqual([1, 2, 3]);
});

it("ignores rewind when since is given: since wins", async () => {
  const ch = channel();
  const c = await connect();
  await publishN(c, ch, 10);
  const { epoch } = await c.request({ type: "history", channel: ch, limit: 1 });
  const a = await connect();
  const recovering = await a.request({
    type: "subscribe",
    channel: ch,
    since: { epoch, offset: 5 },
    rewind: 2,
  });
  expect(recovering).toMatchObject({ offset: 10, recovered: true });
  expect(offsets(recovering)).toEqual([6, 7, 8, 9, 10]);
  // Out of range is no error when since is given (rewind is not used at all).
  const b = await connect();
  const lost = await b.request({
    type: "subscribe",
    channel: ch,
    since: { epoch: "another-epoch", offset: 5 },
    rewind: HISTORY_SIZE + 1,
  });
  expect(lost).toMatchObject({ type: "subscribed", offset: 10, recovered: false, publications: [] });
});

it("answers a bad rewind with BAD_REQUEST naming the field, and stays usable", async () => {
  const ch = channel();
  const c = await connect();
  for (const rewind of [0, -2, 1.5, "3", HISTORY_SIZE + 1]) {
    const reply = await c.request({ type: "subscribe", channel: ch, rewind });
    expect(reply).toMatchObject({ type: "error", code: "BAD_REQUEST" });
    expect(reply.message).toMatch(/^rewind/);
  }
  const ok = await c.request({ type: "subscribe", channel: ch, rewind: HISTORY_SIZE });
  expect(ok.type).toBe("subscribed");
});
