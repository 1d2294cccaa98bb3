/**
 * Another team's host (docs/federation.md): the example hosts in
 * examples/ — one built by Rspack, one by Vite — are installed and BUILT here, pointed at our
 * served remotes and a hub of our own, and driven in Chromium by two people each. Also a host that
 * bundles its own client copy instead of sharing it, and a page with `<div id="sender">`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedApp } from "../packages/cli/src/serve-apps.js";
import { type ChatPage, openChat } from "./support/chat-page.js";
import { browserSkipReason, launchChromium } from "./support/chromium.js";
import {
  buildExample,
  type ExampleBuildEnv,
  type ExampleHost,
  installExample,
  serveExample,
} from "./support/example-host.js";
import { startTestSystem, type TestSystem } from "./support/test-system.js";

const title = `example hosts in a browser${browserSkipReason ? ` (skipped: ${browserSkipReason})` : ""}`;
const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;

/** A message typed in A's sender shows once in A and once in B (waits; no timing asserted here). */
async function chat(a: ChatPage, b: ChatPage): Promise<void> {
  const text = unique("hello from A");
  await a.say(text);
  for (const page of [a, b]) {
    await page.log.getByText(text, { exact: true }).waitFor({ timeout: 10_000 });
  }
  await a.log.locator("article", { hasText: text }).getByText("Sent").waitFor({ timeout: 10_000 });
  expect(await a.countInLog(text)).toBe(1);
  expect(await b.countInLog(text)).toBe(1);
}

describe.skipIf(browserSkipReason !== undefined)(title, () => {
  let system: TestSystem;
  let browser: Browser;
  const outRoot = mkdtempSync(join(tmpdir(), "switchboard-examples-"));
  const served: ServedApp[] = [];
  const pages: ChatPage[] = [];
  const buildMs: Record<string, number> = {};

  /** Builds one example into its own folder and serves it; returns the page URL. */
  async function host(example: ExampleHost, label: string, extra: Partial<ExampleBuildEnv> = {}) {
    // Rspack reads the manifest, Vite the plain remoteEntry.js: docs/federation.md shows both.
    const file = example === "rspack" ? "mf-manifest.json" : "remoteEntry.js";
    const outDir = join(outRoot, label);
    buildMs[label] = await buildExample(
      example,
      {
        SWITCHBOARD_SENDER_ENTRY: `${system.senderOrigin}/${file}`,
        SWITCHBOARD_RECEIVER_ENTRY: `${system.receiverOrigin}/${file}`,
        SWITCHBOARD_HUB_URL: system.hubUrl,
        ...extra,
      },
      outDir,
    );
    const app = await serveExample(outDir);
    served.push(app);
    return `${app.url}/`;
  }

  async function open(url: string, options: Parameters<typeof openChat>[2] = {}): Promise<ChatPage> {
    const page = await openChat(browser, url, options);
    pages.push(page);
    return page;
  }

  beforeAll(async () => {
    // Our remotes (built when stale) and the examples' own installs (only when missing) meanwhile.
    [system, browser] = await Promise.all([
      startTestSystem(),
      launchChromium(),
      installExample("rspack"),
      installExample("vite"),
    ]).then(([s, b]) => [s, b] as const);
  }, 300_000);

  afterAll(async () => {
    console.info(`example host builds: ${JSON.stringify(buildMs)}`);
    for (const page of pages) await page.close().catch(() => undefined);
    await browser?.close();
    await Promise.allSettled(served.map((app) => app.close()));
    await system?.close();
    rmSync(outRoot, { recursive: true, force: true });
  });

  for (const example of ["rspack", "vite"] as const) {
    it(`${example} host: both remotes mount, a message reaches both people once, one WebSocket each`, async () => {
      const url = await host(example, example);
      const a = await open(url);
      const b = await open(url);
      await chat(a, b);
      for (const page of [a, b]) {
        expect(page.sockets).toEqual([system.hubUrl]);
        expect(await page.page.getByRole("log").count()).toBe(1);
        expect(await page.page.getByRole("alert").count()).toBe(0);
        expect(page.problems).toEqual([]);
      }
      // The remotes came from their own origins, through the entry the docs name for this bundler.
      const file = example === "rspack" ? "mf-manifest.json" : "remoteEntry.js";
      expect(a.requests).toContain(`${system.senderOrigin}/${file}`);
      expect(a.requests).toContain(`${system.receiverOrigin}/${file}`);
    }, 180_000);
  }

  it("a host that bundles its own client copy (not shared): still one WebSocket, messages flow", async () => {
    const url = await host("rspack", "rspack-own-client", { SWITCHBOARD_BUNDLE_OWN_CLIENT: "1" });
    const a = await open(url);
    const b = await open(url);
    await chat(a, b);
    for (const page of [a, b]) expect(page.sockets).toEqual([system.hubUrl]);
  }, 180_000);

  it('a page with <div id="sender"> and <div id="receiver"> still loads both remotes', async () => {
    // The ids would shadow containers named sender/receiver (RUNTIME-002); ours are switchboard_*.
    const shadowing = `document.addEventListener("readystatechange", () => {
      if (document.readyState !== "interactive" || document.getElementById("sender")) return;
      for (const id of ["sender", "receiver"]) {
        const element = document.createElement("div");
        element.id = id;
        document.body.append(element);
      }
    });`;
    const page = await open(system.hostUrl, { initScript: shadowing });
    expect(await page.page.locator("#sender, #receiver").count()).toBe(2);
    expect(await page.page.evaluate(() => typeof (window as unknown as { sender: unknown }).sender)).toBe(
      "object",
    );
    const other = await open(system.hostUrl);
    await chat(page, other);
    expect(await page.page.getByRole("alert").count()).toBe(0);
  }, 120_000);
});
