/**
 * Presence entries expire in the broker unless refreshed, so a dead node's clients disappear:
 * every third of the TTL, this node re-adds each joined subscription in a namespace with presence
 * on. Returns the function that stops it.
 */
import type { ChannelOps } from "./channel-ops.js";
import type { Session } from "./session.js";

/** Refreshes per TTL, so one late or failed refresh does not expire an entry. */
const REFRESHES_PER_TTL = 3;

export function startPresenceRefresh(
  sessions: ReadonlySet<Session>,
  ops: ChannelOps,
  ttlSeconds: number,
): () => void {
  const timer = setInterval(
    () => {
      for (const session of sessions) {
        for (const channel of session.subscriptions.joinedChannels()) {
          if (ops.find(channel)?.presence) ops.refreshPresence(channel, session.info);
        }
      }
    },
    (ttlSeconds * 1000) / REFRESHES_PER_TTL,
  );
  timer.unref();
  return () => clearInterval(timer);
}
