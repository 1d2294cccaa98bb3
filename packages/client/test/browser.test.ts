/**
 * The built client in a real browser (Debian's Chromium) with the browser's own WebSocket: no
 * bundler, no polyfills — dist/ is served as ES modules with an import map, so any Node built-in
 * in the browser path fails this test.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RunningHub } from "@switchboard/hub";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpPublish, hub, removeTempDirs } from "./helpers/hub.js";
import { IMPORT_MAP, serveModule } from "./helpers/tab-page.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const skip = !existsSync(CHROMIUM) && process.env.CI !== "true";

let running: RunningHub;
let server: Server;
let browser: Browser;

function page(hubUrl: string): string {
  return `<!doctype html><meta charset="utf-8"><title>client</title>
${IMPORT_MAP}
<script type="module">
import { getSharedClient } from "/client/index.js";
const client = getSharedClient({ urls: ${JSON.stringify(hubUrl)}, name: "browser-test" });
const result = (window.result = { states: [], events: [], shared: getSharedClient() === client });
client.on("state", (e) => result.states.push(e.state));
const sub = client.subscribe("chat:browser");
for (const type of ["publication", "confirmed"])
  sub.on(type, (m) => result.events.push([type, m.data, m.pending, m.offset ?? null]));
sub.once("subscribed", async () => {
  result.published = await client.publish("chat:browser", "from the page");
});
</script>`;
}

const title = skip ? `in a browser (skipped: ${CHROMIUM} is missing; never skipped in CI)` : "in a browser";

describe.skipIf(skip)(title, () => {
  beforeAll(async () => {
    running = await hub();
    server = createServer((req, res) => {
      const url = req.url ?? "/";
      if (url === "/") {
        res.writeHead(200, { "content-type": "text/html" }).end(page(running.url));
        return;
      }
      if (!serveModule(url, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await running?.close();
    removeTempDirs();
  });

  it("connects with the native WebSocket, shows pending then confirmed, and receives others' messages", async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const errors: string[] = [];
    const sockets: string[] = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    tab.on("websocket", (ws) => sockets.push(ws.url()));
    await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await tab.waitForFunction(
      () => (window as { result?: { published?: unknown } }).result?.published,
      null,
      {
        timeout: 15_000,
      },
    );
    await httpPublish(running, "chat:browser", "from http");
    await tab.waitForFunction(
      () => (window as { result?: { events: unknown[] } }).result?.events.length === 3,
    );
    const result = await tab.evaluate(() => (window as unknown as { result: unknown }).result);
    expect(result).toEqual({
      states: ["connecting", "connected"],
      shared: true,
      published: { epoch: expect.any(String), offset: 1 },
      events: [
        ["publication", "from the page", true, null],
        ["confirmed", "from the page", false, 1],
        ["publication", "from http", false, 2],
      ],
    });
    expect(sockets).toEqual([running.url]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
