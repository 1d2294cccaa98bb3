/**
 * Where the offline outbox keeps its entries: IndexedDB in a browser (idb-store.ts), memory
 * elsewhere. The store is shared by every client of the origin; `owner` says which client is
 * sending an entry, `group` which hub it is for.
 */
import type { Json } from "@switchboard/protocol";

export interface OutboxRecord {
  /** Assigned by the store, increasing: the order the entries were made in. */
  id?: number;
  group: string;
  owner: string;
  channel: string;
  /** The idempotency key made at publish time; every retry reuses it. */
  key: string;
  data: Json;
  time: number;
  bytes: number;
}

export interface OutboxStore {
  /** True when entries outlive the page (IndexedDB). */
  readonly persistent: boolean;
  add(record: OutboxRecord): Promise<number>;
  remove(id: number): Promise<void>;
  /** Owners that have entries for `group`. */
  owners(group: string): Promise<string[]>;
  /** Moves every entry of `from` to `to` in one transaction; the moved entries, oldest first. */
  adopt(from: string, to: string): Promise<OutboxRecord[]>;
  close(): void;
}

export function memoryStore(): OutboxStore {
  const rows = new Map<number, OutboxRecord>();
  let next = 0;
  return {
    persistent: false,
    add: async (record) => {
      const id = ++next;
      rows.set(id, { ...record, id });
      return id;
    },
    remove: async (id) => {
      rows.delete(id);
    },
    owners: async (group) => [
      ...new Set([...rows.values()].filter((r) => r.group === group).map((r) => r.owner)),
    ],
    adopt: async (from, to) => {
      const moved = [...rows.values()].filter((r) => r.owner === from);
      for (const r of moved) r.owner = to;
      return moved.map((r) => ({ ...r }));
    },
    close: () => rows.clear(),
  };
}
