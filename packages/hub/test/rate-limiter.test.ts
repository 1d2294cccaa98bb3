/** The per-connection rate limiter: one-second windows, refusals, strikes (4029 beyond them). */
import { expect, it } from "vitest";
import { RateLimiter } from "../src/rate-limiter.js";

it("allows perSecond per window, then limits, then reports abuse past maxStrikes; a new window resets", () => {
  let now = 10_000;
  const limiter = new RateLimiter(3, 2, () => now);
  const verdicts = Array.from({ length: 7 }, () => limiter.take());
  expect(verdicts).toEqual(["allowed", "allowed", "allowed", "limited", "limited", "abused", "abused"]);
  now += 999;
  expect(limiter.take()).toBe("abused");
  now += 1;
  expect(limiter.take()).toBe("allowed");
});

it("never limits with perSecond 0", () => {
  const limiter = new RateLimiter(0, 0, () => 0);
  for (let i = 0; i < 1000; i++) expect(limiter.take()).toBe("allowed");
});
