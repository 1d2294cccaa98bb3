/**
 * The embedded default broker: one node, live events fanned out in-process, history in a SQLite
 * file (WAL) so a restart — even a SIGKILL — loses no acknowledged publication and keeps epochs.
 *
 * Appends that arrive in the same event-loop turn are written in ONE transaction (flushed from
 * setImmediate): a commit costs far more than a row, so batching multiplies throughput under load
 * while adding no timer latency.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type ClientInfo, type Publication, type StreamPosition, stringifyJson } from "@switchboard/protocol";
import {
  type AppendRequest,
  type AppendResult,
  type Broker,
  type BrokerEvent,
  type BrokerEventHandler,
  BrokerUnavailableError,
  type HistoryRequest,
  type HistoryResult,
} from "../broker.js";
import { unavailable as toUnavailable } from "../shared/unavailable.js";
import { PresenceMap } from "./presence-map.js";
import { type AppendItem, type AppendOutcome, SqliteStore } from "./sqlite-store.js";

export const SQLITE_BROKER_DEFAULTS = {
  /** Batch appends of one event-loop turn into one transaction. */
  batchAppends: true,
  /** How long a write waits for another connection's lock before failing (UNAVAILABLE). */
  busyTimeoutMs: 5_000,
  /** How often expired idempotency records and presence entries are deleted. */
  sweepIntervalMs: 30_000,
  /** Idempotency records deleted per statement; a sweep runs one statement per loop turn. */
  sweepChunk: 5_000,
  /**
   * How long a channel's state outlives its history without appends before it is deleted; also
   * the genesis-epoch period (shared/epoch.ts). 0 = never.
   */
  idleSeconds: 30 * 24 * 3600,
  /** Idle channels deleted per transaction. */
  idleChunk: 500,
} as const;

export interface SqliteBrokerOptions {
  /** SQLite file (its folder is created if missing), or ":memory:" for a throwaway store. */
  path: string;
  /** Hard cap on the database size: appends beyond it fail with BrokerUnavailableError, like a full disk. */
  maxBytes?: number;
  batchAppends?: boolean;
  busyTimeoutMs?: number;
  sweepIntervalMs?: number;
  idleSeconds?: number;
}

interface Pending {
  request: AppendRequest;
  item: AppendItem;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** Every SQLite failure is "not now" (busy, full, closed file): UNAVAILABLE, never INTERNAL. */
const unavailable = (error: unknown) => toUnavailable("sqlite", error);

export class SqliteBroker implements Broker {
  readonly kind = "sqlite";
  private readonly options: Required<Omit<SqliteBrokerOptions, "maxBytes">> & { maxBytes?: number };
  private store: SqliteStore | undefined;
  private onEvent: BrokerEventHandler | undefined;
  private closed = false;
  private readonly subscribed = new Set<string>();
  private readonly presence = new PresenceMap();
  private queue: Pending[] = [];
  private flushScheduled: NodeJS.Immediate | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: SqliteBrokerOptions) {
    this.options = { ...SQLITE_BROKER_DEFAULTS, ...options };
  }

  async start(onEvent: BrokerEventHandler): Promise<void> {
    if (this.store || this.closed) throw new Error("SqliteBroker.start: already started or closed");
    const { path, maxBytes, busyTimeoutMs } = this.options;
    try {
      if (path !== ":memory:" && path !== "") mkdirSync(dirname(path), { recursive: true });
      this.store = new SqliteStore(path, {
        busyTimeoutMs,
        idleMs: this.options.idleSeconds * 1000,
        ...(maxBytes !== undefined ? { maxBytes } : {}),
      });
    } catch (error) {
      throw unavailable(error);
    }
    this.onEvent = onEvent;
    this.sweeper = setInterval(() => this.sweep(), this.options.sweepIntervalMs);
    this.sweeper.unref();
  }

  async ready(): Promise<boolean> {
    return !this.closed && this.store?.open === true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends already accepted are written (and resolved) before the file closes.
    if (this.flushScheduled) {
      clearImmediate(this.flushScheduled);
      this.flush();
    }
    this.closed = true;
    clearInterval(this.sweeper);
    this.presence.clear();
    this.subscribed.clear();
    this.store?.close();
  }

  /** The journal mode SQLite actually uses ("wal" for a file), for tests and diagnostics. */
  get journalMode(): string {
    return this.open().journalMode;
  }

