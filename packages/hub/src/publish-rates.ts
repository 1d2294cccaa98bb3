/**
 * publishRatePerSecond per user across that user's connections on this node (docs/protocol.md
 * "Bad input and abuse"): one limiter per key (`user:<sub>`, or `ip:<address>` for anonymous
 * clients). Keys unused for a while are swept, so random identities cannot grow the map.
 */
import { RateLimiter, type RateVerdict } from "./rate-limiter.js";

/** A key idle this long is dropped (its one-second window is long over). */
const IDLE_MS = 10_000;

export class PublishRates {
  readonly #limiters = new Map<string, { limiter: RateLimiter; used: number }>();
  #lastSweep = 0;

  constructor(
    readonly perSecond: number,
    private readonly maxStrikes: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): RateVerdict {
    if (this.perSecond === 0) return "allowed";
    const now = this.now();
    if (now - this.#lastSweep > IDLE_MS) this.#sweep(now);
    let entry = this.#limiters.get(key);
    if (!entry) {
      entry = { limiter: new RateLimiter(this.perSecond, this.maxStrikes, this.now), used: now };
      this.#limiters.set(key, entry);
    }
    entry.used = now;
    return entry.limiter.take();
  }

  get size(): number {
    return this.#limiters.size;
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [key, entry] of this.#limiters) if (now - entry.used > IDLE_MS) this.#limiters.delete(key);
  }
}
