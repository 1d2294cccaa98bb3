/**
 * The durability promise end to end: publishers wait for acks while the hub process is killed
 * with SIGKILL mid-stream and restarted on the same data folder; a subscriber (our client SDK)
 * ends with every acknowledged publication exactly once, in order, and nothing unacknowledged.
 */
import { createClient, type Message } from "@switchboard/client";
import { freePort, HubProcess, removeTempDirs, tempDir, waitFor } from "@switchboard/testkit";
import { afterAll, expect, it } from "vitest";
import { WebSocket } from "ws";

const dataDir = tempDir("sb-sigkill-");
afterAll(removeTempDirs);

it("keeps every acknowledged publication across a SIGKILL of the hub", async () => {
  const hub = new HubProcess({ port: await freePort(), dataDir });
  await hub.start();
  const channel = "chat:sigkill";
  const options = {
    urls: hub.url,
    WebSocket,
    backoff: { initialMs: 50, maxMs: 300 },
    publishTimeoutMs: 20_000,
  };
  const subscriber = createClient({ ...options, name: "subscriber" });
  const received: Message[] = [];
  let lost = 0;
  const sub = subscriber.subscribe(channel);
  sub.on("publication", (m) => received.push(m));
  sub.on("lost", () => lost++);
  await new Promise<void>((resolve) => sub.once("subscribed", () => resolve()));

  const publishers = [0, 1, 2].map((n) => createClient({ ...options, name: `publisher-${n}` }));
  const acked = new Map<number, string>();
  let killed = false;
  const run = async (n: number) => {
    for (let i = 0; i < 100; i++) {
      const data = `p${n}-${i}`;
      const { offset } = await (publishers[n] as (typeof publishers)[number]).publish(channel, data);
      expect(acked.has(offset), `offset ${offset} acknowledged twice`).toBe(false);
      acked.set(offset, data);
    }
  };
  const running = Promise.all([0, 1, 2].map(run));
  await waitFor("120 acks before the kill", () => acked.size >= 120, 20_000);
  expect(await hub.stop("SIGKILL")).toBe("SIGKILL");
  killed = true;
  const ackedBeforeRestart = acked.size;
  await hub.start();
  await running;
  expect(killed).toBe(true);
  expect(acked.size).toBe(300);
  expect(ackedBeforeRestart).toBeLessThan(300);

  const top = Math.max(...acked.keys());
  await waitFor(`subscriber to reach offset ${top}`, () => received.length >= top, 20_000);
  // A marker published last: anything extra the hub would still deliver comes before it (one ordered channel).
  await (publishers[0] as (typeof publishers)[number]).publish(channel, "marker");
  await waitFor("the marker", () => received.at(-1)?.data === "marker", 20_000);
  received.pop();
  expect(lost).toBe(0);
  expect(received.map((m) => m.offset)).toEqual(Array.from({ length: top }, (_, i) => i + 1));
  // Every acked publication arrived with its data; nothing arrived that was never acknowledged.
  expect(top).toBe(300);
  for (const m of received) expect(m.data).toBe(acked.get(m.offset as number));
  for (const c of [subscriber, ...publishers]) c.close();
  expect(await hub.stop("SIGTERM")).toBe(0);
}, 60_000);