  append(request: AppendRequest): Promise<AppendResult> {
    let item: AppendItem;
    try {
      this.open();
      item = {
        channel: request.channel,
        data: serialize(request.data),
        info: request.info === undefined ? null : serialize(request.info),
        key: request.key ?? null,
        dedupeMs: Math.max(0, request.dedupeSeconds * 1000),
        history: request.history,
      };
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ request, item, resolve, reject });
      if (!this.options.batchAppends) this.flush();
      else this.flushScheduled ??= setImmediate(this.flush);
    });
  }

  async position(channel: string): Promise<StreamPosition> {
    const store = this.open();
    try {
      return store.position(channel);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async history(request: HistoryRequest): Promise<HistoryResult> {
    const store = this.open();
    try {
      return store.history(request, Date.now());
    } catch (error) {
      throw unavailable(error);
    }
  }

  async subscribe(channel: string): Promise<void> {
    this.subscribed.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.subscribed.delete(channel);
  }

  async presenceAdd(channel: string, info: ClientInfo, ttlSeconds: number): Promise<void> {
    this.open();
    this.presence.add(channel, info, ttlSeconds * 1000, Date.now());
  }

  async presenceRemove(channel: string, info: ClientInfo): Promise<void> {
    this.open();
    this.presence.remove(channel, info.client);
  }

  async presenceList(channel: string): Promise<ClientInfo[]> {
    this.open();
    return this.presence.list(channel, Date.now());
  }

  async presenceCount(channel: string): Promise<number> {
    this.open();
    return this.presence.count(channel, Date.now());
  }

  async presenceKeepAlive(ttlSeconds: number): Promise<boolean> {
    this.open();
    return this.presence.keepAlive(ttlSeconds * 1000, Date.now());
  }

  async announce(event: { type: "join" | "leave"; channel: string; info: ClientInfo }): Promise<void> {
    this.open();
    this.emitLater([{ type: event.type, channel: event.channel, info: event.info }]);
  }

  private open(): SqliteStore {
    if (this.closed) throw new BrokerUnavailableError("sqlite: broker closed");
    if (!this.store) throw new BrokerUnavailableError("sqlite: broker not started");
    return this.store;
  }

  private readonly flush = (): void => {
    this.flushScheduled = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const now = Date.now();
    let outcomes: AppendOutcome[];
    try {
      outcomes = this.open().appendBatch(
        batch.map((pending) => pending.item),
        now,
      );
    } catch (error) {
      const failure = unavailable(error);
      for (const pending of batch) pending.reject(failure);
      return;
    }
    // Only channels subscribed at commit time get the event: a publication made while a channel
    // was unsubscribed is the hub's to fetch from history, as with a remote broker's pub/sub.
    const events: BrokerEvent[] = [];
    for (let i = 0; i < batch.length; i++) {
      const { request, item, resolve } = batch[i]!;
      const outcome = outcomes[i]!;
      resolve({ epoch: outcome.epoch, offset: outcome.offset, duplicate: outcome.duplicate });
      if (outcome.duplicate || !this.subscribed.has(request.channel)) continue;
      const publication: Publication = { offset: outcome.offset, data: request.data, time: now };
      if (request.info !== undefined) publication.info = request.info;
      if (item.key !== null) publication.key = item.key;
      events.push({ type: "pub", channel: request.channel, epoch: outcome.epoch, publication });
    }
    if (events.length > 0) this.emitLater(events);
  };

  /**
   * Delivers after the current call stack (the handler may call back into the broker) and only
   * while the channel is still subscribed, so nothing arrives after unsubscribe() resolved.
   */
  private emitLater(events: BrokerEvent[]): void {
    queueMicrotask(() => {
      let failed = false;
      let failure: unknown;
      for (const event of events) {
        if (this.closed || !this.onEvent) return;
        if (event.type !== "resync" && !this.subscribed.has(event.channel)) continue;
        try {
          this.onEvent(event);
        } catch (error) {
          // One throwing handler call must not cost the others their events (a gap the hub
          // would have to repair); the first error still surfaces as an uncaught exception.
          if (!failed) failure = error;
          failed = true;
        }
      }
      if (failed)
        queueMicrotask(() => {
          throw failure;
        });
    });
  }

  private sweep(): void {
    if (this.closed || !this.store) return;
    const now = Date.now();
    this.presence.sweep(now);
    this.sweepKeys(now);
    this.sweepIdle(now);
  }

  /** Deletes idle channels a chunk per loop turn (like sweepKeys). */
  private sweepIdle(now: number): void {
    if (this.closed || !this.store) return;
    let deleted: number;
    try {
      deleted = this.store.sweepIdle(now, SQLITE_BROKER_DEFAULTS.idleChunk);
    } catch {
      return; // the next sweep retries
    }
    if (deleted === SQLITE_BROKER_DEFAULTS.idleChunk) setImmediate(() => this.sweepIdle(now));
  }

  /** Deletes expired idempotency records a chunk per loop turn, so a large backlog never blocks the loop. */
  private sweepKeys(now: number): void {
    if (this.closed || !this.store) return;
    let deleted: number;
    try {
      deleted = this.store.sweepKeys(now, SQLITE_BROKER_DEFAULTS.sweepChunk);
    } catch {
      return; // Expired records are ignored on read anyway; the next sweep retries.
    }
    if (deleted === SQLITE_BROKER_DEFAULTS.sweepChunk) setImmediate(() => this.sweepKeys(now));
  }
}

/** JSON text of a value; rejects what JSON cannot carry instead of failing the whole batch in SQLite. */
function serialize(value: unknown): string {
  // Any depth JSON.parse reads back (docs/protocol.md: whatever is stored can be served again).
  const text = stringifyJson(value) as string | undefined;
  if (text === undefined) throw new TypeError("broker append: data is not JSON-serializable");
  return text;
}
