/**
 * The chat app in several tabs of one browser profile (pages of one context): one hub
 * connection for all of them, the header says which tab holds it, a message typed in any tab
 * shows once in every tab, and closing the holding tab hands the connection over.
 */
import { waitFor } from "@switchboard/testkit";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatPage, openChat } from "./support/chat-page.js";
import { browserSkipReason, launchChromium } from "./support/chromium.js";
import { API_KEY, startTestSystem, type TestSystem } from "./support/test-system.js";

const title = `tabs of one profile${browserSkipReason ? ` (skipped: ${browserSkipReason})` : ""}`;
const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;

describe.skipIf(browserSkipReason !== undefined)(title, () => {
  let system: TestSystem;
  let browser: Browser;
  let context: BrowserContext;
  let tabs: ChatPage[];

  beforeAll(async () => {
    [system, browser] = await Promise.all([startTestSystem(), launchChromium()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    tabs = [];
    for (let i = 0; i < 3; i++) tabs.push(await openChat(browser, system.hostUrl, { context }));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
  });

  async function connections(): Promise<number> {
    const text = await (
      await fetch(`${system.hubHttpUrl}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).text();
    const line = text.split("\n").find((l) => l.startsWith("switchboard_connections "));
    return Number(line?.split(" ")[1] ?? Number.NaN);
  }
  const roleOf = (tab: ChatPage) => tab.page.locator("[data-tab-role]").getAttribute("data-tab-role");

  it("three tabs, one connection; the header shows the holder and the riders", async () => {
    expect(await connections()).toBe(1);
    expect((await Promise.all(tabs.map(roleOf))).sort()).toEqual(["holder", "rider", "rider"]);
    const holder = tabs[(await Promise.all(tabs.map(roleOf))).indexOf("holder")] as ChatPage;
    expect(await holder.page.locator("[data-tab-role]").textContent()).toContain("held by this tab");
    // Only the holding tab has a WebSocket at all.
    expect(tabs.map((t) => t.sockets.length).sort()).toEqual([0, 0, 1]);
  });

  it("a message typed in any tab shows once in all three", async () => {
    for (const [i, from] of tabs.entries()) {
      const text = unique(`from tab ${i}`);
      await from.say(text);
      for (const tab of tabs)
        await waitFor(`"${text}" in every tab`, async () => (await tab.countInLog(text)) === 1, 5_000);
      await from.log.locator("article", { hasText: text }).getByText("Sent").waitFor({ timeout: 5_000 });
      for (const tab of tabs) expect(await tab.countInLog(text)).toBe(1);
    }
  });

  it("closing the holding tab hands the connection to another within 5 s", async () => {
    const holder = tabs[(await Promise.all(tabs.map(roleOf))).indexOf("holder")] as ChatPage;
    const rest = tabs.filter((t) => t !== holder);
    await holder.close();
    await waitFor(
      "one connection again, held by a remaining tab",
      async () => (await connections()) === 1 && (await Promise.all(rest.map(roleOf))).includes("holder"),
      5_000,
    );
    const text = unique("after the handover");
    await (rest[0] as ChatPage).say(text);
    for (const tab of rest)
      await waitFor(`"${text}" in both tabs`, async () => (await tab.countInLog(text)) === 1, 5_000);
    expect(tabs.flatMap((t) => t.problems)).toEqual([]);
  });
});
