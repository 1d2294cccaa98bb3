/**
 * The amplification attack (one 12 KB message of history requests) against a live hub PROCESS: 200 `history` frames with
 * `limit: 1000` in one 12 KB message, on a channel of ~50 KB publications, from a few sockets
 * that never read. The hub used to build every page before any send-buffer check (RSS 3.9 GB,
 * /healthz dead, heap OOM). Now it holds about one reply per connection: RSS stays under 1 GB,
 * /healthz answers throughout, and a well-behaved SDK subscriber keeps receiving.
 */
import { readFileSync } from "node:fs";
import { createClient } from "@switchboard/client";
import { HubProcess, tempDir, waitFor } from "@switchboard/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { RawClient } from "../raw-client.js";

const BIG = "chat:big";
const LIVE = "chat:live";
const PUBLICATIONS = 1_000;
const ATTACKERS = Number(process.env.SB_ATTACKERS ?? 3);
const ATTACK_MS = 12_000;
const RSS_LIMIT_BYTES = 1024 ** 3;
/**
 * /healthz must answer, not be fast: one 50 MB page (read, parse, encode) holds the event loop
 * for a second or two on a loaded 2-core machine. Before the fix the process died (heap OOM).
 */
const HEALTH_TIMEOUT_MS = 10_000;

let hub: HubProcess;
beforeAll(async () => {
  hub = await HubProcess.launch({ dataDir: tempDir() });
  const filler = await RawClient.connect(hub.url);
  const data = "x".repeat(50_000);
  for (let i = 0; i < PUBLICATIONS; i += 50)
    await Promise.all(
      Array.from({ length: 50 }, () => filler.request({ type: "publish", channel: BIG, data }, 30_000)),
    );
  filler.close();
}, 120_000);
afterAll(() => hub.kill());

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0) * 1024;
}

it("keeps RSS under 1 GB, /healthz up and a subscriber served during 200 histories per message", async () => {
  const pid = hub.pid as number;
  const publisher = await RawClient.connect(hub.url);
  const client = createClient({ urls: hub.url, WebSocket, tabs: false });
  const received: number[] = [];
  const sub = client.subscribe(LIVE);
  sub.on("publication", (m) => received.push(m.data as number));
  await waitFor("subscribed", () => sub.state === "subscribed");

  const attack = Array.from(
    { length: 200 },
    (_, i) => `{"type":"history","id":${i + 1},"channel":"${BIG}","limit":1000}`,
  ).join("\n");
  const attackers: RawClient[] = [];
  for (let i = 0; i < ATTACKERS; i++) {
    const a = await RawClient.connect(hub.url);
    a.ws.pause(); // reads nothing from here on
    attackers.push(a);
  }
  let maxRss = rssBytes(pid);
  let healthChecks = 0;
  let slowestHealth = 0;
  let published = 0;
  try {
    for (const a of attackers) a.send(attack);
    const end = Date.now() + ATTACK_MS;
    let receivedAtStart = -1;
    while (Date.now() < end) {
      const asked = Date.now();
      const health = await fetch(`${hub.httpUrl}/healthz`, {
        signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
      });
      expect(health.status).toBe(200);
      slowestHealth = Math.max(slowestHealth, Date.now() - asked);
      healthChecks++;
      await publisher.request({ type: "publish", channel: LIVE, data: ++published }, HEALTH_TIMEOUT_MS);
      if (receivedAtStart < 0) receivedAtStart = received.length;
      maxRss = Math.max(maxRss, rssBytes(pid));
      // A repeat from the same sockets: still one reply at a time each.
      if (healthChecks === 2) for (const a of attackers) a.send(attack);
    }
    // Served all along: several rounds of health check + live message went through the attack.
    expect(healthChecks).toBeGreaterThanOrEqual(3);
    expect(received.length).toBeGreaterThan(receivedAtStart);
    await waitFor("every live message", () => received.length === published);
    expect(received).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    maxRss = Math.max(maxRss, rssBytes(pid));
    console.log(
      `amplification: max RSS ${(maxRss / 1024 ** 2).toFixed(0)} MB, ${healthChecks} /healthz answered (slowest ${slowestHealth} ms), ${published} live messages delivered`,
    );
    expect(maxRss).toBeLessThan(RSS_LIMIT_BYTES);
  } finally {
    for (const a of attackers) a.close();
    client.close();
    publisher.close();
  }
}, 60_000);
