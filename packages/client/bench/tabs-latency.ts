/**
 * How fast a message shows in the visible tabs: one tab alone, three tabs sharing one
 * connection while the holding tab's timers and animation frames never fire (what Chromium's
 * throttling of a hidden tab tends to), and three tabs with a connection each (tabs: false).
 * Publishes COUNT messages one after another from a riding tab; reports the time from publish to
 * the hub's confirmation in that tab, and to the message in another tab (median, p95). Not a
 * test; run it by hand after `npx tsc -b`:
 *
 *   node --import tsx packages/client/bench/tabs-latency.ts [count=50]
 */
import { startHub } from "@switchboard/hub";
import { tempDir, waitFor } from "@switchboard/testkit";
import { chromium, type Page } from "playwright-core";
import { serveTabPage, type TabRecord } from "../test/helpers/tab-page.js";

const COUNT = Number(process.argv[2] ?? 50);
const hub = await startHub({ port: 0, dataDir: tempDir(), logLevel: "silent" });
const served = await serveTabPage(hub.url);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
});

const read = (tab: Page): Promise<TabRecord> =>
  tab.evaluate(() => (window as unknown as { record: TabRecord }).record);

async function measure(name: string, queries: string[]): Promise<Record<string, string | number>> {
  const context = await browser.newContext();
  const channel = `bench:${name.replace(/\W+/g, "-")}`;
  const tabs: Page[] = [];
  for (const q of queries) {
    const tab = await context.newPage();
    await tab.goto(`${served.base}?channel=${channel}${q}`);
    await waitFor("the tab to connect", () =>
      tab.evaluate(() => (window as unknown as { client?: { state: string } }).client?.state === "connected"),
    );
    tabs.push(tab);
  }
  const publisher = tabs[tabs.length - 1] as Page;
  const other = tabs.length > 1 ? (tabs[tabs.length - 2] as Page) : undefined;
  for (let i = 0; i < COUNT; i++) {
    await publisher.evaluate(
      (t) => (window as unknown as { publish(t: string): Promise<void> }).publish(t),
      `b${i}`,
    );
    if (other) await waitFor("the other tab", async () => (await read(other)).events.length > i, 10_000);
  }
  const mine = await read(publisher);
  const sentAt = new Map(mine.events.filter((e) => e.pending).map((e) => [e.text, e.at]));
  const confirm = mine.events
    .filter((e) => e.type === "confirmed")
    .map((e) => e.at - (sentAt.get(e.text) ?? e.at));
  const seen = other ? (await read(other)).events.map((e) => e.at - (sentAt.get(e.text) ?? e.at)) : [];
  await context.close();
  return {
    case: name,
    "confirmed ms (median / p95)": stats(confirm),
    "other tab ms (median / p95)": stats(seen),
  };
}

function stats(values: number[]): string {
  if (values.length === 0) return "-";
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return `${at(0.5)} / ${at(0.95)}`;
}

const rows = [
  await measure("one tab", [""]),
  await measure("3 tabs shared, holder timers stopped", ["&timers=stopped", "", ""]),
  await measure("3 tabs, a connection each", ["&tabs=off", "&tabs=off", "&tabs=off"]),
];
console.log(`${COUNT} messages published one after another from the last tab opened`);
console.table(rows);
await browser.close();
await served.close();
await hub.close();
