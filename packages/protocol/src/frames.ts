/**
 * Every frame of the wire protocol v1 (docs/protocol.md) as a discriminated union on `type`.
 * Client → hub frames are `ClientFrame`; hub → client frames are `HubFrame`.
 */
import type { ErrorCode } from "./codes.js";

export const PROTOCOL_VERSION = 1;
export const SUBPROTOCOL = "switchboard.v1";

/** A JSON value as carried in `data`. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface StreamPosition {
  epoch: string;
  offset: number;
}

export interface ClientInfo {
  client: string;
  user?: string;
  name?: string;
}

export interface Publication {
  offset: number;
  data: Json;
  info?: ClientInfo;
  /** Milliseconds since the Unix epoch, set by the hub when it appended the publication. */
  time: number;
  /** Extension: the publisher's idempotency key, so a publisher can match its own pending copy. */
  key?: string;
}

// ---- client → hub -------------------------------------------------------------------------

export interface ConnectFrame {
  type: "connect";
  id: number;
  version?: number;
  token?: string;
  name?: string;
  /**
   * Extension: join/leave of this connection's subscriptions arrive coalesced as `presence_diff`
   * frames, and as `occupancy` counts in large channels (docs/protocol.md "Presence at scale").
   */
  presenceDiff?: boolean;
}
export interface SubscribeFrame {
  type: "subscribe";
  id: number;
  channel: string;
  since?: StreamPosition;
  /** Late joiners: the `subscribed` reply holds the last `rewind` publications; ignored with `since`. */
  rewind?: number;
  token?: string;
}
export interface UnsubscribeFrame {
  type: "unsubscribe";
  id: number;
  channel: string;
}
export interface PublishFrame {
  type: "publish";
  id: number;
  channel: string;
  data: Json;
  key?: string;
}
export interface HistoryRequestFrame {
  type: "history";
  id: number;
  channel: string;
  since?: StreamPosition;
  limit?: number;
}
export interface PresenceRequestFrame {
  type: "presence";
  id: number;
  channel: string;
  /** Extension: answer only the number of present clients, as an `occupancy` reply. */
  count?: boolean;
}
/** Renews the connection token (no `channel`) or one channel's token in place (docs/protocol.md). */
export interface RefreshFrame {
  type: "refresh";
  id: number;
  token: string;
  channel?: string;
}
export interface PingFrame {
  type: "ping";
}
export interface PongFrame {
  type: "pong";
}

export type ClientFrame =
  | ConnectFrame
  | SubscribeFrame
  | UnsubscribeFrame
  | PublishFrame
  | HistoryRequestFrame
  | PresenceRequestFrame
  | RefreshFrame
  | PingFrame
  | PongFrame;

// ---- hub → client -------------------------------------------------------------------------

export interface ConnectedFrame {
  type: "connected";
  id: number;
  client: string;
  node: string;
  ping: number;
  limits: { maxFrameBytes: number };
  /** Seconds until the connection token's `exp`; absent when the connection has no expiring token. */
  expires?: number;
}
export interface RefreshedFrame {
  type: "refreshed";
  id: number;
  /** Seconds until the new token's `exp`. */
  expires: number;
  channel?: string;
}
export interface SubscribedFrame {
  type: "subscribed";
  id: number;
  channel: string;
  epoch: string;
  offset: number;
  recovered: boolean;
  publications: Publication[];
}
export interface UnsubscribedFrame {
  type: "unsubscribed";
  id?: number;
  channel: string;
  reason?: string;
  resubscribe?: boolean;
}
export interface PubFrame extends Publication {
  type: "pub";
  channel: string;
}
export interface PublishedFrame {
  type: "published";
  id: number;
  channel: string;
  epoch: string;
  offset: number;
}
export interface HistoryReplyFrame {
  type: "history";
  id: number;
  channel: string;
  epoch: string;
  offset: number;
  publications: Publication[];
}
export interface PresenceReplyFrame {
  type: "presence";
  id: number;
  channel: string;
  clients: ClientInfo[];
}
/**
 * Extension: the number of present clients of a channel — the reply (with `id`) to `presence`
 * with `count: true`, or (without `id`) pushed to `presenceDiff` connections in large channels.
 */
export interface OccupancyFrame {
  type: "occupancy";
  id?: number;
  channel: string;
  count: number;
}
/**
 * Extension: the joins and leaves of one flush window, for `presenceDiff` connections. A client
 * that joined and left within one window is in neither list.
 */
export interface PresenceDiffFrame {
  type: "presence_diff";
  channel: string;
  joined: ClientInfo[];
  left: ClientInfo[];
}
export interface JoinFrame {
  type: "join";
  channel: string;
  info: ClientInfo;
}
export interface LeaveFrame {
  type: "leave";
  channel: string;
  info: ClientInfo;
}
export interface ErrorFrame {
  type: "error";
  id?: number;
  code: ErrorCode;
  message: string;
}
export interface DisconnectFrame {
  type: "disconnect";
  code: number;
  reason: string;
  reconnect: boolean;
}

export type HubFrame =
  | ConnectedFrame
  | RefreshedFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | PubFrame
  | PublishedFrame
  | HistoryReplyFrame
  | PresenceReplyFrame
  | OccupancyFrame
  | PresenceDiffFrame
  | JoinFrame
  | LeaveFrame
  | ErrorFrame
  | DisconnectFrame
  | PingFrame
  | PongFrame;

export type HubFrameType = HubFrame["type"];
export type ClientFrameType = ClientFrame["type"];
