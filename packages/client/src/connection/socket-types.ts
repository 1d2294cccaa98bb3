/**
 * The few WebSocket members the client uses. Both the browser's `WebSocket` and the `ws`
 * package's class satisfy this without casts (handler parameters are `never` on purpose: the two
 * libraries declare different event classes, and we read only `data`, `code` and `reason`).
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `WebSocket.OPEN`, spelled out so no global is needed to read it. */
export const SOCKET_OPEN = 1;

/** The WebSocket close code of a normal closure (RFC 6455), used when the client ends a socket itself. */
export const NORMAL_CLOSURE = 1000;

/** What our handlers actually receive (a subset of both libraries' event objects). */
export interface MessageEventLike {
  data: unknown;
}
export interface CloseEventLike {
  code: number;
  reason: string;
}
