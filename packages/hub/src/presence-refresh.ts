/**
 * Keeps this node's presence entries alive: every third of the TTL, ONE broker write renews the
 * node's liveness record (Broker.presenceKeepAlive), whatever the number of subscriptions — not
 * one write per subscription. Entries whose write failed are written again; when the liveness
 * had lapsed (the broker was unreachable for longer than the TTL, or lost its data) readers may
 * have dropped the entries, so every joined subscription in a namespace with presence on is
 * written again. Returns the function that stops it.
 */
import type { ChannelOps } from "./channel-ops.js";
import type { Session } from "./session.js";

/** Refreshes per TTL, so one late or failed refresh does not expire the node. */
const REFRESHES_PER_TTL = 3;

export function startPresenceRefresh(
  sessions: ReadonlySet<Session>,
  ops: ChannelOps,
  ttlSeconds: number,
): () => void {
  let running = false;
  const refresh = async () => {
    ops.retryFailedPresence();
    if (!(await ops.keepPresenceAlive())) return;
    for (const session of sessions) {
      for (const channel of session.subscriptions.joinedChannels()) {
        if (ops.find(channel)?.presence) ops.refreshPresence(channel, session.info);
      }
    }
  };
  const timer = setInterval(
    () => {
      if (running) return;
      running = true;
      refresh()
        .catch(() => {
          // The broker is unreachable: the next refresh tries again (the TTL allows for three).
        })
        .finally(() => {
          running = false;
        });
    },
    (ttlSeconds * 1000) / REFRESHES_PER_TTL,
  );
  timer.unref();
  return () => clearInterval(timer);
}
