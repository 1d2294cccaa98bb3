/**
 * Turns accepted WebSockets into Sessions: counts them, feeds their messages to the request
 * handler and cleans up their subscriptions when they close, whoever closed them. The listeners
 * and hooks are made once per node and find their session through the socket (HubSocket.session),
 * so a connection carries no closures of its own.
 */
import type { Duplex } from "node:stream";
import { CloseCode } from "@switchboard/protocol";
import type { RawData, WebSocket } from "ws";
import type { HubContext } from "./hub-context.js";
import type { HubSocket } from "./hub-socket.js";
import type { RequestHandler } from "./request-handler.js";
import { Session, type SessionHooks } from "./session.js";

/** The sockets come from createSocketServer, whose WebSocket class is HubSocket. */
const sessionOf = (ws: WebSocket): Session | undefined => (ws as HubSocket).session;

export function sessionAcceptor(
  ctx: HubContext,
  handler: RequestHandler,
  sessions: Set<Session>,
): (ws: WebSocket, socket: Duplex) => void {
  const { log, metrics } = ctx;
  const hooks: SessionHooks = {
    ended: handler.announceLeave,
    closed(session) {
      sessions.delete(session);
      metrics.connections.dec();
      handler.closed(session);
    },
  };
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const session = sessionOf(this) as Session;
    if (isBinary)
      return session.disconnect(CloseCode.PROTOCOL_VIOLATION, "binary messages are not part of the protocol");
    try {
      handler.handleMessage(session, data.toString());
    } catch (err) {
      log.error({ err, client: session.id }, "message handling failed");
      session.disconnect(CloseCode.PROTOCOL_VIOLATION, "internal error");
    }
  }
  function onClose(this: WebSocket): void {
    sessionOf(this)?.markClosed();
  }
  function onError(this: WebSocket, err: Error): void {
    log.debug({ err, client: sessionOf(this)?.id }, "socket error");
  }
  return (ws, socket) => {
    const session = new Session(ws, socket, ctx, hooks);
    (ws as HubSocket).session = session;
    sessions.add(session);
    metrics.connections.inc();
    ws.on("message", onMessage);
    ws.on("close", onClose);
    ws.on("error", onError);
  };
}
