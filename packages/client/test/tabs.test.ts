/**
 * One connection per browser, in Chromium: several pages of ONE browser context share Web Locks
 * and BroadcastChannel like the tabs of one profile (the page: helpers/tab-page.ts); the hub's
 * `switchboard_connections` gauge counts real connections.
 */
import { existsSync } from "node:fs";
import type { RunningHub } from "@switchboard/hub";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, httpHistory, hub, removeTempDirs, waitFor } from "./helpers/hub.js";
import { serveTabPage, type TabRecord } from "./helpers/tab-page.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const skip = !existsSync(CHROMIUM) && process.env.CI !== "true";

const title = skip ? `tabs (skipped: ${CHROMIUM} is missing; never skipped in CI)` : "tabs";

describe.skipIf(skip)(title, () => {
  let running: RunningHub;
  let served: { base: string; close(): Promise<void> } | undefined;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    running = await hub();
    served = await serveTabPage(running.url);
    base = served.base;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await running?.close();
    removeTempDirs();
  });

  // A failed test must not leave its tabs (and their connections) to the next one.
  const contexts: BrowserContext[] = [];
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  });
  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    contexts.push(context);
    return context;
  }

  async function connections(): Promise<number> {
    const text = await (
      await fetch(`${running.httpUrl}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).text();
    const line = text.split("\n").find((l) => l.startsWith("switchboard_connections "));
    return Number(line?.split(" ")[1] ?? Number.NaN);
  }

  async function openTabs(context: BrowserContext, channel: string, n: number, query = ""): Promise<Page[]> {
    const tabs: Page[] = [];
    for (let i = 0; i < n; i++) {
      const tab = await context.newPage();
      tab.on("pageerror", (e) => {
        throw e;
      });
      await tab.goto(`${base}?channel=${encodeURIComponent(channel)}${query}`);
      // Polled from here: waitForFunction polls with the page's animation frames (stopped in some tabs).
      await pollUntil(
        () =>
          tab.evaluate(
            () => (window as unknown as { client?: { state: string } }).client?.state === "connected",
          ),
        "the tab to connect",
      );
      tabs.push(tab);
    }
    return tabs;
  }

  const read = (tab: Page): Promise<TabRecord> =>
    tab.evaluate(() => (window as unknown as { record: TabRecord }).record);
  const role = (tab: Page): Promise<string> =>
    tab.evaluate(() => (window as unknown as { client: { tabRole: string } }).client.tabRole);

  /** The texts a tab shows, once each: publications plus confirmations of its own pending ones. */
  function shown(record: TabRecord): Array<{ offset: number | null; text: string }> {
    const confirmed = new Map(
      record.events.filter((e) => e.type === "confirmed").map((e) => [e.text, e.offset]),
    );
    return record.events
      .filter((e) => e.type === "publication")
      .map((e) => ({ offset: e.pending ? (confirmed.get(e.text) ?? null) : e.offset, text: e.text }));
  }

  async function pollUntil(
    condition: () => Promise<boolean>,
    what: string,
    timeoutMs = 10_000,
  ): Promise<void> {
    let ok = false;
    const deadline = Date.now() + timeoutMs;
    while (!ok && Date.now() < deadline) {
      ok = await condition();
      if (!ok) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitFor(() => ok, what, 0);
  }

  it("three tabs hold one hub connection; a message from any tab shows once in all three", async () => {
    const context = await newContext();
    const channel = "chat:tabs-three";
    const tabs = await openTabs(context, channel, 3);
    expect(await connections()).toBe(1);
    expect((await Promise.all(tabs.map(role))).sort()).toEqual(["holder", "rider", "rider"]);
    for (const [i, tab] of tabs.entries())
      await tab.evaluate(
        (text) => (window as unknown as { publish(t: string): Promise<void> }).publish(text),
        `from tab ${i}`,
      );
    await pollUntil(
      async () =>
        (await Promise.all(tabs.map(read))).every(
          (r) => shown(r).filter((s) => s.offset !== null).length === 3,
        ),
      "every tab to have the three messages confirmed",
    );
    const expected = [0, 1, 2].map((i) => ({ offset: i + 1, text: `from tab ${i}` }));
    for (const [i, tab] of tabs.entries()) {
      const record = await read(tab);
      expect(shown(record)).toEqual(expected);
      // Own message pending first, then confirmed; the others' arrive as plain publications.
      expect(record.events.filter((e) => e.pending).map((e) => e.text)).toEqual([`from tab ${i}`]);
      expect(record.errors).toEqual([]);
    }
    // One user once per browser: the channel's presence lists the one connection.
    const present = await (tabs[2] as Page).evaluate(() =>
      (window as unknown as { client: { presence(c: string): Promise<unknown[]> } }).client.presence(
        "chat:tabs-three",
      ),
    );
    expect(present).toHaveLength(1);
    expect(await connections()).toBe(1);
    await context.close();
    await pollUntil(async () => (await connections()) === 0, "the connection to close with the tabs");
  });

  it("no delivery path waits for a timer of the holding tab (a hidden holder's are throttled)", async () => {
    const context = await newContext();
    const channel = "chat:tabs-timers";
    // The first tab takes the lock and holds the connection; none of its timers ever fires.
    const [holder, ...riders] = [
      ...(await openTabs(context, channel, 1, "&timers=stopped")),
      ...(await openTabs(context, channel, 2)),
    ] as [Page, Page, Page];
    expect(await role(holder)).toBe("holder");
    const tabs = [holder, ...riders];
    for (const [i, tab] of tabs.entries())
      await tab.evaluate(
        (t) => (window as unknown as { publish(t: string): Promise<void> }).publish(t),
        `t${i}`,
      );
    await pollUntil(
      async () =>
        (await Promise.all(tabs.map(read))).every(
          (r) => shown(r).filter((x) => x.offset !== null).length === 3,
        ),
      "every tab to show the three messages confirmed",
    );
    const expected = ["t0", "t1", "t2"].map((text, i) => ({ offset: i + 1, text }));
    for (const tab of tabs) expect(shown(await read(tab))).toEqual(expected);
  });

  it("tabs: false gives every tab its own connection", async () => {
    const context = await newContext();
    const tabs = await openTabs(context, "chat:tabs-off", 3, "&tabs=off");
    expect(await Promise.all(tabs.map(role))).toEqual(["off", "off", "off"]);
    expect(await connections()).toBe(3);
    await context.close();
    await pollUntil(async () => (await connections()) === 0, "the connections to close with the tabs");
  });

  it("a hung holding tab is replaced within 5 s, steps down when it runs again, and misses nothing", async () => {
    const context = await newContext();
    const channel = "chat:tabs-hung";
    const tabs = await openTabs(context, channel, 3);
    const roles = await Promise.all(tabs.map(role));
    const holder = tabs[roles.indexOf("holder")] as Page;
    const riders = tabs.filter((t) => t !== holder);
    const publish = (tab: Page, text: string): Promise<void> =>
      tab.evaluate((t) => (window as unknown as { publish(t: string): Promise<void> }).publish(t), text);
    await publish(riders[0] as Page, "before");
    await pollUntil(async () => shown(await read(riders[1] as Page)).length === 1, "the first message");
    // The holder's main thread stops for 8 s: no event handler, no timer, no socket runs there.
    // (Chromium's own freeze, Page.setWebLifecycleState, keeps message handlers running here:
    // such a tab still relays and is rightly kept.)
    const hung = holder.evaluate(() => {
      const until = Date.now() + 8_000;
      while (Date.now() < until) {}
    });
    const hungAt = Date.now();
    await pollUntil(
      async () => (await Promise.all(riders.map(role))).includes("holder"),
      "a rider to take over",
      5_000,
    );
    expect(Date.now() - hungAt).toBeLessThan(5_000);
    await publish(riders[1] as Page, "while hung");
    await pollUntil(
      async () => shown(await read(riders[0] as Page)).length === 2,
      "delivery through the new holder",
    );
    await hung;
    // The old holder gave its connection up and rides the new holder, recovering what it missed.
    await pollUntil(
      async () => (await connections()) === 1 && (await role(holder)) === "rider",
      "the old holder to step down",
    );
    await publish(holder, "after");
    const expected = [
      { offset: 1, text: "before" },
      { offset: 2, text: "while hung" },
      { offset: 3, text: "after" },
    ];
    await pollUntil(
      async () =>
        (await Promise.all(tabs.map(read))).every(
          (r) => shown(r).filter((x) => x.offset !== null).length === 3,
        ),
      "every tab to show the three messages",
    );
    for (const tab of tabs) expect(shown(await read(tab))).toEqual(expected);
    await context.close();
  });

  it("a crashed holding tab is replaced within 5 s; the others miss nothing", async () => {
    const context = await newContext();
    const channel = "chat:tabs-crash";
    const tabs = await openTabs(context, channel, 3);
    const roles = await Promise.all(tabs.map(role));
    const holder = tabs[roles.indexOf("holder")] as Page;
    const riders = tabs.filter((t) => t !== holder) as [Page, Page];
    const publish = (tab: Page, text: string): Promise<void> =>
      tab.evaluate((t) => (window as unknown as { publish(t: string): Promise<void> }).publish(t), text);
    await publish(riders[0], "before");
    await pollUntil(async () => shown(await read(riders[1])).length === 1, "the first message");
    const crashed = new Promise<void>((resolve) => holder.once("crash", () => resolve()));
    const cdp = await context.newCDPSession(holder);
    void cdp.send("Page.crash").catch(() => undefined); // never answers: the renderer is gone
    const crashedAt = Date.now();
    await crashed;
    await pollUntil(
      async () => (await connections()) === 1 && (await Promise.all(riders.map(role))).includes("holder"),
      "one connection again, held by a remaining tab",
      5_000,
    );
    expect(Date.now() - crashedAt).toBeLessThan(5_000);
    await publish(riders[1], "after");
    const expected = [
      { offset: 1, text: "before" },
      { offset: 2, text: "after" },
    ];
    await pollUntil(
      async () =>
        (await Promise.all(riders.map(read))).every(
          (r) => shown(r).filter((x) => x.offset !== null).length === 2,
        ),
      "both tabs to show both messages",
    );
    for (const tab of riders) expect(shown(await read(tab))).toEqual(expected);
  });

  it("the holding tab closed mid-stream: another takes over within 5 s; every tab has every message once, in order", async () => {
    const context = await newContext();
    const channel = "chat:tabs-handover";
    const tabs = await openTabs(context, channel, 3);
    const roles = await Promise.all(tabs.map(role));
    const holder = tabs[roles.indexOf("holder")] as Page;
    const riders = tabs.filter((t) => t !== holder);
    const publisher = riders[0] as Page;
    // Publish every 50 ms from a riding tab, across the handover.
    await publisher.evaluate(() => {
      const w = window as unknown as { publish(t: string): Promise<void>; sent: number; timer: number };
      w.sent = 0;
      w.timer = window.setInterval(() => void w.publish(`m${++w.sent}`), 50);
    });
    await pollUntil(async () => shown(await read(publisher)).length >= 10, "the stream to run");
    await holder.close();
    const closedAt = Date.now();
    await pollUntil(
      async () => (await connections()) === 1 && (await Promise.all(riders.map(role))).includes("holder"),
      "one connection again, held by a remaining tab",
      5_000,
    );
    const handoverMs = Date.now() - closedAt;
    await pollUntil(
      async () => shown(await read(publisher)).length >= 60,
      "the stream to go on after the handover",
    );
    const sent = await publisher.evaluate(() => {
      const w = window as unknown as { sent: number; timer: number };
      clearInterval(w.timer);
      return w.sent;
    });
    const texts = Array.from({ length: sent }, (_, i) => `m${i + 1}`);
    await pollUntil(async () => {
      const history = await httpHistory(running, channel);
      return history.publications.length === sent;
    }, "every publish in the hub's history");
    const history = await httpHistory(running, channel);
    // Nothing lost or doubled at the hub: each text once, in the order it was published.
    expect(history.publications.map((p) => (p.data as { text: string }).text)).toEqual(texts);
    const expected = history.publications.map((p) => ({
      offset: p.offset,
      text: (p.data as { text: string }).text,
    }));
    await pollUntil(
      async () =>
        (await Promise.all(riders.map(read))).every(
          (r) => shown(r).filter((s) => s.offset !== null).length === sent,
        ),
      "both remaining tabs to show every message confirmed",
    );
    for (const tab of riders) {
      const record = await read(tab);
      expect(shown(record)).toEqual(expected);
      expect(record.errors).toEqual([]);
    }
    expect(await connections()).toBe(1);
    expect(handoverMs).toBeLessThan(5_000);
    await context.close();
  });
});
