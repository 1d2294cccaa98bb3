/** Polling with a deadline: tests wait for a condition, never sleep for a guessed time. */

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  intervalMs?: number;
  /** Extra context for the timeout message, read when it fires (e.g. the last status seen). */
  detail?: () => string;
}

const WAIT_DEFAULTS = { timeoutMs: 10_000, intervalMs: 20 } as const;

type NotYet = undefined | null | false;

/**
 * Calls `check` until it returns something other than undefined / null / false and resolves with
 * that value; rejects naming `what` once the deadline passes. An error thrown by `check` is not
 * retried: it fails the wait at once (a child that exited will not come back). A number as
 * `options` is the timeout in ms.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  options: WaitOptions | number = {},
): Promise<Exclude<T, NotYet>> {
  const { timeoutMs, intervalMs, detail } = {
    ...WAIT_DEFAULTS,
    ...(typeof options === "number" ? { timeoutMs: options } : options),
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, NotYet>;
    if (Date.now() > deadline) {
      const extra = detail?.();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${extra ? ` ${extra}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
