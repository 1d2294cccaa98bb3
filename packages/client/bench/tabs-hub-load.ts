/**
 * What sharing one connection per browser saves the hub: USERS simulated users with TABS tabs
 * each, once as the browser does it with tabs shared (one connection per user) and once as before
 * (one connection per tab). Every tab subscribes to a room channel; PUBLISHERS users publish at
 * RATE messages/s for SECONDS; the hub (a `switchboard hub` child process) reports its resident
 * memory and CPU time through GET /metrics. Not a test; run it by hand after `npx tsc -b`:
 *
 *   node --import tsx packages/client/bench/tabs-hub-load.ts [users=100] [tabs=3] [seconds=20]
 *
 * The hub cannot tell a shared connection from a single tab's, so simulating the shared case as
 * one Node client per user measures exactly what the hub carries.
 */
import { HubProcess, tempDir, waitFor } from "@switchboard/testkit";
import WebSocket from "ws";
import { type Client, createClient } from "../src/index.js";

const USERS = Number(process.argv[2] ?? 100);
const TABS = Number(process.argv[3] ?? 3);
const SECONDS = Number(process.argv[4] ?? 20);
const ROOMS = 10;
const PUBLISHERS = 10;
const RATE = 10;

async function metric(hub: HubProcess, name: string): Promise<number> {
  const text = await (await fetch(`${hub.httpUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

async function run(mode: "shared" | "per-tab"): Promise<Record<string, number | string>> {
  const hub = await HubProcess.launch({ name: `tabs-${mode}`, dataDir: tempDir() });
  const perUser = mode === "shared" ? 1 : TABS;
  const clients: Client[] = [];
  let received = 0;
  const rssBefore = await metric(hub, "process_resident_memory_bytes");
  for (let u = 0; u < USERS; u++)
    for (let t = 0; t < perUser; t++) {
      const c = createClient({ urls: hub.url, WebSocket, name: `user-${u}`, tabs: false });
      c.subscribe(`room:r${u % ROOMS}`).on("publication", () => received++);
      clients.push(c);
    }
  await waitFor(
    "every connection",
    async () => (await metric(hub, "switchboard_connections")) === clients.length,
    {
      timeoutMs: 60_000,
      intervalMs: 200,
    },
  );
  const rssIdle = await metric(hub, "process_resident_memory_bytes");
  const cpu0 = await metric(hub, "process_cpu_seconds_total");
  const started = Date.now();
  let sent = 0;
  const timer = setInterval(() => {
    for (let p = 0; p < PUBLISHERS; p++) {
      const publisher = clients[p * perUser] as Client;
      void publisher.publish(`room:r${p % ROOMS}`, { text: `m${sent}` }).catch(() => undefined);
      sent++;
    }
  }, 1000 / RATE);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  clearInterval(timer);
  const elapsed = (Date.now() - started) / 1000;
  const cpu1 = await metric(hub, "process_cpu_seconds_total");
  const rssLoaded = await metric(hub, "process_resident_memory_bytes");
  for (const c of clients) c.close();
  await hub.stop();
  const mb = (b: number): string => (b / 1_048_576).toFixed(1);
  return {
    mode,
    connections: clients.length,
    "rss start MB": mb(rssBefore),
    "rss connected MB": mb(rssIdle),
    "rss after load MB": mb(rssLoaded),
    "hub CPU %": (((cpu1 - cpu0) / elapsed) * 100).toFixed(1),
    "hub CPU ms / 1k publishes": (((cpu1 - cpu0) * 1000 * 1000) / Math.max(1, sent)).toFixed(0),
    published: sent,
    "deliveries (to sockets)": received,
  };
}

const rows = [];
for (const mode of ["shared", "per-tab"] as const) rows.push(await run(mode));
console.log(
  `${USERS} users × ${TABS} tabs, ${PUBLISHERS} publishers × ${RATE}/s over ${ROOMS} rooms, ${SECONDS} s`,
);
console.table(rows);
