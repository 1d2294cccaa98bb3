/**
 * One person's browser tab on the host page, seen the way a person (or a screen reader) does:
 * the textbox "Message", the button "Send", the page's one role="log".
 */

import type { Browser, BrowserContext, Locator, Page } from "playwright-core";

export interface ChatPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** URLs of every WebSocket the page opened. */
  readonly sockets: string[];
  /** URLs of every request the page made. */
  readonly requests: string[];
  /** Uncaught page errors and dialogs (alert() from a payload would land here). */
  readonly problems: string[];
  readonly log: Locator;
  readonly message: Locator;
  readonly send: Locator;
  /** Types `text` and presses Send. */
  say(text: string): Promise<void>;
  /** How many list items show exactly this text (only rendered rows count: the newest always are). */
  countInLog(text: string): Promise<number>;
  /** The receiver's connection badge text. */
  connectionText(): Promise<string>;
  close(): Promise<void>;
}

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** Runs in the page before any of its scripts. */
  initScript?: string;
  /** Wait until the compose box is usable (sender mounted and connected). Default true. */
  waitForSender?: boolean;
  /** Open as another tab of this context (one profile: the tabs share one hub connection). */
  context?: BrowserContext;
}

export async function openChat(browser: Browser, url: string, options: OpenOptions = {}): Promise<ChatPage> {
  const context =
    options.context ??
    (await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } }));
  // Fail with the locator's name, not a bare test timeout.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const sockets: string[] = [];
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  if (options.initScript) await page.addInitScript(options.initScript);
  await page.goto(url);

  const log = page.getByRole("log");
  const message = page.getByRole("textbox", { name: "Message" });
  const send = page.getByRole("button", { name: "Send", exact: true });
  await log.waitFor({ timeout: 15_000 });
  if (options.waitForSender !== false) {
    await message.waitFor({ timeout: 15_000 });
    // Send is enabled offline too (the message is queued): connected shows as the compose hint.
    await page.locator(".sb-compose-hint").waitFor({ timeout: 15_000 });
  }

  return {
    context,
    page,
    sockets,
    requests,
    problems,
    log,
    message,
    send,
    async say(text) {
      await message.fill(text);
      await send.click();
    },
    countInLog: (text) => log.getByText(text, { exact: true }).count(),
    connectionText: async () => (await page.locator(".sb-rx-badge").textContent()) ?? "",
    close: () => (options.context ? page.close() : context.close()),
  };
}
