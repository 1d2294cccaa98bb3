/**
 * The front end in a real browser: host + sender + receiver on three origins, a hub of our own,
 * two people chatting. One browser and one system for the whole file, tests in order: launching
 * Chromium and building the apps is the expensive part.
 */

import { waitFor } from "@switchboard/testkit";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FEED_CAP } from "../apps/receiver/src/feed-store.js";
import { appDist, defaultAppsDir } from "../packages/cli/src/build-apps.js";
import { serveApp } from "../packages/cli/src/serve-apps.js";
import { startBlackHole } from "./support/black-hole.js";
import { type ChatPage, openChat } from "./support/chat-page.js";
import { browserSkipReason, launchChromium } from "./support/chromium.js";
import { startTestSystem, type TestSystem } from "./support/test-system.js";
import { runVolume, volumeNumbers } from "./support/volume.js";

const title = `front end in a browser${browserSkipReason ? ` (skipped: ${browserSkipReason})` : ""}`;
const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;

describe.skipIf(browserSkipReason !== undefined)(title, () => {
  let system: TestSystem;
  let browser: Browser;
  let a: ChatPage;
  let b: ChatPage;

  beforeAll(async () => {
    // Builds the apps when stale (cached otherwise), then serves them; the browser starts meanwhile.
    [system, browser] = await Promise.all([startTestSystem(), launchChromium()]);
    a = await openChat(browser, system.hostUrl);
    b = await openChat(browser, system.hostUrl);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
  });

  it("delivers a message typed in A's sender to A and B within 1 s, once in A", async () => {
    const text = unique("hello from A");
    await a.message.fill(text);
    const sentAt = Date.now();
    const seen = (page: ChatPage) =>
      page.log
        .getByText(text, { exact: true })
        .waitFor({ timeout: 5_000 })
        .then(() => Date.now() - sentAt);
    const [inA, inB] = await Promise.all([seen(a), seen(b), a.send.click()]);
    expect(inA).toBeLessThan(1_000);
    expect(inB).toBeLessThan(1_000);
    // Pending → sent keeps one item (same key), never a second copy.
    await a.log.locator("article", { hasText: text }).getByText("Sent").waitFor({ timeout: 5_000 });
    expect(await a.countInLog(text)).toBe(1);
    expect(await b.countInLog(text)).toBe(1);
    expect(await a.message.inputValue()).toBe("");
  });

  it("opens exactly one WebSocket per page (to the hub) and loads each remote from its own origin", async () => {
    for (const page of [a, b]) {
      expect(page.sockets).toEqual([system.hubUrl]);
      expect(await page.page.locator('[role="log"]').count()).toBe(1);
      const remoteEntries = page.requests.filter((url) => /\/(remoteEntry\.js|mf-manifest\.json)$/.test(url));
      expect(remoteEntries.some((url) => url.startsWith(`${system.senderOrigin}/`))).toBe(true);
      expect(remoteEntries.some((url) => url.startsWith(`${system.receiverOrigin}/`))).toBe(true);
    }
    const hostOrigin = new URL(system.hostUrl).origin;
    expect(new Set([hostOrigin, system.senderOrigin, system.receiverOrigin]).size).toBe(3);
    // Mount points never carry a remote's name as id (it would shadow the remote's container global).
    expect(await a.page.locator("#sender, #receiver").count()).toBe(0);
  });

  it("shares React and the client as singletons: every module uses the host's copy", async () => {
    const loaded = await a.page.evaluate(() => {
      const share = (globalThis as unknown as { __FEDERATION__: { __SHARE__: ShareMap } }).__FEDERATION__
        .__SHARE__;
      const rows: string[] = [];
      for (const scopes of Object.values(share))
        for (const packages of Object.values(scopes))
          for (const [name, versions] of Object.entries(packages))
            for (const [version, info] of Object.entries(versions))
              if (info.loaded) rows.push(`${name}@${version} from ${info.from}`);
      return [...new Set(rows)].sort();
    });
    expect(loaded).toEqual([
      "@switchboard/client@0.1.0 from host",
      "@switchboard/react@0.1.0 from host",
      "react-dom/client@19.2.0 from host",
      "react-dom@19.2.0 from host",
      "react/jsx-runtime@19.2.0 from host",
      "react@19.2.0 from host",
    ]);
  });

  it("keeps plain federation code working: import('sender').then(({ sendMessage }) => sendMessage(...))", async () => {
    const position = await a.page.evaluate(() => window.switchboard?.sayHello());
    expect(position?.offset).toBeGreaterThan(0);
    await b.log.getByText("Hello, receiver!", { exact: true }).last().waitFor({ timeout: 5_000 });
    // displayMessage is a local notice: in this page's list only, never published.
    const notice = unique("local notice");
    await a.page.evaluate((text) => window.switchboard?.displayMessage(text), notice);
    await a.log.getByText(notice, { exact: true }).waitFor({ timeout: 5_000 });
    await b.log.getByText("Hello, receiver!", { exact: true }).last().waitFor();
    expect(await b.countInLog(notice)).toBe(0);
  });

  it("shows an HTML/script payload literally and runs nothing", async () => {
    const payload = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> ${unique("x")}`;
    await a.say(payload);
    for (const page of [a, b]) {
      await page.log.getByText(payload, { exact: true }).waitFor({ timeout: 5_000 });
      expect(await page.log.locator("img, script").count()).toBe(0);
      expect(await page.page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(page.problems).toEqual([]);
    }
  });

  it("lets a person change their display name (kept locally) and switch channels", async () => {
    const name = b.page.getByRole("textbox", { name: "Display name" });
    await name.fill("Grace Hopper");
    await name.press("Enter");
    const signed = unique("signed");
    await b.say(signed);
    await a.log.locator("article", { hasText: signed }).getByText("Grace Hopper").waitFor({ timeout: 5_000 });
    expect(await b.page.evaluate(() => localStorage.getItem("switchboard.displayName"))).toBe("Grace Hopper");

    const channel = b.page.getByLabel("Channel", { exact: true });
    await channel.fill("chat:random");
    await channel.press("Enter");
    await b.page.getByRole("heading", { name: "chat:random", exact: true }).waitFor({ timeout: 5_000 });
    const elsewhere = unique("only in random");
    await b.say(elsewhere);
    await b.log.getByText(elsewhere, { exact: true }).waitFor({ timeout: 5_000 });
    const general = unique("only in general");
    await a.say(general);
    await a.log.getByText(general, { exact: true }).waitFor({ timeout: 5_000 });
    expect(await a.countInLog(elsewhere)).toBe(0);
    expect(await b.countInLog(general)).toBe(0);

    await channel.fill("chat:general");
    await channel.press("Enter");
    // Back on the channel: recent history brings what was missed.
    await b.log.getByText(general, { exact: true }).waitFor({ timeout: 5_000 });
    expect(b.sockets).toEqual([system.hubUrl]);
  });

  it("survives a hub restart: both pages reconnect and get every message sent meanwhile, once", async () => {
    const whileDown = unique("sent while the hub was down");
    const afterRestart = [1, 2, 3, 4, 5].map((n) => unique(`published after restart ${n}`));
    let queued: Promise<unknown> | undefined;

    await system.restartHub(async () => {
      for (const page of [a, b]) {
        await waitFor("the page to show it is reconnecting", async () =>
          /reconnecting/i.test(await page.connectionText()),
        );
      }
      // Offline the compose box still accepts a message (queued in the outbox); the reason is on screen.
      expect(await a.send.isEnabled()).toBe(true);
      expect(await a.page.locator(".sb-compose-offline").textContent()).toMatch(/offline/i);
      // The client keeps this publish (same idempotency key) until the hub is back.
      queued = a.page.evaluate((text) => window.switchboard?.sendMessage(text), whileDown);
    });
    // Published the moment the hub is up: the pages get them by recovery or live, never both.
    for (const text of afterRestart) await system.publishHttp("chat:general", { text, author: "ops" });
    await queued;

    for (const page of [a, b]) {
      await waitFor(
        "the page to be connected again",
        async () => (await page.connectionText()) === "Connected",
      );
      for (const text of [whileDown, ...afterRestart]) {
        await page.log.getByText(text, { exact: true }).waitFor({ timeout: 10_000 });
        expect(await page.countInLog(text)).toBe(1);
      }
    }
  });

  it("replaces an unreachable sender with an alert, keeps the receiver live, and mounts it when it is back", async () => {
    await system.stopSender();
    const c = await openChat(browser, system.hostUrl, { waitForSender: false });
    try {
      const alert = c.page.getByRole("alert").filter({ hasText: "sender is unavailable" });
      await alert.waitFor({ timeout: 10_000 });
      expect(await c.message.count()).toBe(0);

      const live = unique("still live without the sender");
      await system.publishHttp("chat:general", { text: live, author: "ops" });
      await c.log.getByText(live, { exact: true }).waitFor({ timeout: 5_000 });

      await system.startSender();
      await c.message.waitFor({ timeout: 15_000 });
      await waitFor("the alert to go", async () => (await alert.count()) === 0);
      await waitFor("Send to be enabled", () => c.send.isEnabled());
      const back = unique("sender is back");
      await c.say(back);
      await b.log.getByText(back, { exact: true }).waitFor({ timeout: 5_000 });
      expect(c.sockets).toEqual([system.hubUrl]);
    } finally {
      await c.close();
    }
  });

  it("gives up on an origin that accepts but never answers, within 10 s", async () => {
    const hanging = await startBlackHole();
    const host = await serveApp({
      dir: appDist(defaultAppsDir(), "host"),
      port: 0,
      configJson: {
        hubUrl: system.hubUrl,
        remotes: {
          sender: `${hanging.url}/remoteEntry.js`,
          receiver: `${system.receiverOrigin}/remoteEntry.js`,
        },
      },
    });
    const page = await openChat(browser, `${host.url}/`, { waitForSender: false });
    try {
      const started = Date.now();
      await page.page
        .getByRole("alert")
        .filter({ hasText: "sender is unavailable" })
        .waitFor({ timeout: 10_000 });
      expect(Date.now() - started).toBeLessThan(10_000);
      const live = unique("receiver fine next to a hanging sender");
      await system.publishHttp("chat:general", { text: live, author: "ops" });
      await page.log.getByText(live, { exact: true }).waitFor({ timeout: 5_000 });
    } finally {
      await page.close();
      await host.close();
      await hanging.close();
    }
  }, 30_000);

  it("renders 10,000 messages published within 2 s: the newest on screen, in order, none missing", async () => {
    // The longest main-thread task of this scenario is measured by `npm run bench:browser`.
    const run = await runVolume(browser, system, { total: 10_000 });
    try {
      const numbers = volumeNumbers(run.rowTexts);
      console.info(
        `[volume] ${run.total} acknowledged in ${run.publishedMs} ms; newest rendered at ${run.renderedMs} ms; ` +
          `rows in DOM: ${numbers.length} (${numbers[0]}…${numbers.at(-1)}); kept: ${run.keptInMemory}`,
      );
      // Virtualized: a screenful of rows, the last one the newest message.
      expect(numbers.length).toBeGreaterThan(0);
      expect(numbers.length).toBeLessThan(100);
      expect(numbers.at(-1)).toBe(run.total);
      // In order and none skipped: the rows are consecutive messages.
      const first = numbers[0] as number;
      expect(numbers).toEqual(numbers.map((_, i) => first + i));
      // The page keeps a bounded window of the newest (DEFAULT_FEED_CAP), all of it: nothing lost
      // between what it keeps and what it shows.
      expect(run.keptInMemory).toBe(Math.min(run.total, DEFAULT_FEED_CAP));
      expect(run.lastPosition).toBe(run.keptInMemory);
      expect(run.page.problems).toEqual([]);
    } finally {
      await run.page.close();
    }
  }, 60_000);
});

type ShareMap = Record<
  string,
  Record<string, Record<string, Record<string, { from: string; loaded?: boolean }>>>
>;

declare global {
  interface Window {
    /** The host page's console/test API (apps/host/src/bootstrap.tsx). */
    switchboard?: {
      sayHello(): Promise<{ epoch: string; offset: number }>;
      sendMessage(message: string): Promise<{ epoch: string; offset: number }>;
      displayMessage(message: string): Promise<void>;
    };
  }
}
