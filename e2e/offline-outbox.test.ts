/**
 * Nothing lost offline (docs/client.md, "Offline"): with the hub stopped a message typed and
 * sent with Enter is shown queued, survives a reload of the tab (the client's outbox is in
 * IndexedDB), and once the hub is back it is delivered exactly once — checked in the hub's own
 * history over the HTTP API, not only on screen.
 */
import { join } from "node:path";
import { httpRequest, waitFor } from "@switchboard/testkit";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatPage, openChat } from "./support/chat-page.js";
import { browserSkipReason, launchChromium } from "./support/chromium.js";
import { API_KEY, startTestSystem, type TestSystem } from "./support/test-system.js";

const title = `offline outbox${browserSkipReason ? ` (skipped: ${browserSkipReason})` : ""}`;
const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;

describe.skipIf(browserSkipReason !== undefined)(title, () => {
  let system: TestSystem;
  let browser: Browser;
  let chat: ChatPage;

  beforeAll(async () => {
    [system, browser] = await Promise.all([startTestSystem(), launchChromium()]);
    chat = await openChat(browser, system.hostUrl);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
  });

  async function historyTexts(channel: string): Promise<string[]> {
    const response = await httpRequest(
      `${system.hubHttpUrl}/api/history?channel=${encodeURIComponent(channel)}&limit=1000`,
      { headers: { authorization: `Bearer ${API_KEY}` } },
    );
    expect(response.status).toBe(200);
    const page = JSON.parse(response.text) as { publications: { data: { text?: string } }[] };
    return page.publications.map((p) => p.data.text ?? "");
  }

  const shot = async (name: string) => {
    const dir = process.env.SWITCHBOARD_SCREENSHOTS;
    if (dir) await chat.page.screenshot({ path: join(dir, name) });
  };
  const queuedCount = async () =>
    Number((await chat.page.locator(".sb-compose-queued").getAttribute("data-queued")) ?? 0);

  it("hub stopped → message typed → tab reloaded → hub restarted → delivered exactly once", async () => {
    const text = unique("typed while the hub was down");
    await system.restartHub(async () => {
      await waitFor("the page to show it is offline", async () =>
        /reconnecting/i.test(await chat.connectionText()),
      );
      // Enter is accepted offline: the box clears and the message shows queued, in both modules.
      await chat.message.fill(text);
      await chat.message.press("Enter");
      await waitFor("the box to clear", async () => (await chat.message.inputValue()) === "");
      await waitFor("one message queued", async () => (await queuedCount()) === 1);
      const row = chat.log.locator("article", { hasText: text });
      await row.getByText("Queued").waitFor({ timeout: 5_000 });
      await chat.page.locator(".sb-rx-queued").waitFor({ timeout: 5_000 });
      await shot("offline-queued.png");

      await chat.page.reload();
      await chat.log.waitFor({ timeout: 15_000 });
      // The reloaded page's client adopted the stored entry: still queued, still on screen.
      await waitFor("the queued message after the reload", async () => (await queuedCount()) === 1, 10_000);
      await row.getByText("Queued").waitFor({ timeout: 10_000 });
      await shot("offline-queued-after-reload.png");
      expect(await historyTextsWhileDown()).toBeUndefined();
    });

    await chat.log.locator("article", { hasText: text }).getByText("Sent").waitFor({ timeout: 15_000 });
    await waitFor(
      "the outbox to empty",
      async () => (await chat.page.locator(".sb-compose-queued").count()) === 0,
    );
    const texts = await historyTexts("chat:general");
    expect(texts.filter((t) => t === text)).toHaveLength(1);
    expect(await chat.countInLog(text)).toBe(1);
    expect(chat.problems).toEqual([]);
  }, 90_000);

  /** While the hub is down its HTTP API is too: nothing can have been delivered yet. */
  async function historyTextsWhileDown(): Promise<string[] | undefined> {
    try {
      return await historyTexts("chat:general");
    } catch {
      return undefined;
    }
  }
});
