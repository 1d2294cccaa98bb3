/**
 * The scale-out seam: every broker (embedded SQLite, Redis, NATS JetStream) implements this one
 * small interface and passes the one contract suite (`test/broker-contract.ts`).
 *
 * Rules every implementation keeps:
 * - `append` assigns the offset inside the engine, atomically with the history append and the
 *   idempotency record; it resolves only once the publication is durably appended.
 * - A channel's epoch exists from the first time any node touches it (append, position, history)
 *   and is the same on every node; it changes only when the channel's history is lost or reset.
 * - Live events reach every node that `subscribe`d to the channel, for every publication, in
 *   offset order per channel as far as the engine allows; the hub fills any gap from `history`.
 *   At least once: a duplicate append may announce the original publication again (the hub
 *   drops offsets it already delivered), never as a new one.
 */
import type { ClientInfo, Json, Publication, StreamPosition } from "@switchboard/protocol";

export interface HistoryPolicy {
  /** Publications kept per channel (older ones are trimmed). */
  size: number;
  /** Publications older than this are dropped from history. */
  ttlSeconds: number;
}

export interface AppendRequest {
  channel: string;
  data: Json;
  info?: ClientInfo;
  /** Idempotency key: a second append with the same channel+key within `dedupeSeconds` appends nothing. */
  key?: string;
  history: HistoryPolicy;
  dedupeSeconds: number;
}

export interface AppendResult extends StreamPosition {
  /** True when the key was seen within the window: nothing was appended, the first result is returned. */
  duplicate: boolean;
}

export interface HistoryRequest {
  channel: string;
  /** Forward page: publications with offset > since.offset (when since.epoch is the current epoch). */
  since?: StreamPosition;
  /** At most this many; without `since`, the newest `limit`. */
  limit: number;
  history: HistoryPolicy;
}

export interface HistoryResult extends StreamPosition {
  publications: Publication[];
  /**
   * With `since`: true when the epoch matches and history reaches back to since.offset + 1, so
   * `publications` is exactly the continuation. False means the caller must not treat it as one.
   */
  complete: boolean;
}

/** Events a broker delivers to the hub node for channels it subscribed to. */
export type BrokerEvent =
  | { type: "pub"; channel: string; epoch: string; publication: Publication }
  | { type: "join"; channel: string; info: ClientInfo }
  | { type: "leave"; channel: string; info: ClientInfo }
  /** The broker lost its live stream (and may have missed events): re-check every channel. */
  | { type: "resync" };

export type BrokerEventHandler = (event: BrokerEvent) => void;

export interface PresenceEntry extends ClientInfo {}

export interface Broker {
  /** Short engine name for logs, metrics and /readyz: "sqlite", "redis", "nats". */
  readonly kind: string;
  /** Connects to the engine. The hub calls it once, before anything else. */
  start(onEvent: BrokerEventHandler): Promise<void>;
  /** Whether the engine is reachable now (for /readyz). */
  ready(): Promise<boolean>;
  close(): Promise<void>;

  append(request: AppendRequest): Promise<AppendResult>;
  /** The channel's current top (creating its epoch on first touch). */
  position(channel: string): Promise<StreamPosition>;
  history(request: HistoryRequest): Promise<HistoryResult>;

  /** Start / stop live events for a channel on this node. Idempotent; applied in call order per channel. */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;

  /**
   * Presence. Every entry belongs to the node (this broker instance) that added it and counts as
   * long as that node's liveness record does: `presenceKeepAlive` renews the record — ONE write
   * per node per refresh, whatever the number of entries — and a node that stops renewing it (it
   * died) loses all its entries within `ttlSeconds`. `presenceList` / `presenceCount` ignore, and
   * lazily delete, entries of dead nodes; `close` ends the node's liveness at once. The first
   * `presenceAdd` of a node that has no liveness yet starts it with `ttlSeconds`. Reads never
   * create state. On Redis Cluster every key stays in the channel's slot except the node record.
   */
  presenceAdd(channel: string, info: ClientInfo, ttlSeconds: number): Promise<void>;
  presenceRemove(channel: string, info: ClientInfo): Promise<void>;
  presenceList(channel: string): Promise<ClientInfo[]>;
  /** The number of present clients (cheap: no entry is read). */
  presenceCount(channel: string): Promise<number>;
  /**
   * Renews this node's liveness for `ttlSeconds`. True when it had lapsed (or never existed):
   * readers may have dropped this node's entries, so the caller adds them again.
   */
  presenceKeepAlive(ttlSeconds: number): Promise<boolean>;
  /** Announce join/leave to every node subscribed to the channel. */
  announce(event: { type: "join" | "leave"; channel: string; info: ClientInfo }): Promise<void>;
}

/** Thrown by a broker when its engine cannot take the operation now (maps to UNAVAILABLE). */
export class BrokerUnavailableError extends Error {
  override readonly name = "BrokerUnavailableError";
}
