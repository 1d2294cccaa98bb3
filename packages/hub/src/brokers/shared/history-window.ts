/**
 * Engine-neutral history rules shared by the scale-out brokers: which offsets a request may see
 * (size and TTL policy, `since` continuation) and when a result counts as `complete`.
 *
 * Engines trim lazily (Redis `MAXLEN ~`, NATS purge every few appends, key expiry), so they may
 * still hold publications the policy has dropped; applying the policy on read keeps every broker
 * answering the same way, and the completeness check turns any hole (trimmed, expired, an epoch
 * reset between two reads) into `complete: false` instead of a silently partial stream.
 */
import type { Publication, StreamPosition } from "@switchboard/protocol";
import type { HistoryRequest, HistoryResult } from "../broker.js";

export interface HistoryWindow {
  /** First and last offset to return, inclusive; `from > to` means nothing to read. */
  from: number;
  to: number;
  /** The request carried `since` (a continuation was asked for). */
  continuation: boolean;
  /** With `since`: false when no read can make the result complete (other epoch, gone or future offset). */
  possible: boolean;
}

type WindowRequest = Pick<HistoryRequest, "since" | "limit" | "history">;

/** The offsets the policy still exposes: the newest `size` (none when size is 0). */
function oldestVisible(top: number, size: number): number {
  return Math.max(1, top - Math.max(0, size) + 1);
}

export function historyWindow(position: StreamPosition, request: WindowRequest): HistoryWindow {
  const { offset: top } = position;
  const limit = Math.max(0, Math.floor(request.limit));
  const oldest = oldestVisible(top, request.history.size);
  const { since } = request;
  if (!since) {
    return { from: Math.max(oldest, top - limit + 1), to: top, continuation: false, possible: true };
  }
  const from = since.offset + 1;
  const possible =
    since.epoch === position.epoch &&
    Number.isInteger(since.offset) &&
    since.offset >= 0 &&
    since.offset <= top &&
    (from > top || from >= oldest);
  if (!possible) return { from: 1, to: 0, continuation: true, possible: false };
  return { from, to: Math.min(top, since.offset + limit), continuation: true, possible: true };
}

/**
 * Builds the result from whatever the engine returned for the window (extra or missing entries
 * are fine): filters to the window and the TTL, then checks the continuation is contiguous.
 * `ttlSeconds <= 0` means no time limit.
 */
export function settleHistory(
  position: StreamPosition,
  window: HistoryWindow,
  stored: readonly Publication[],
  request: WindowRequest,
  now: number = Date.now(),
): HistoryResult {
  const ttlMs = request.history.ttlSeconds * 1000;
  const minTime = ttlMs > 0 ? now - ttlMs : Number.NEGATIVE_INFINITY;
  const inWindow = stored
    .filter((p) => p.offset >= window.from && p.offset <= window.to && p.time >= minTime)
    .sort((a, b) => a.offset - b.offset);
  const base = { epoch: position.epoch, offset: position.offset };
  if (!window.continuation) return { ...base, publications: inWindow, complete: true };
  const expected = Math.max(0, window.to - window.from + 1);
  const complete =
    window.possible && inWindow.length === expected && inWindow.every((p, i) => p.offset === window.from + i);
  // Recovery is never partial: an incomplete continuation carries no publications at all.
  return { ...base, publications: complete ? inWindow : [], complete };
}
