/**
 * The remotes in a host that is not ours (docs/federation.md): a bare page that loads each
 * remoteEntry.js with a script tag and shares nothing. Without a client and without `hubUrl`
 * each slot shows role="alert" "Switchboard is not configured" (and the console says why); with
 * `hubUrl` the modules create the page's one client themselves and work. Then, in our host, the
 * receiver opens a busy channel with the last messages (`rewind`) and continues with the live
 * ones: every message once, in order, none missing.
 */
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@switchboard/testkit";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openChat } from "./support/chat-page.js";
import { browserSkipReason, launchChromium } from "./support/chromium.js";
import { startTestSystem, type TestSystem } from "./support/test-system.js";

const title = `modules in another host${browserSkipReason ? ` (skipped: ${browserSkipReason})` : ""}`;
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "../node_modules/.cache/e2e-screenshots");

/** A host page of "another team": two slots and a loader for federated containers, nothing shared. */
function barePage(remotes: { sender: string; receiver: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another team's host</title>
<style>body{font-family:system-ui,sans-serif;margin:16px;display:grid;grid-template-columns:1fr 1fr;gap:16px}
.slot{border:1px solid #ccc;border-radius:8px;height:560px;overflow:hidden}</style></head>
<body><div class="slot" id="sender-slot"></div><div class="slot" id="receiver-slot"></div>
<script>
const entries = ${JSON.stringify(remotes)};
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src; s.onload = resolve; s.onerror = () => reject(new Error("cannot load " + src));
    document.head.append(s);
  });
}
window.mountRemotes = async (props) => {
  for (const name of ["sender", "receiver"]) {
    await loadScript(entries[name]);
    const container = window["switchboard_" + name];
    await container.init({});
    const module = (await container.get("./" + name))();
    module.mount(document.getElementById(name + "-slot"), props);
  }
};
</script></body></html>`;
}

describe.skipIf(browserSkipReason !== undefined)(title, () => {
  let system: TestSystem;
  let browser: Browser;
  let server: Server;
  let bareUrl: string;

  beforeAll(async () => {
    [system, browser] = await Promise.all([startTestSystem(), launchChromium()]);
    const html = barePage({
      sender: `${system.senderOrigin}/remoteEntry.js`,
      receiver: `${system.receiverOrigin}/remoteEntry.js`,
    });
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(html);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    bareUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function openBare(): Promise<{
    page: Page;
    errors: string[];
    sockets: string[];
    close: () => Promise<void>;
  }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 640 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors: string[] = [];
    const sockets: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("websocket", (ws) => sockets.push(ws.url()));
    await page.goto(bareUrl);
    return { page, errors, sockets, close: () => context.close() };
  }

  it("no client and no hubUrl: an alert in each slot and a console error saying why", async () => {
    const bare = await openBare();
    try {
      await bare.page.evaluate(() =>
        (window as unknown as { mountRemotes(p: object): Promise<void> }).mountRemotes({}),
      );
      for (const name of ["sender", "receiver"]) {
        const alert = bare.page.locator(`#${name}-slot`).getByRole("alert");
        await alert.waitFor();
        expect(await alert.textContent()).toContain(`${name}: Switchboard is not configured`);
        expect(await alert.textContent()).toContain("hubUrl");
        await waitFor(`a console error from ${name}`, () =>
          bare.errors.some((e) => e.includes(`[switchboard] ${name}: Switchboard is not configured`)),
        );
      }
      expect(bare.sockets).toEqual([]);
      await bare.page.screenshot({ path: join(SCREENSHOTS, "not-configured.png") });
    } finally {
      await bare.close();
    }
  });

  it("with hubUrl: the modules create the page's one client and a message goes through", async () => {
    const bare = await openBare();
    try {
      await bare.page.evaluate(
        (hubUrl) =>
          (window as unknown as { mountRemotes(p: object): Promise<void> }).mountRemotes({
            hubUrl,
            channel: "chat:bare",
            author: "Bare host",
          }),
        system.hubUrl,
      );
      const send = bare.page.getByRole("button", { name: "Send", exact: true });
      await waitFor("Send enabled (connected)", () => send.isEnabled(), 15_000);
      const text = `from a bare host ${Math.random().toString(36).slice(2, 8)}`;
      await bare.page.getByRole("textbox", { name: "Message" }).fill(text);
      await send.click();
      const log = bare.page.getByRole("log");
      await log.locator("article", { hasText: text }).getByText("Sent").waitFor();
      expect(await log.getByText(text, { exact: true }).count()).toBe(1);
      // Two modules, each with its own bundled copy of the client: still one connection.
      expect(bare.sockets).toEqual([system.hubUrl]);
      expect(await bare.page.getByRole("alert").count()).toBe(0);
      expect(bare.errors).toEqual([]);
    } finally {
      await bare.close();
    }
  });

  it("the receiver opens with the last messages (rewind) and continues live: all once, in order", async () => {
    const channel = `chat:rewind-${Math.random().toString(36).slice(2, 8)}`;
    const writer = system.nodeClient("writer");
    let n = 0;
    const published: string[] = [];
    const publishNext = async () => {
      const text = `r${String(++n).padStart(3, "0")}`;
      await writer.publish(channel, { text, author: "writer" });
      published.push(text);
    };
    for (let i = 0; i < 10; i++) await publishNext();
    const tab = await openChat(browser, system.hostUrl, { viewport: { width: 1280, height: 4000 } });
    // Paced (a load generator, not a wait) so that the stream overlaps the receiver's subscribe.
    let running = true;
    const stream = (async () => {
      while (running && n < 90) {
        await publishNext();
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    try {
      await waitFor("a few publications in flight", () => n >= 15);
      // Switching the channel mounts a fresh list mid-stream: the late mount of the contract.
      const field = tab.page.getByLabel("Channel", { exact: true });
      await field.fill(channel);
      await field.press("Enter");
      await tab.log.getByText("r001", { exact: true }).waitFor({ timeout: 15_000 });
      const atOpen = published.length;
      await waitFor("live publications after the list opened", () => published.length >= atOpen + 5);
      running = false;
      await stream;
      const last = published.at(-1) ?? "";
      await tab.log.getByText(last, { exact: true }).waitFor();
      const shown = await tab.log.locator(".sb-msg-text").allTextContents();
      expect(shown).toEqual(published);
      expect(atOpen).toBeLessThan(90);
      await tab.page.screenshot({ path: join(SCREENSHOTS, "rewind.png") });
    } finally {
      running = false;
      await stream;
      await tab.close();
    }
  });
});
