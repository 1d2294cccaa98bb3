/**
 * A fixed one-second window counter with strikes: requests beyond `perSecond` in the window are
 * refused ("limited"); more than `maxStrikes` refusals in one window mean the client ignores the
 * answers ("abused": the caller closes the connection with 4029). `perSecond` 0 never limits.
 */
export type RateVerdict = "allowed" | "limited" | "abused";

const WINDOW_MS = 1_000;

/** The counts of one window, kept by whoever owns the limit (a RateLimiter, a connection's intake state). */
export interface RateWindow {
  windowStart: number;
  count: number;
  strikes: number;
}

/** Counts one request at `now` against `window`. */
export function takeRate(
  window: RateWindow,
  perSecond: number,
  maxStrikes: number,
  now: number,
): RateVerdict {
  if (perSecond === 0) return "allowed";
  if (now - window.windowStart >= WINDOW_MS) {
    window.windowStart = now;
    window.count = 0;
    window.strikes = 0;
  }
  if (++window.count <= perSecond) return "allowed";
  return ++window.strikes > maxStrikes ? "abused" : "limited";
}

export class RateLimiter implements RateWindow {
  windowStart = 0;
  count = 0;
  strikes = 0;

  constructor(
    readonly perSecond: number,
    private readonly maxStrikes: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(): RateVerdict {
    if (this.perSecond === 0) return "allowed";
    return takeRate(this, this.perSecond, this.maxStrikes, this.now());
  }
}
