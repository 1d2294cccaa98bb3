/**
 * The offline outbox (docs/client.md, "Offline"): every publish of this client is kept, with its
 * idempotency key, until it settles — in IndexedDB where the page has it, so a reload does not
 * lose what was typed while the hub was unreachable. Each client holds a Web Lock named for its
 * owner id while it lives; entries whose owner's lock is free (the tab was reloaded or closed)
 * are adopted by the next client of the same group and sent in the order they were made.
 */
import type { Json } from "@switchboard/protocol";
import { utf8Length } from "../connection/outbox.js";
import { SwitchboardError } from "../errors.js";
import type { OutboxState } from "../types.js";
import { hasIndexedDb, openIdbStore } from "./idb-store.js";
import { memoryStore, type OutboxRecord, type OutboxStore } from "./outbox-store.js";

export interface OfflineOutboxSettings {
  /** Entries are sent only by clients of the same group (the hub URLs). */
  readonly group: string;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** "auto": IndexedDB where available, else memory. */
  readonly storage: "auto" | "memory";
}

export interface OfflineOutboxHooks {
  changed(state: OutboxState): void;
  error(error: SwitchboardError): void;
  /** Entries of a gone client, now this client's to send (oldest first). */
  adopted(records: OutboxRecord[]): void;
}

interface Held {
  readonly bytes: number;
  /** The store's id, once written (undefined when the write failed). */
  readonly id: Promise<number | undefined>;
}

/** The part of `navigator.locks` used here. */
interface Locks {
  request(name: string, options: LockOptions, callback: (lock: Lock | null) => unknown): Promise<unknown>;
}

const LOCK_PREFIX = "switchboard.outbox:";

export class OfflineOutbox {
  readonly owner = randomId();
  private readonly held = new Map<string, Held>();
  private bytes = 0;
  private store: Promise<OutboxStore>;
  private persistent = false;
  private readonly locks: Locks | undefined;
  private readonly stop = new AbortController();
  private releaseOwn: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly settings: OfflineOutboxSettings,
    private readonly hooks: OfflineOutboxHooks,
  ) {
    const g = globalThis as { navigator?: { locks?: Locks | null } };
    this.locks = g.navigator?.locks ?? undefined;
    const idb = settings.storage === "auto" && hasIndexedDb();
    this.store = idb
      ? openIdbStore().catch((err: unknown) => this.fallBack(err))
      : Promise.resolve(memoryStore());
    this.persistent = idb;
  }

  get state(): OutboxState {
    return { queued: this.held.size, bytes: this.bytes, persistent: this.persistent };
  }

  /** Whether entries can outlive the page, i.e. there may be some to adopt. */
  get restores(): boolean {
    return this.persistent;
  }

  /**
   * Takes an entry, or refuses it (OUTBOX_FULL) when the caps are reached. Adopted entries are
   * never refused: they were accepted once already.
   */
  hold(
    channel: string,
    key: string,
    data: Json,
    time: number,
    adoptedId?: number,
  ): SwitchboardError | undefined {
    const slot = slotOf(channel, key);
    if (this.held.has(slot)) return undefined;
    const json = toJson(data);
    // Not JSON (function, BigInt, cycle): not kept; the send refuses it with INVALID_ARGUMENT.
    if (json === undefined) return undefined;
    const bytes = utf8Length(json) + utf8Length(channel) + utf8Length(key);
    if (adoptedId === undefined) {
      const { maxEntries, maxBytes } = this.settings;
      if (this.held.size >= maxEntries || this.bytes + bytes > maxBytes)
        return new SwitchboardError(
          "OUTBOX_FULL",
          `the outbox is full (${this.held.size} of ${maxEntries} messages, ${this.bytes} + ${bytes} of ${maxBytes} bytes): wait until queued messages are sent`,
        );
    }
    const record: OutboxRecord = {
      group: this.settings.group,
      owner: this.owner,
      channel,
      key,
      data,
      time,
      bytes,
    };
    const id =
      adoptedId !== undefined
        ? Promise.resolve(adoptedId)
        : this.store.then((s) => s.add(record)).catch((err: unknown) => this.writeFailed(err));
    this.held.set(slot, { bytes, id });
    this.bytes += bytes;
    this.changed();
    return undefined;
  }

  /** The publish settled (either way): the entry leaves the outbox. */
  release(channel: string, key: string): void {
    const slot = slotOf(channel, key);
    const entry = this.held.get(slot);
    if (!entry) return;
    this.held.delete(slot);
    this.bytes -= entry.bytes;
    void Promise.all([entry.id, this.store]).then(([id, store]) => {
      if (id !== undefined) return store.remove(id).catch(() => undefined);
      return undefined;
    });
    this.changed();
  }

  /**
   * Takes this client's owner lock, then adopts the entries of every owner whose lock is free;
   * resolves after that first pass (so the app's new publishes queue behind the old ones). Owners
   * alive now are waited for: their entries are adopted when their tab goes away.
   */
  async start(): Promise<void> {
    const store = await this.store;
    if (!store.persistent || this.closed) return;
    const locks = this.locks;
    if (locks) {
      await new Promise<void>((granted) => {
        void locks
          .request(LOCK_PREFIX + this.owner, {}, () => {
            granted();
            return new Promise<void>((release) => {
              this.releaseOwn = release;
            });
          })
          .catch(() => granted());
      });
    }
    const owners = (await store.owners(this.settings.group).catch(() => [])).filter((o) => o !== this.owner);
    for (const owner of owners) {
      if (this.closed) return;
      // No Web Locks (insecure origin, old browser): adopt everything; the keys dedupe a double send.
      if (!locks) {
        await this.adopt(store, owner);
        continue;
      }
      const free = await locks
        .request(LOCK_PREFIX + owner, { ifAvailable: true }, async (lock) => {
          if (!lock) return false;
          await this.adopt(store, owner);
          return true;
        })
        .catch(() => true);
      if (!free)
        void locks
          .request(LOCK_PREFIX + owner, { signal: this.stop.signal }, () => this.adopt(store, owner))
          .catch(() => undefined);
    }
  }

  close(): void {
    this.closed = true;
    this.stop.abort();
    this.releaseOwn?.();
    this.held.clear();
    this.bytes = 0;
  }

  private async adopt(store: OutboxStore, owner: string): Promise<void> {
    if (this.closed) return;
    const rows = await store.adopt(owner, this.owner).catch(() => []);
    const mine = rows.filter((r) => r.group === this.settings.group);
    if (mine.length > 0 && !this.closed) this.hooks.adopted(mine);
  }

  private fallBack(err: unknown): OutboxStore {
    this.persistent = false;
    this.hooks.error(
      new SwitchboardError(
        "STORAGE_UNAVAILABLE",
        `IndexedDB cannot be opened (${describe(err)}): queued messages are kept in memory only`,
      ),
    );
    this.changed();
    return memoryStore();
  }

  private writeFailed(err: unknown): undefined {
    this.hooks.error(
      new SwitchboardError(
        "STORAGE_UNAVAILABLE",
        `a queued message could not be stored (${describe(err)}): it is kept in memory only and lost on reload`,
      ),
    );
    return undefined;
  }

  private changed(): void {
    this.hooks.changed(this.state);
  }
}

function toJson(data: Json): string | undefined {
  try {
    return JSON.stringify(data) as string | undefined;
  } catch {
    return undefined;
  }
}

function slotOf(channel: string, key: string): string {
  return `${channel}\n${key}`;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  return c?.randomUUID ? c.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
