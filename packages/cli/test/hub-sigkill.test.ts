/**
 * The durability promise end to end: publishers wait for acks while the hub process is killed
 * with SIGKILL mid-stream and restarted on the same data folder; a subscriber (our client SDK)
 * ends with every acknowledged publication exactly once, in order, and nothing unacknowledged.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Message } from "@switchboard/client";
import { afterAll, expect, it } from "vitest";
import { WebSocket } from "ws";
import { freePort, HubProcess } from "./hub-process.js";

const dataDir = mkdtempSync(join(tmpdir(), "sb-sigkill-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it("keeps every acknowledged publication across a SIGKILL of the hub", async () => {
  const hub = new HubProcess(await freePort(), ["--data", dataDir]);
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
  await until(() => acked.size >= 120, 20_000, "120 acks before the kill");
  expect(await hub.stop("SIGKILL")).toBe("SIGKILL");
  killed = true;
  const ackedBeforeRestart = acked.size;
  await hub.start();
  await running;
  expect(killed).toBe(true);
  expect(acked.size).toBe(300);
  expect(ackedBeforeRestart).toBeLessThan(300);

  const top = Math.max(...acked.keys());
  await until(() => received.length >= top, 20_000, `subscriber to reach offset ${top}`);
  await new Promise((r) => setTimeout(r, 200)); // anything extra would show up now
  expect(lost).toBe(0);
  expect(received.map((m) => m.offset)).toEqual(Array.from({ length: top }, (_, i) => i + 1));
  // Every acked publication arrived with its data; nothing arrived that was never acknowledged.
  expect(top).toBe(300);
  for (const m of received) expect(m.data).toBe(acked.get(m.offset as number));
  for (const c of [subscriber, ...publishers]) c.close();
  expect(await hub.stop("SIGTERM")).toBe(0);
}, 60_000);
