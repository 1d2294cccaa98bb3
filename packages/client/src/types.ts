/** Public value types of the client: options, messages and the event maps. */
import type { ClientInfo, Json, StreamPosition } from "@switchboard/protocol";
import type { WebSocketCtor } from "./connection/socket-types.js";
import type { SwitchboardError } from "./errors.js";

export type { ClientInfo, Json, StreamPosition };

/** A token, or a function asked for a fresh one before every connection attempt. */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface BackoffSettings {
  /** Ceiling of the first reconnect delay (full jitter: the delay is random in [0, ceiling)). */
  initialMs?: number;
  /** The ceiling stops doubling here. */
  maxMs?: number;
  /** Minimum delay after a 4029 close (rate limit abused): "reconnect after a delay". */
  rateLimitedMs?: number;
}

export interface ClientOptions {
  /** Hub WebSocket URLs; rotated on every reconnect. */
  urls: string | readonly string[];
  /** Sent in `connect`, e.g. "sender@0.1.0". */
  name?: string;
  /**
   * Ask the hub for batched presence (`presenceDiff` at connect, docs/protocol.md "Presence at
   * scale"): join/leave arrive coalesced (still emitted as `join` / `leave`), and large channels
   * send `occupancy` counts instead of member events. Default true; a hub without it ignores it.
   */
  presenceDiff?: boolean;
  /** A JWT, or a function asked for one before every connection attempt and to renew it before it expires. */
  token?: TokenSource;
  /**
   * The token callback (docs/client.md "Tokens"): asked before every connection attempt and about
   * a third of the lifetime before `exp`, so the connection outlives its tokens. Wins over `token`.
   */
  getToken?: () => string | Promise<string>;
  /** Default: globalThis.WebSocket. Node < 22 passes the `ws` package. */
  WebSocket?: WebSocketCtor;
  /** How long publish() keeps trying (across reconnects) before rejecting with TIMEOUT. */
  publishTimeoutMs?: number;
  /** The same for history() and presence(); an unanswered subscribe is sent again after it. */
  requestTimeoutMs?: number;
  /** A connection attempt that has no `connected` reply by then is abandoned and retried. */
  connectTimeoutMs?: number;
  backoff?: BackoffSettings;
  /** Connect right away (in a microtask, so listeners added synchronously see every event). */
  autoConnect?: boolean;
  /** Join frames issued in the same tick into one WebSocket message. */
  coalesce?: boolean;
  /**
   * One connection per browser: the tabs of this origin with the same hub URLs share one hub
   * connection, held by one of them (docs/client.md, "Tabs"). On by default where the page has
   * Web Locks and BroadcastChannel; `false` gives this client its own connection.
   */
  tabs?: boolean | TabsOptions;
  /**
   * Offline outbox: publishes wait, with their keys, until the hub has them — in IndexedDB where
   * the page has it, so they survive a reload (docs/client.md, "Offline"). `false`: publishes
   * made offline time out after publishTimeoutMs as they would without it.
   */
  outbox?: boolean | OutboxOptions;
}

export interface OutboxOptions {
  /** Most messages waiting at once; one more is refused with OUTBOX_FULL. */
  maxEntries?: number;
  /** Most bytes of waiting messages (data + channel + key, UTF-8); beyond it OUTBOX_FULL. */
  maxBytes?: number;
  /** "auto": IndexedDB where available, else memory; "memory": never stored. */
  storage?: "auto" | "memory";
}

/** What the outbox holds now ("outbox" events, client.outbox). */
export interface OutboxState {
  /** Publishes not yet acknowledged by the hub (queued while offline, or in flight). */
  queued: number;
  bytes: number;
  /** The entries survive a reload (IndexedDB); false in Node or when storage failed. */
  persistent: boolean;
}

export interface TabsOptions {
  /** Tabs share a connection only within a group; default: the hub URLs. Give users their own. */
  group?: string;
  /** How often a riding tab pings the holding tab. */
  heartbeatMs?: number;
  /** A holding tab that leaves pings unanswered this long (frozen, hung) is replaced. */
  leaderTimeoutMs?: number;
  /** The holding tab ends the sessions of a riding tab silent this long (crashed). */
  riderTimeoutMs?: number;
  /** Recent publications per channel the holding tab keeps to resume a riding tab without history. */
  replayWindow?: number;
}

