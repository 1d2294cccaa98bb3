/**
 * The volume scenario shared by the front-end test (functional: everything arrives, in order, the
 * newest on screen) and the browser benchmark (timing: the longest main-thread task): one page on
 * a fresh channel, a Node client publishing `total` messages paced over `spreadMs`.
 */

import { waitFor } from "@switchboard/testkit";
import type { Browser } from "playwright-core";
import { type ChatPage, openChat } from "./chat-page.js";
import type { TestSystem } from "./test-system.js";

export interface VolumeOptions {
  /** Messages to publish (default 10,000). */
  total?: number;
  /** Spread over this long, in equal batches (default 2 s in 20 batches): a busy stream, not one burst. */
  spreadMs?: number;
  batches?: number;
  /** Runs in the page before its scripts (the benchmark's long-task observer). */
  initScript?: string;
  /** Called once the page is ready and before the first publish (the benchmark resets its record). */
  beforePublish?: (page: ChatPage) => Promise<void>;
  /** How long the newest message may take to show up (default 20 s). */
  renderTimeoutMs?: number;
}

export interface VolumeRun {
  readonly page: ChatPage;
  readonly channel: string;
  readonly total: number;
  /** From the first publish until every publish was acknowledged. */
  readonly publishedMs: number;
  /** From the first publish until the newest message was on screen. */
  readonly renderedMs: number;
  /** The texts of the rows in the DOM, top to bottom. */
  readonly rowTexts: string[];
  /** aria-posinset / aria-setsize of the last row: where it sits in the list the page keeps. */
  readonly lastPosition: number;
  readonly keptInMemory: number;
}

export const volumeText = (n: number) => `volume ${n}`;

/** Runs the scenario and leaves the page open (the caller closes `run.page`). */
export async function runVolume(
  browser: Browser,
  system: TestSystem,
  options: VolumeOptions = {},
): Promise<VolumeRun> {
  const { total = 10_000, spreadMs = 2_000, batches = 20, renderTimeoutMs = 20_000 } = options;
  const channel = `chat:volume-${Math.random().toString(36).slice(2, 8)}`;
  const page = await openChat(
    browser,
    `${system.hostUrl}?channel=${encodeURIComponent(channel)}`,
    options.initScript ? { initScript: options.initScript } : {},
  );
  try {
    await page.page.getByText(`No messages in ${channel} yet`).waitFor({ timeout: 10_000 });
    await options.beforePublish?.(page);
    const publisher = system.nodeClient("volume-publisher");
    await waitFor("the publisher to connect", () => publisher.state === "connected");
    const perBatch = Math.ceil(total / batches);
    const started = Date.now();
    const acks: Array<Promise<unknown>> = [];
    for (let batch = 0; batch < batches; batch++) {
      for (let n = batch * perBatch + 1; n <= Math.min(total, (batch + 1) * perBatch); n++) {
        acks.push(publisher.publish(channel, { text: volumeText(n), author: "load" }));
      }
      // Pacing the load shape (not waiting for a condition): the next batch is due at its slot.
      const next = started + ((batch + 1) * spreadMs) / batches;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
    await Promise.all(acks);
    const publishedMs = Date.now() - started;
    await page.log.getByText(volumeText(total), { exact: true }).waitFor({ timeout: renderTimeoutMs });
    const renderedMs = Date.now() - started;
    // Let the last frames (measurement, follow-scroll) run before reading the page.
    await page.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const rows = page.log.locator("article");
    const rowTexts = (await rows.allTextContents()).map((text) => text.trim());
    const last = rows.last();
    return {
      page,
      channel,
      total,
      publishedMs,
      renderedMs,
      rowTexts,
      lastPosition: Number(await last.getAttribute("aria-posinset")),
      keptInMemory: Number(await last.getAttribute("aria-setsize")),
    };
  } catch (error) {
    await page.close();
    throw error;
  }
}

/** The `volume N` numbers in the row texts, in DOM order. */
export function volumeNumbers(rowTexts: readonly string[]): number[] {
  return rowTexts.map((text) => Number(/volume (\d+)/.exec(text)?.[1] ?? Number.NaN));
}
