/** The WebSocket side of the hub's port: the `ws` server, with our subprotocol and frame limit. */
import { CloseCode, disconnectFrame, encodeFrame, SUBPROTOCOL } from "@switchboard/protocol";
import { WebSocket, WebSocketServer } from "ws";
import type { HubLimits } from "./config.js";

/** ws closes oversized messages itself (1009); tell the client why first, as docs/protocol.md says. */
class HubSocket extends WebSocket {
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
    WebSocket: HubSocket,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
}