/**
 * This client's part in sharing a connection across tabs: `holder` holds the hub connection,
 * `rider` uses another tab's, `electing` is between the two (startup, handover), `off` means
 * the client has its own connection (tabs: false, or no Web Locks / BroadcastChannel).
 */
export type TabRole = "holder" | "rider" | "electing" | "off";

export type ClientState = "disconnected" | "connecting" | "connected";

interface StateEventFields {
  /** Why the previous connection ended (hub `disconnect` reason or close reason). */
  reason?: string;
  /** The WebSocket close code of the previous connection, when there was one. */
  code?: number;
  /** Connection attempts since the last successful connect (1 = first). */
  attempt?: number;
}

/** Emitted on every state change and on every new connection attempt. */
export type StateEvent =
  | (StateEventFields & {
      state: "connecting";
      attempt: number;
      /** How long the client waits before this attempt (backoff). */
      delayMs: number;
      url: string;
    })
  | (StateEventFields & { state: "connected"; clientId: string; node: string; url: string })
  | (StateEventFields & { state: "disconnected"; reason: string });

export interface ClientEvents {
  state: StateEvent;
  /** Problems not tied to one call: connect errors, token failures, hub errors without id. */
  error: SwitchboardError;
  /** The tab's role changed (see TabRole). */
  tab: { role: TabRole };
  /** The outbox's content changed (a publish queued or settled). */
  outbox: OutboxState;
}

/** One publication as the app sees it. */
export interface Message {
  channel: string;
  /** Idempotency key; set on this client's own publishes (and on the hub's copy of them). */
  key?: string;
  /** Position in the channel; absent while pending. */
  offset?: number;
  data: Json;
  info?: ClientInfo;
  /** Milliseconds since the Unix epoch (hub time once confirmed, local time while pending). */
  time: number;
  /** True for this client's own publish before the hub has it. */
  pending: boolean;
}

export type FailedMessage = Message & { error: SwitchboardError };

export interface SubscribedEvent {
  epoch: string;
  offset: number;
  /** The hub delivered everything since the position we asked for. */
  recovered: boolean;
  /** We asked for a position (`since`): a resubscription or an explicit `since` option. */
  resumed: boolean;
}

export interface LostEvent {
  /** Why recovery was impossible. */
  reason: string;
  /** The position the subscription continues from. */
  epoch: string;
  offset: number;
}

export interface SubscriptionEvents {
  /** Each publication exactly once, in offset order; own publishes first arrive pending. */
  publication: Message;
  /** A pending message the hub has now (same key, with offset). */
  confirmed: Message;
  /** A pending message whose publish failed. */
  failed: FailedMessage;
  subscribed: SubscribedEvent;
  /** Recovery was asked for but is impossible: reload history if the app needs it. */
  lost: LostEvent;
  join: ClientInfo;
  leave: ClientInfo;
  /** The channel's number of present clients changed (large channels, with `presenceDiff`). */
  occupancy: { count: number };
  /** The subscription ended without sub.unsubscribe() (hub `unsubscribed` without resubscribe). */
  unsubscribed: { reason: string };
  /** A subscribe the hub refused (e.g. PERMISSION_DENIED); retried after the next reconnect. */
  error: SwitchboardError;
}

export type SubscriptionState = "subscribing" | "subscribed" | "unsubscribed";

export interface SubscribeOptions {
  /** Resume from a stored position (recovery); the hub answers recovered true or false. */
  since?: StreamPosition;
  /**
   * Late join: open with the channel's last K publications (1 ≤ K ≤ the namespace's history
   * size), delivered as ordinary `publication` events before the live ones, with no gap or
   * duplicate. Asked on the first subscribe only (resubscribes resume from the position);
   * ignored with `since`.
   */
  rewind?: number;
  /** Channel token sent with `subscribe`. */
  token?: TokenSource;
}

export interface PublishOptions {
  /** Idempotency key; generated when absent. */
  key?: string;
  /** Overrides publishTimeoutMs for this call. */
  timeoutMs?: number;
}

export interface HistoryOptions {
  since?: StreamPosition;
  limit?: number;
  timeoutMs?: number;
}

export interface HistoryResult extends StreamPosition {
  publications: Message[];
}

export type PublishResult = StreamPosition;
