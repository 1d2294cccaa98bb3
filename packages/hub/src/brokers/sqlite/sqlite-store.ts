/**
 * The SQLite side of the embedded broker: schema, prepared statements and the synchronous
 * operations on them. It knows nothing about events, batching or promises (sqlite-broker.ts does);
 * every method may throw better-sqlite3's errors, which the broker maps to BrokerUnavailableError.
 */
import type { ClientInfo, Json, Publication, StreamPosition } from "@switchboard/protocol";
import Database from "better-sqlite3";
import type { HistoryPolicy, HistoryRequest, HistoryResult } from "../broker.js";
import { genesisEpoch, genesisPeriod, newEpoch } from "../shared/epoch.js";
import { historyWindow, settleHistory } from "../shared/history-window.js";

/** Bumped when the schema changes, so an old binary refuses a newer file instead of corrupting it. */
const SCHEMA_VERSION = 2;

// "offset" is an SQL keyword, hence the quotes. publications keeps the rowid table layout (not
// WITHOUT ROWID): rows carry whole payloads, which SQLite advises against clustering in the key.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS store (
  id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS channels (
  channel TEXT PRIMARY KEY,
  epoch TEXT NOT NULL,
  top INTEGER NOT NULL,
  expires INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS publications (
  channel TEXT NOT NULL,
  "offset" INTEGER NOT NULL,
  data TEXT NOT NULL,
  info TEXT,
  time INTEGER NOT NULL,
  key TEXT,
  PRIMARY KEY (channel, "offset")
);
CREATE TABLE IF NOT EXISTS idempotency (
  channel TEXT NOT NULL,
  key TEXT NOT NULL,
  epoch TEXT NOT NULL,
  "offset" INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY (channel, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency (expires);
CREATE INDEX IF NOT EXISTS channels_expires ON channels (expires);
`;

/** Schema 1 → 2: channels get `expires` (idle cleanup); existing ones count as touched now. */
const MIGRATE_1_TO_2 = "ALTER TABLE channels ADD COLUMN expires INTEGER";

/** One append, already serialized (serialization errors belong to the caller, not the batch). */
export interface AppendItem {
  channel: string;
  data: string;
  info: string | null;
  key: string | null;
  dedupeMs: number;
  history: HistoryPolicy;
}

export interface AppendOutcome extends StreamPosition {
  duplicate: boolean;
}

interface ChannelRow {
  epoch: string;
  top: number;
}
interface KeyRow {
  epoch: string;
  offset: number;
  expires: number;
}
interface PublicationRow {
  offset: number;
  data: string;
  info: string | null;
  time: number;
  key: string | null;
}

function toPublication(row: PublicationRow): Publication {
  const publication: Publication = { offset: row.offset, data: JSON.parse(row.data) as Json, time: row.time };
  if (row.info !== null) publication.info = JSON.parse(row.info) as ClientInfo;
  if (row.key !== null) publication.key = row.key;
  return publication;
}

export class SqliteStore {
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly appendTx: (items: AppendItem[], now: number) => AppendOutcome[];
  private readonly historyTx: (request: HistoryRequest, now: number) => HistoryResult;

  /** The store id: created once per database file, so a new file never repeats a genesis epoch. */
  readonly storeId: string;
  private readonly idleMs: number;

  constructor(path: string, options: { maxBytes?: number; busyTimeoutMs: number; idleMs: number }) {
    this.idleMs = options.idleMs;
    this.db = new Database(path, { timeout: options.busyTimeoutMs });
    try {
      // WAL + NORMAL: a commit is in the OS page cache before append resolves, which survives a
      // SIGKILL of this process (not a power cut); FULL would fsync every commit, tying publish
      // throughput to the disk's flush latency.
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      const version = this.db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION)
        throw new Error(`${path}: schema version ${version} is newer than ${SCHEMA_VERSION}`);
      if (version === 1) {
        this.db.exec(MIGRATE_1_TO_2);
        this.db.prepare("UPDATE channels SET expires = ?").run(Date.now() + options.idleMs);
      }
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      if (options.maxBytes !== undefined) {
        const pageSize = this.db.pragma("page_size", { simple: true }) as number;
        this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
      }
    } catch (error) {
      this.db.close();
      throw error;
    }
    const db = this.db;
    const stored = db.prepare<[], string>("SELECT id FROM store LIMIT 1").pluck().get();
    this.storeId = stored ?? newEpoch();
    if (stored === undefined) db.prepare("INSERT INTO store (id) VALUES (?)").run(this.storeId);
    this.stmt = {
      channel: db.prepare<[string], ChannelRow>("SELECT epoch, top FROM channels WHERE channel = ?"),
      createChannel: db.prepare<[string, string]>(
        "INSERT INTO channels (channel, epoch, top) VALUES (?, ?, 0) ON CONFLICT (channel) DO NOTHING",
      ),
      setTop: db.prepare<[number, number | null, string]>(
        "UPDATE channels SET top = ?, expires = ? WHERE channel = ?",
      ),
      idleChannels: db
        .prepare<[number, number], string>("SELECT channel FROM channels WHERE expires <= ? LIMIT ?")
        .pluck(),
      dropChannel: db.prepare<[string]>("DELETE FROM channels WHERE channel = ?"),
      dropPublications: db.prepare<[string]>("DELETE FROM publications WHERE channel = ?"),
      dropKeys: db.prepare<[string]>("DELETE FROM idempotency WHERE channel = ?"),
      insert: db.prepare<[string, number, string, string | null, number, string | null]>(
        'INSERT INTO publications (channel, "offset", data, info, time, key) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      key: db.prepare<[string, string], KeyRow>(
        'SELECT epoch, "offset" AS offset, expires FROM idempotency WHERE channel = ? AND key = ?',
      ),
      putKey: db.prepare<[string, string, string, number, number]>(
        'INSERT OR REPLACE INTO idempotency (channel, key, epoch, "offset", expires) VALUES (?, ?, ?, ?, ?)',
      ),
      // Walks the (channel, offset) index from the oldest row and stops at the first live one, so
      // its cost is the number of expired rows, not the history size.
      firstLive: db
        .prepare<[string, number], number>(
          'SELECT "offset" FROM publications WHERE channel = ? AND time >= ? ORDER BY "offset" LIMIT 1',
        )
        .pluck(),
      trim: db.prepare<[string, number]>('DELETE FROM publications WHERE channel = ? AND "offset" < ?'),
      range: db.prepare<[string, number, number], PublicationRow>(
        'SELECT "offset" AS offset, data, info, time, key FROM publications WHERE channel = ? AND "offset" BETWEEN ? AND ? ORDER BY "offset"',
      ),
      sweepKeys: db.prepare<[number, number]>(
        "DELETE FROM idempotency WHERE (channel, key) IN (SELECT channel, key FROM idempotency WHERE expires <= ? LIMIT ?)",
      ),
    };
    const appendTx = db.transaction((items: AppendItem[], now: number) => this.appendAll(items, now));
    // IMMEDIATE takes the write lock up front: offsets are read and written in one critical section.
    this.appendTx = (items, now) => appendTx.immediate(items, now);
    this.historyTx = db.transaction((request: HistoryRequest, now: number) => this.readHistory(request, now));
  }

  get open(): boolean {
    return this.db.open;
  }

  get journalMode(): string {
    return this.db.pragma("journal_mode", { simple: true }) as string;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Appends every item in ONE transaction, in order; outcomes match items by index. */
  appendBatch(items: AppendItem[], now: number): AppendOutcome[] {
    return this.appendTx(items, now);
  }

  /** Reads write nothing: a channel without a row reports its genesis epoch and offset 0. */
  position(channel: string, now = Date.now()): StreamPosition {
    const row = this.lookChannel(channel, now);
    return { epoch: row.epoch, offset: row.top };
  }

  /** The engine-neutral history rules (shared/history-window.ts), over this channel's rows. */
  history(request: HistoryRequest, now: number): HistoryResult {
    return this.historyTx(request, now);
  }

  /** Deletes up to `max` expired idempotency records; returns how many it deleted. */
  sweepKeys(now: number, max: number): number {
    return this.stmt.sweepKeys.run(now, max).changes;
  }

  /**
   * Deletes up to `max` channels idle past their `expires` (their history has expired and a whole
   * idle lifetime has passed since the last append), with their rows; returns how many.
   */
  sweepIdle(now: number, max: number): number {
    const idle = this.stmt.idleChannels.all(now, max);
    if (idle.length === 0) return 0;
    this.db
      .transaction(() => {
        for (const channel of idle) {
          this.stmt.dropPublications.run(channel);
          this.stmt.dropKeys.run(channel);
          this.stmt.dropChannel.run(channel);
        }
      })
      .immediate();
    return idle.length;
  }

  private lookChannel(channel: string, now: number): ChannelRow {
    return (
      this.stmt.channel.get(channel) ?? {
        epoch: genesisEpoch(this.storeId, genesisPeriod(now, this.idleMs / 1000), channel),
        top: 0,
      }
    );
  }

  private ensureChannel(channel: string, now: number): ChannelRow {
    const row = this.stmt.channel.get(channel);
    if (row) return row;
    // DO NOTHING + re-read: if another connection created it meanwhile, its epoch wins.
    this.stmt.createChannel.run(channel, this.lookChannel(channel, now).epoch);
    return this.stmt.channel.get(channel)!;
  }

  private appendAll(items: AppendItem[], now: number): AppendOutcome[] {
    // Channel tops are read once and written once per batch, not once per item.
    const touched = new Map<string, ChannelRow & { history: HistoryPolicy }>();
    const outcomes: AppendOutcome[] = [];
    for (const item of items) {
      if (item.key !== null && item.dedupeMs > 0) {
        const seen = this.stmt.key.get(item.channel, item.key);
        if (seen && seen.expires > now) {
          outcomes.push({ epoch: seen.epoch, offset: seen.offset, duplicate: true });
          continue;
        }
      }
      let state = touched.get(item.channel);
      if (!state) {
        state = { ...this.ensureChannel(item.channel, now), history: item.history };
        touched.set(item.channel, state);
      }
      state.top += 1;
      state.history = item.history;
      this.stmt.insert.run(item.channel, state.top, item.data, item.info, now, item.key);
      if (item.key !== null && item.dedupeMs > 0) {
        this.stmt.putKey.run(item.channel, item.key, state.epoch, state.top, now + item.dedupeMs);
      }
      outcomes.push({ epoch: state.epoch, offset: state.top, duplicate: false });
    }
    for (const [channel, state] of touched) {
      // No time limit on history → never idle-cleaned; else after the history and one idle lifetime.
      const ttlMs = state.history.ttlSeconds * 1000;
      const expires = ttlMs > 0 && this.idleMs > 0 ? now + Math.max(ttlMs, this.idleMs) : null;
      this.stmt.setTop.run(state.top, expires, channel);
      this.stmt.trim.run(channel, this.floor(channel, state.top, state.history, now));
    }
    return outcomes;
  }

  /**
   * Rows below this offset are deleted on append (top + 1 when history keeps none). TTL trimming
   * is lazy — done on the channel's next append — so expired rows may wait on disk; reads filter
   * them (settleHistory). `ttlSeconds <= 0` means no time limit, as there.
   */
  private floor(channel: string, top: number, policy: HistoryPolicy, now: number): number {
    const bySize = top - Math.max(0, Math.floor(policy.size)) + 1;
    const byTime =
      policy.ttlSeconds > 0
        ? (this.stmt.firstLive.get(channel, now - policy.ttlSeconds * 1000) ?? top + 1)
        : 1;
    return Math.max(1, bySize, byTime);
  }

  private readHistory(request: HistoryRequest, now: number): HistoryResult {
    const { epoch, top } = this.lookChannel(request.channel, now);
    const position = { epoch, offset: top };
    const window = historyWindow(position, request);
    const rows =
      window.possible && window.from <= window.to
        ? this.stmt.range.all(request.channel, window.from, window.to)
        : [];
    return settleHistory(position, window, rows.map(toPublication), request, now);
  }
}
