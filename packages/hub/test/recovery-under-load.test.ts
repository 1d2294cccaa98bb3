/**
 * Recovery while the channel keeps moving: a subscribe with `since` must come back
 * `recovered: true` even when one history read takes longer than the gap between two
 * publications (NATS JetStream under load: tens of ms per read). The hub used to chase the
 * moving top with more reads and give up after 8 rounds, telling clients `recovered: false`
 * although every publication was still in history. A `rewind` join reads history the same way
 * and must also meet the live stream with no gap and no duplicate.
 */
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { Broker } from "../src/brokers/broker.js";
import { SqliteBroker } from "../src/brokers/sqlite/sqlite-broker.js";
import { RawClient } from "./raw-client.js";
import { startTestHub, type TestHub, tempDir } from "./test-hub.js";

/** The embedded broker with every history read delayed (a slow engine), nothing else changed. */
function slowHistory(inner: Broker, delayMs: number): Broker {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === "history")
        return async (...args: Parameters<Broker["history"]>) => {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          return target.history(...args);
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

let hub: TestHub | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await hub?.dispose();
});

it("recovers a subscription in full while publications keep arriving faster than history reads", async () => {
  const dir = tempDir();
  hub = await startTestHub({
    dataDir: dir,
    broker: slowHistory(new SqliteBroker({ path: join(dir, "slow.db") }), 40),
  });
  const channel = "chat:moving";
  const watcher = await RawClient.connect(hub.url);
  const publisher = await RawClient.connect(hub.url);
  clients.push(watcher, publisher);
  const first = await watcher.request({ type: "subscribe", channel });
  const epoch = first.epoch as string;

  // A publication every ~2 ms (each awaited), i.e. several per 40 ms history read.
  let publishing = true;
  let last = 0;
  const loop = (async () => {
    for (let i = 0; publishing && i < 900; i++) {
      const ack = await publisher.request({ type: "publish", channel, data: i });
      last = ack.offset as number;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  await watcher.waitForCount((f) => f.type === "pub", 30, 10_000);

  const late = await RawClient.connect(hub.url);
  clients.push(late);
  const reply = await late.request({ type: "subscribe", channel, since: { epoch, offset: 10 } }, 10_000);
  await watcher.waitForCount(
    (f) => f.type === "pub" && (f.offset as number) > (reply.offset as number) + 20,
    1,
  );
  publishing = false;
  await loop;

  expect(reply).toMatchObject({ type: "subscribed", epoch, recovered: true });
  const top = reply.offset as number;
  expect(top).toBeGreaterThan(30);
  const recovered = (reply.publications as Array<{ offset: number }>).map((p) => p.offset);
  expect(recovered).toEqual(Array.from({ length: top - 10 }, (_, i) => 11 + i));
  // Live frames continue exactly where the reply ended.
  await late.waitFor((f) => f.type === "pub" && f.offset === last, 10_000);
  const live = late.pubs(channel).map((f) => f.offset as number);
  expect(live).toEqual(Array.from({ length: last - top }, (_, i) => top + 1 + i));
}, 30_000);

it("rewinds while publications keep arriving faster than history reads: no gap, no duplicate", async () => {
  const dir = tempDir();
  hub = await startTestHub({
    dataDir: dir,
    broker: slowHistory(new SqliteBroker({ path: join(dir, "slow.db") }), 40),
  });
  const channel = "chat:rewinding";
  const publisher = await RawClient.connect(hub.url);
  clients.push(publisher);
  let publishing = true;
  let last = 0;
  const loop = (async () => {
    for (let i = 0; publishing && i < 900; i++) {
      const ack = await publisher.request({ type: "publish", channel, data: i });
      last = ack.offset as number;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  const joins: Array<{ client: RawClient; reply: Record<string, unknown> }> = [];
  for (const after of [12, 30, 50]) {
    await publisher.waitFor((f) => f.type === "published" && (f.offset as number) >= after, 10_000);
    const client = await RawClient.connect(hub.url);
    clients.push(client);
    joins.push({ client, reply: await client.request({ type: "subscribe", channel, rewind: 8 }, 10_000) });
  }
  const lastTop = joins.at(-1)?.reply.offset as number;
  await publisher.waitFor((f) => f.type === "published" && (f.offset as number) > lastTop + 20, 10_000);
  publishing = false;
  await loop;

  for (const { client, reply } of joins) {
    expect(reply).toMatchObject({ type: "subscribed", recovered: false });
    const top = reply.offset as number;
    const rewound = (reply.publications as Array<{ offset: number }>).map((p) => p.offset);
    expect(rewound).toEqual(Array.from({ length: 8 }, (_, i) => top - 7 + i));
    await client.waitFor((f) => f.type === "pub" && f.offset === last, 10_000);
    const live = client.pubs(channel).map((f) => f.offset as number);
    expect(live).toEqual(Array.from({ length: last - top }, (_, i) => top + 1 + i));
  }
}, 30_000);
