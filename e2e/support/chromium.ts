/**
 * The system's Chromium (CHROMIUM_PATH) driven by playwright-core, rather than a browser that
 * `npx playwright install` downloads. Playwright gives every launch a fresh temporary profile
 * (its own --user-data-dir).
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Why browser tests cannot run here, or undefined. In CI a missing browser is a failure, not a skip. */
export const browserSkipReason: string | undefined =
  existsSync(CHROMIUM_PATH) || process.env.CI === "true"
    ? undefined
    : `${CHROMIUM_PATH} is missing (apt-get install -y chromium); browser tests always run in CI`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
