/**
 * A WebSocket look-alike whose far end is the holding tab's relay (in this tab, or in another
 * over the BroadcastChannel). The client's Connection uses it as it would a real socket, so
 * everything the client does across reconnects it also does across a change of holding tab.
 */
import { SUBPROTOCOL } from "@switchboard/protocol";
import type { CloseEventLike, MessageEventLike, WebSocketLike } from "../connection/socket-types.js";

/** What routes a socket's traffic (TabCoordinator). */
export interface SocketRouter {
  open(socket: TabSocket): void;
  send(socket: TabSocket, text: string): void;
  close(socket: TabSocket, code: number, reason: string): void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

let nextLink = 0;

export class TabSocket implements WebSocketLike {
  readyState = CONNECTING;
  readonly protocol = SUBPROTOCOL;
  readonly link: string;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: MessageEventLike) => void) | null = null;
  onclose: ((event: CloseEventLike) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    private readonly router: SocketRouter,
    tabId: string,
  ) {
    this.link = `${tabId}/${++nextLink}`;
    router.open(this);
  }

  send(data: string): void {
    if (this.readyState === OPEN) this.router.send(this, data);
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.router.close(this, code, reason);
    this.onclose?.({ code, reason });
  }

  // ---- driven by the router ---------------------------------------------------------------

  opened(): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    this.onopen?.({});
  }

  deliver(text: string): void {
    if (this.readyState === OPEN) this.onmessage?.({ data: text });
  }

  /** The far end closed the session (or is gone). */
  ended(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.onclose?.({ code, reason });
  }
}
