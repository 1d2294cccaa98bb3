/**
 * Regenerates docs/screenshots/ (the README's pictures): `npx tsx e2e/support/take-screenshots.ts`.
 * A real system on free ports, two people chatting, an operator notice through the HTTP API.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ChatPage, openChat } from "./chat-page.js";
import { launchChromium } from "./chromium.js";
import { startTestSystem } from "./test-system.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "../../docs/screenshots");
const asPerson = (name: string) =>
  `localStorage.setItem("switchboard.displayName", ${JSON.stringify(name)});`;

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const [system, browser] = await Promise.all([startTestSystem(), launchChromium()]);
  try {
    const ada = await openChat(browser, system.hostUrl, { initScript: asPerson("Ada Lovelace") });
    const grace = await openChat(browser, system.hostUrl, { initScript: asPerson("Grace Hopper") });
    const conversation: Array<[ChatPage, string]> = [
      [ada, "Morning! Did the new checkout remote go out?"],
      [
        grace,
        "Yes, v2.4 is live on its own origin. The host picked it up at run time, no host deploy needed.",
      ],
      [ada, "Nice. Both remotes share one connection, so this page still opens a single WebSocket."],
      [
        grace,
        "Before the window tonight:\n• feature flags on\n• dashboards green\n• rollback plan in the runbook",
      ],
    ];
    for (const [page, text] of conversation) {
      await page.say(text);
      await page.log
        .getByText(text.split("\n")[0] ?? text)
        .first()
        .waitFor();
    }
    const notice =
      "Maintenance window tonight at 18:00 UTC (about 5 minutes, clients reconnect by themselves).";
    await system.publishHttp("chat:general", { text: notice, author: "ops bot" });
    await ada.log.getByText(notice).waitFor();
    await ada.message.fill("Thanks, I'll keep an eye on the metrics.");
    await ada.page.screenshot({ path: join(out, "chat-desktop.png") });

    const phone = await openChat(browser, system.hostUrl, {
      viewport: { width: 390, height: 844 },
      initScript: asPerson("Alan Turing"),
    });
    await phone.log.getByText(notice).waitFor();
    await phone.page.getByText("3 online").waitFor();
    await phone.page.screenshot({ path: join(out, "chat-phone.png"), fullPage: true });
    await phone.close();

    await system.stopSender();
    const degraded = await openChat(browser, system.hostUrl, {
      waitForSender: false,
      initScript: asPerson("Alan Turing"),
    });
    await degraded.page.getByRole("alert").waitFor({ timeout: 10_000 });
    await degraded.page.screenshot({ path: join(out, "sender-unavailable-desktop.png") });
    process.stdout.write(`screenshots written to ${out}\n`);
  } finally {
    await browser.close();
    await system.close();
  }
}

await main();
