/**
 * The hub's heartbeat: a `ping` to every open session each interval; one silent for two
 * intervals is closed with 4012. Returns the function that stops it. The ping is encoded and
 * framed once for every session (a socket with nothing else queued gets the ready frame).
 */
import { CloseCode, encodeFrame } from "@switchboard/protocol";
import type { Session } from "./session.js";
import { SharedFrame } from "./shared-frame.js";

const PING = new SharedFrame(Buffer.from(encodeFrame({ type: "ping" })));

/** Silent for this many intervals: the client is gone (docs/protocol.md). */
const MISSED_INTERVALS = 2;

export function startHeartbeat(sessions: ReadonlySet<Session>, intervalSeconds: number): () => void {
  const intervalMs = intervalSeconds * 1000;
  const timer = setInterval(() => {
    const silentSince = Date.now() - MISSED_INTERVALS * intervalMs;
    for (const session of sessions) {
      if (session.phase !== "open") continue;
      if (session.lastSeen < silentSince) session.disconnect(CloseCode.HEARTBEAT_MISSED);
      else session.sendShared(PING);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
