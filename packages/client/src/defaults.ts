/** Every client default in one place (each is a named option of ClientOptions). */
export const clientDefaults = {
  publishTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  backoff: { initialMs: 250, maxMs: 10_000, rateLimitedMs: 5_000 },
  /** Retry delays after UNAVAILABLE / RATE_LIMITED answers while connected. */
  retry: { initialMs: 100, maxMs: 2_000 },
  autoConnect: true,
  coalesce: true,
  /** Batched join/leave and occupancy counts (docs/client.md "History and presence"). */
  presenceDiff: true,
  /** Until the hub tells us its limit in `connected`. */
  maxFrameBytes: 65_536,
  /** A 4100 close gets an immediate reconnect only after a session at least this long (no hot loop). */
  minSessionForImmediateMs: 1_000,
  /** Gap-fill history pages. */
  gapPageLimit: 1_000,
  /**
   * Sharing a connection across tabs. A frozen holder is replaced after leaderTimeoutMs plus up
   * to two heartbeats (inside the 5 s handover of docs/client.md); a crashed rider's sessions
   * end after riderTimeoutMs, longer than the minute a hidden tab's timers may sleep.
   */
  /** The offline outbox's caps (per client, i.e. per tab). */
  outbox: { maxEntries: 10_000, maxBytes: 4 * 1024 * 1024, storage: "auto" },
  tabs: { heartbeatMs: 500, leaderTimeoutMs: 2_500, riderTimeoutMs: 120_000, replayWindow: 1_000 },
} as const;
