/** How the client configures a Connection and hears from it. */
import type { ConnectedFrame, HubFrame } from "@switchboard/protocol";
import type { SwitchboardError } from "../errors.js";
import type { StateEvent, TokenSource } from "../types.js";
import type { CloseDecision } from "./close-policy.js";
import type { WebSocketCtor } from "./socket-types.js";

export interface ConnectionOptions {
  urls: readonly string[];
  name: string | undefined;
  /** Sent in `connect`: batched presence (docs/protocol.md "Presence at scale"). */
  presenceDiff: boolean;
  token: TokenSource | undefined;
  WebSocket: WebSocketCtor;
  connectTimeoutMs: number;
  backoff: { initialMs: number; maxMs: number; rateLimitedMs: number };
  coalesce: boolean;
  maxFrameBytes: number;
  minSessionForImmediateMs: number;
}

export interface ConnectionHooks {
  /** The handshake completed; the connection accepts frames now. */
  connected(frame: ConnectedFrame): void;
  /** Every hub frame after the handshake except ping, pong and disconnect. */
  frame(frame: HubFrame): void;
  /** A connected session ended (a reconnect may follow: see decision.reconnect). */
  disconnected(decision: CloseDecision): void;
  /** The connection gave up for good (a close code that forbids reconnecting). */
  stopped(decision: CloseDecision): void;
  state(event: StateEvent): void;
  error(error: SwitchboardError): void;
  /** Request ids are shared with the client's requests, so ids never repeat on one socket. */
  nextId(): number;
}
