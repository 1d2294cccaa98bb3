/** The outbox store in IndexedDB (one database per origin, shared by its tabs). */
import { type DBSchema, openDB } from "idb";
import type { OutboxRecord, OutboxStore } from "./outbox-store.js";

interface OutboxSchema extends DBSchema {
  entries: { key: number; value: OutboxRecord; indexes: { owner: string; group: string } };
}

export const OUTBOX_DATABASE = "switchboard-outbox";

export async function openIdbStore(): Promise<OutboxStore> {
  const db = await openDB<OutboxSchema>(OUTBOX_DATABASE, 1, {
    upgrade(database) {
      const store = database.createObjectStore("entries", { keyPath: "id", autoIncrement: true });
      store.createIndex("owner", "owner");
      store.createIndex("group", "group");
    },
  });
  return {
    persistent: true,
    add: (record) => db.add("entries", record),
    remove: (id) => db.delete("entries", id),
    owners: async (group) => {
      const rows = await db.getAllFromIndex("entries", "group", group);
      return [...new Set(rows.map((r) => r.owner))];
    },
    adopt: async (from, to) => {
      const tx = db.transaction("entries", "readwrite");
      const rows = await tx.store.index("owner").getAll(from);
      for (const row of rows) void tx.store.put({ ...row, owner: to });
      await tx.done;
      return rows.map((r) => ({ ...r, owner: to })).sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    },
    close: () => db.close(),
  };
}

/** IndexedDB exists here (a browser page or worker; not Node). */
export function hasIndexedDb(): boolean {
  return typeof (globalThis as { indexedDB?: unknown }).indexedDB === "object";
}
