/**
 * A fixed one-second window counter with strikes: requests beyond `perSecond` in the window are
 * refused ("limited"); more than `maxStrikes` refusals in one window mean the client ignores the
 * answers ("abused": the caller closes the connection with 4029). `perSecond` 0 never limits.
 */
export type RateVerdict = "allowed" | "limited" | "abused";

const WINDOW_MS = 1_000;

export class RateLimiter {
  #windowStart = 0;
  #count = 0;
  #strikes = 0;

  constructor(
    readonly perSecond: number,
    private readonly maxStrikes: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(): RateVerdict {
    if (this.perSecond === 0) return "allowed";
    const now = this.now();
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now;
      this.#count = 0;
      this.#strikes = 0;
    }
    if (++this.#count <= this.perSecond) return "allowed";
    return ++this.#strikes > this.maxStrikes ? "abused" : "limited";
  }
}
