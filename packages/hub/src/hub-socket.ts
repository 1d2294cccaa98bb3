/** The WebSocket side of the hub's port: the `ws` server, with our subprotocol and frame limit. */
import { CloseCode, disconnectFrame, encodeFrame, SUBPROTOCOL } from "@switchboard/protocol";
import { WebSocket, WebSocketServer } from "ws";
import type { HubLimits } from "./config.js";
import type { Session } from "./session.js";

/**
 * ws closes oversized messages itself (1009); tell the client why first, as docs/protocol.md says.
 * Also carries its session, so the node's shared listeners (accept-session.ts) find it.
 */
export class HubSocket extends WebSocket {
  session: Session | undefined = undefined;

  override close(code?: number, data?: string | Buffer): void {
    if (code === CloseCode.MESSAGE_TOO_BIG && this.readyState === WebSocket.OPEN)
      this.send(encodeFrame(disconnectFrame(code)));
    super.close(code, data);
  }
}

/** Upgrades come from the upgrade gate (noServer); compression is off so frames can be pre-built. */
export function createSocketServer(limits: HubLimits): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    // The node keeps its own set of sessions (drain closes them); ws's would cost a Set entry
    // and a close listener per socket.
    clientTracking: false,
    WebSocket: HubSocket,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
}
