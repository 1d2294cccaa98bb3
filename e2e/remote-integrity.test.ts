/**
 * Remote integrity and the host page's CSP in Chromium (docs/security.md, the static servers
 * of `switchboard start`). `switchboard start` serves a copy of the built apps and pins each
 * remote's entry in /config.json; the test then changes the served sender's remoteEntry.js on
 * disk (adding a payload): the page must not run it, must say so in the sender's slot, and the
 * receiver must keep working — all with no CSP violation.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@switchboard/testkit";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_NAMES, appDist, buildApps, defaultAppsDir } from "../packages/cli/src/build-apps.js";
import { integrityOf } from "../packages/cli/src/remote-integrity.js";
import { type RunningSystem, runStart } from "../packages/cli/src/start-command.js";
import { openChat } from "./support/chat-page.js";
import { browserSkipReason, launchChromium } from "./support/chromium.js";

/** Watches a page for CSP trouble: violation events (from the first script on) and console lines. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const console: string[] = [];
  page.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) console.push(message.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener("securitypolicyviolation", (event) =>
      seen.push(`${event.violatedDirective} blocked ${event.blockedURI}`),
    );
  });
  return async () => [
    ...console,
    ...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)),
  ];
}

describe.skipIf(browserSkipReason !== undefined)("remote integrity in the browser", () => {
  let apps: string;
  let data: string;
  let system: RunningSystem;
  let browser: Browser;
  let original: Buffer;
  const lines: string[] = [];
  const senderEntryFile = () => join(appDist(apps, "sender"), "remoteEntry.js");

  beforeAll(async () => {
    // The real build, copied: tampering with the copy cannot disturb other tests.
    await buildApps();
    apps = mkdtempSync(join(tmpdir(), "switchboard-integrity-apps-"));
    data = mkdtempSync(join(tmpdir(), "switchboard-integrity-data-"));
    for (const app of APP_NAMES)
      cpSync(appDist(defaultAppsDir(), app), appDist(apps, app), { recursive: true });
    original = readFileSync(senderEntryFile());
    [system, browser] = await Promise.all([
      runStart({
        portBase: 0,
        appsDir: apps,
        build: false,
        data,
        logLevel: "silent",
        handleSignals: false,
        log: (line) => lines.push(line),
      }),
      launchChromium(),
    ]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    rmSync(apps, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  });

  it("pins each remote's entry in /config.json as built", async () => {
    const config = await (await fetch(`${system.servers.host.url}/config.json`)).json();
    expect(config.remotes.sender).toEqual({ entry: system.senderEntry, integrity: integrityOf(original) });
    expect(config.remotes.receiver).toEqual({
      entry: system.receiverEntry,
      integrity: integrityOf(readFileSync(join(appDist(apps, "receiver"), "remoteEntry.js"))),
    });
  });

  it("runs untampered remotes under the page's CSP with no violation", async () => {
    const chat = await openChat(browser, system.hostUrl, { waitForSender: true });
    try {
      const violations = await watchCsp(chat.page);
      await chat.page.reload();
      await chat.message.waitFor();
      await waitFor("Send to be enabled", () => chat.send.isEnabled(), 15_000);
      await chat.say("integrity ok");
      await chat.log.getByText("integrity ok", { exact: true }).waitFor();
      // The remotes' styles apply (constructed style sheets, not blocked inline <style>).
      const padding = await chat.page
        .locator(".sb-compose")
        .evaluate((el) => getComputedStyle(el).paddingTop);
      expect(padding).toBe("16px");
      expect(await chat.page.getByRole("alert").count()).toBe(0);
      expect(await violations()).toEqual([]);
      expect(chat.problems).toEqual([]);
    } finally {
      await chat.close();
    }
  });

  it("refuses a remote entry changed after start: alert in its slot, the rest works, payload never runs", async () => {
    writeFileSync(
      senderEntryFile(),
      Buffer.concat([original, Buffer.from("\n;window.__tampered = true;\n")]),
    );
    try {
      const chat = await openChat(browser, system.hostUrl, { waitForSender: false });
      try {
        const violations = await watchCsp(chat.page);
        await chat.page.reload();
        const alert = chat.page.getByRole("alert", { name: "sender failed its integrity check" });
        await alert.waitFor({ timeout: 10_000 });
        expect(await alert.textContent()).toContain("does not match its pinned hash");
        expect(
          await chat.page.evaluate(() => (window as unknown as { __tampered?: boolean }).__tampered),
        ).toBe(undefined);
        // The receiver still works: a message published through the hub shows in its log.
        const response = await fetch(`${system.hub?.httpUrl}/api/publish`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${/API key\s+(\S+)/.exec(lines.join("\n"))?.[1] ?? ""}`,
          },
          body: JSON.stringify({
            channel: "chat:general",
            data: { text: "receiver still works", author: "ops" },
          }),
        });
        expect(response.status, await response.clone().text()).toBe(200);
        await chat.log.getByText("receiver still works").waitFor();
        if (process.env.SWITCHBOARD_SCREENSHOTS) {
          await chat.page.screenshot({
            path: join(process.env.SWITCHBOARD_SCREENSHOTS, "integrity-refused.png"),
          });
        }
        expect(await violations()).toEqual([]);

        // The right bytes back: "Check again" loads it (the pin was not used up).
        writeFileSync(senderEntryFile(), original);
        await chat.page.getByRole("button", { name: "Check again" }).click();
        await chat.message.waitFor({ timeout: 10_000 });
        expect(await chat.page.getByRole("alert").count()).toBe(0);
      } finally {
        await chat.close();
      }
    } finally {
      writeFileSync(senderEntryFile(), original);
    }
  });
});
