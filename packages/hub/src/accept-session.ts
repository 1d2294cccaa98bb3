/**
 * Turns an accepted WebSocket into a Session: counts it, closes it with 4001 when no `connect`
 * comes in time, feeds its messages to the request handler and cleans up its subscriptions when
 * it closes, whoever closed it.
 */
import type { Duplex } from "node:stream";
import { CloseCode } from "@switchboard/protocol";
import type { WebSocket } from "ws";
import type { HubContext } from "./hub-context.js";
import type { RequestHandler } from "./request-handler.js";
import { Session } from "./session.js";

export function acceptSession(
  ws: WebSocket,
  socket: Duplex,
  ctx: HubContext,
  handler: RequestHandler,
  sessions: Set<Session>,
): void {
  const { log, metrics, limits } = ctx;
  const session = new Session(ws, socket, ctx, handler.announceLeave);
  sessions.add(session);
  metrics.connections.inc();
  const connectTimer = setTimeout(() => {
    if (session.phase === "connecting" || session.phase === "authenticating")
      session.disconnect(CloseCode.UNAUTHORIZED, "no connect frame in time");
  }, limits.connectTimeoutSeconds * 1000);
  session.onClosed(() => {
    clearTimeout(connectTimer);
    sessions.delete(session);
    metrics.connections.dec();
    for (const channel of session.subscriptions.channels()) handler.leave(session, channel);
  });
  ws.on("message", (data, isBinary) => {
    if (isBinary)
      return session.disconnect(CloseCode.PROTOCOL_VIOLATION, "binary messages are not part of the protocol");
    try {
      handler.handleMessage(session, data.toString());
    } catch (err) {
      log.error({ err, client: session.id }, "message handling failed");
      session.disconnect(CloseCode.PROTOCOL_VIOLATION, "internal error");
    }
  });
  ws.on("close", () => session.markClosed());
  ws.on("error", (err) => log.debug({ err, client: session.id }, "socket error"));
}
