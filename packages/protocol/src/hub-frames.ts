/**
 * Builders for the frames the hub sends on its own (not as a reply): each returns the typed frame
 * of frames.ts, so a field the protocol does not know, or a missing one, fails to compile. The hub
 * serializes a publication's frame once and writes the same bytes to every subscriber.
 */
import { type CloseCode, closeCodeInfo, type UnsubscribeReason } from "./codes.js";
import type {
  ClientInfo,
  DisconnectFrame,
  JoinFrame,
  LeaveFrame,
  OccupancyFrame,
  PresenceDiffFrame,
  PubFrame,
  Publication,
  UnsubscribedFrame,
} from "./frames.js";

export function pubFrame(channel: string, publication: Publication): PubFrame {
  return { type: "pub", channel, ...publication };
}

export function presenceFrame(
  type: "join" | "leave",
  channel: string,
  info: ClientInfo,
): JoinFrame | LeaveFrame {
  return { type, channel, info };
}

/** The joins and leaves of one flush window (for connections that asked for `presenceDiff`). */
export function presenceDiffFrame(
  channel: string,
  joined: ClientInfo[],
  left: ClientInfo[],
): PresenceDiffFrame {
  return { type: "presence_diff", channel, joined, left };
}

/** A channel's number of present clients: pushed without `id`, or the reply to a count request. */
export function occupancyFrame(channel: string, count: number, id?: number): OccupancyFrame {
  return id === undefined ? { type: "occupancy", channel, count } : { type: "occupancy", id, channel, count };
}

/** The hub ended a subscription on its own; the client subscribes again with `since`. */
export function endedFrame(channel: string, reason: UnsubscribeReason): UnsubscribedFrame {
  return { type: "unsubscribed", channel, reason, resubscribe: true };
}

/** Sent before every hub-initiated close: the registry's reason unless a more precise one is given. */
export function disconnectFrame(code: CloseCode, reason?: string): DisconnectFrame {
  const info = closeCodeInfo[code];
  return { type: "disconnect", code, reason: reason ?? info.reason, reconnect: info.reconnect };
}
