/**
 * What the tabs of one group say to each other over their BroadcastChannel (docs/client.md,
 * "Tabs"). Every message names its sender; messages meant for one tab name it in `to`, and the
 * others ignore them. Frames of the wire protocol travel inside `data` as the same NDJSON text
 * a WebSocket would carry, so the riding tab's client runs unchanged.
 */

/** The holding tab announces itself (when elected, and in answer to `who`). */
export interface LeaderMessage {
  type: "leader";
  from: string;
}
/** A tab that just started asks which tab holds the connection. */
export interface WhoMessage {
  type: "who";
  from: string;
}
/** A riding tab opens a session on the holding tab's connection. */
export interface OpenMessage {
  type: "open";
  from: string;
  to: string;
  link: string;
}
/** The holding tab accepted the session: the riding tab's socket is open. */
export interface OpenedMessage {
  type: "opened";
  from: string;
  to: string;
  link: string;
}
/** Protocol frames of one session (NDJSON, one or more frames). */
export interface DataMessage {
  type: "data";
  from: string;
  to: string;
  link: string;
  text: string;
}
/** Either side ends a session; the riding tab's client then reconnects (per the close code). */
export interface CloseMessage {
  type: "close";
  from: string;
  to: string;
  link: string;
  code: number;
  reason: string;
}
/** Liveness of the holding tab, asked by the riders (answered from an event handler, never a timer). */
export interface PingMessage {
  type: "ping";
  from: string;
  to: string;
}
export interface PongMessage {
  type: "pong";
  from: string;
  to: string;
}
/** The holding tab is going away (page hidden for good, client closed): elect another now. */
export interface ByeMessage {
  type: "bye";
  from: string;
}

export type TabMessage =
  | LeaderMessage
  | WhoMessage
  | OpenMessage
  | OpenedMessage
  | DataMessage
  | CloseMessage
  | PingMessage
  | PongMessage
  | ByeMessage;

const TYPES: ReadonlySet<string> = new Set<TabMessage["type"]>([
  "leader",
  "who",
  "open",
  "opened",
  "data",
  "close",
  "ping",
  "pong",
  "bye",
]);

/** Anything can be posted on a BroadcastChannel by any script of the origin: check the shape. */
export function isTabMessage(value: unknown): value is TabMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.type !== "string" || !TYPES.has(m.type) || typeof m.from !== "string") return false;
  if ("to" in m && typeof m.to !== "string") return false;
  if ("link" in m && typeof m.link !== "string") return false;
  if (m.type === "data" && typeof m.text !== "string") return false;
  if (m.type === "close" && (typeof m.code !== "number" || typeof m.reason !== "string")) return false;
  return true;
}
