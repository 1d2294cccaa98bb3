/**
 * The hub's heartbeat: a `ping` to every open session each interval; one that sent nothing since
 * the ping two ticks back was written is closed with 4012. Returns the function that stops it.
 * The ping is encoded and framed once for every session (a socket with nothing else queued gets
 * the ready frame).
 *
 * Silence is measured against the hub's own ticks, not the clock: after the event loop stalled
 * (a long GC, an overloaded machine), timers run before the sockets are read, so the answers to
 * the last pings may still sit unread — counting wall time would close clients that did answer.
 */
import { CloseCode, encodeFrame } from "@switchboard/protocol";
import type { Session } from "./session.js";
import { SharedFrame } from "./shared-frame.js";

const PING = new SharedFrame(Buffer.from(encodeFrame({ type: "ping" })));

/** Silent for this many intervals: the client is gone (docs/protocol.md). */
const MISSED_INTERVALS = 2;

export function startHeartbeat(sessions: ReadonlySet<Session>, intervalSeconds: number): () => void {
  const intervalMs = intervalSeconds * 1000;
  // When the last MISSED_INTERVALS pings went out, oldest first (the start counts as one).
  const pingedAt: number[] = Array.from({ length: MISSED_INTERVALS }, () => Date.now());
  const timer = setInterval(() => {
    const silentSince = pingedAt.shift() as number;
    pingedAt.push(Date.now());
    for (const session of sessions) {
      if (session.phase !== "open") continue;
      if (session.lastSeen < silentSince) session.disconnect(CloseCode.HEARTBEAT_MISSED);
      else session.sendShared(PING);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
