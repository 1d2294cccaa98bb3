import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Json } from "@switchboard/protocol";
import { waitFor } from "@switchboard/testkit";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type AppendRequest, BrokerUnavailableError, type HistoryPolicy } from "../src/brokers/broker.js";
import { BrokerSpecError, createBroker } from "../src/brokers/create-broker.js";
import { SqliteBroker } from "../src/brokers/sqlite/sqlite-broker.js";
import { brokerContract } from "./broker-contract.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "../../..");
const HISTORY: HistoryPolicy = { size: 1_000_000, ttlSeconds: 3600 };

const folders: string[] = [];
async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "switchboard-sqlite-"));
  folders.push(folder);
  return folder;
}

function request(channel: string, data: Json, extra: Partial<AppendRequest> = {}): AppendRequest {
  return { channel, data, history: HISTORY, dedupeSeconds: 60, ...extra };
}

brokerContract("sqlite", async () => {
  const folder = await mkdtemp(join(tmpdir(), "switchboard-contract-"));
  const path = join(folder, "data", "switchboard.db");
  return {
    broker: new SqliteBroker({ path }),
    restart: async () => new SqliteBroker({ path }),
    countState: async () => {
      const db = new Database(path, { readonly: true });
      try {
        const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
        return count("store") + count("channels") + count("publications") + count("idempotency");
      } finally {
        db.close();
      }
    },
    cleanup: () => rm(folder, { recursive: true, force: true }),
  };
});

describe("SqliteBroker specifics", () => {
  const open: SqliteBroker[] = [];
  async function started(options: ConstructorParameters<typeof SqliteBroker>[0]): Promise<SqliteBroker> {
    const broker = new SqliteBroker(options);
    open.push(broker);
    await broker.start(() => {});
    return broker;
  }
  afterEach(async () => {
    for (const broker of open.splice(0)) await broker.close();
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });

  it("deletes an idle channel once its history and idle lifetime passed, and never repeats its epoch", async () => {
    const path = join(await tempFolder(), "idle.db");
    const broker = await started({ path, idleSeconds: 1, sweepIntervalMs: 50 });
    const short: HistoryPolicy = { size: 10, ttlSeconds: 1 };
    const first = await broker.append(request("idle", "a", { history: short, key: "k-idle" }));
    await broker.append(request("kept", "b")); // history without expiry within the test: kept
    const rows = () => {
      const raw = new Database(path, { readonly: true });
      try {
        return raw.prepare("SELECT channel FROM channels ORDER BY channel").pluck().all();
      } finally {
        raw.close();
      }
    };
    expect(rows()).toEqual(["idle", "kept"]);
    await waitFor("the idle channel to be deleted", () => rows().length === 1, 10_000);
    expect(rows()).toEqual(["kept"]);
    // The genesis period moved on: the channel's old position can never match its next history.
    const again = await broker.position("idle");
    expect(again).toMatchObject({ offset: 0 });
    expect(again.epoch).not.toBe(first.epoch);
    expect(await broker.append(request("idle", "c", { history: short, key: "k-idle" }))).toEqual({
      epoch: again.epoch,
      offset: 1,
      duplicate: false,
    });
  });

  it("opens a schema-1 file: keeps its channels and epochs", async () => {
    const path = join(await tempFolder(), "v1.db");
    const raw = new Database(path);
    raw.exec(
      "CREATE TABLE channels (channel TEXT PRIMARY KEY, epoch TEXT NOT NULL, top INTEGER NOT NULL) WITHOUT ROWID;" +
        "INSERT INTO channels VALUES ('old', 'e-old', 0); PRAGMA user_version = 1;",
    );
    raw.close();
    const broker = await started({ path });
    expect(await broker.position("old")).toEqual({ epoch: "e-old", offset: 0 });
    expect(await broker.append(request("old", 1))).toEqual({ epoch: "e-old", offset: 1, duplicate: false });
  });

  it("creates its folder and runs in WAL mode", async () => {
    const path = join(await tempFolder(), "a", "b", "hub.db");
    const broker = await started({ path });
    expect(existsSync(path)).toBe(true);
    expect(broker.journalMode).toBe("wal");
    await broker.append(request("wal", 1));
    // WAL is a property of the file: any other connection sees it too.
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      raw.close();
    }
  });

  it.each(["sqlite", "memory"])("starts from the spec %s (memory is the old name)", async (spec) => {
    const dataDir = join(await tempFolder(), "data");
    const broker = await createBroker(spec, { dataDir });
    expect(broker).toBeInstanceOf(SqliteBroker);
    expect(broker.kind).toBe("sqlite");
    await broker.start(() => {});
    try {
      expect((await broker.append(request("spec", 1))).offset).toBe(1);
      expect(existsSync(join(dataDir, "switchboard.db"))).toBe(true);
    } finally {
      await broker.close();
    }
  });

  it("refuses an unknown spec naming what it expects", async () => {
    const failure = createBroker("sqlite3", { dataDir: await tempFolder() });
    await expect(failure).rejects.toBeInstanceOf(BrokerSpecError);
    await expect(failure).rejects.toThrow(/expected sqlite \(or memory\), redis/);
  });

  it("works in memory", async () => {
    const broker = await started({ path: ":memory:" });
    const r = await broker.append(request("mem", { a: 1 }));
    expect(r.offset).toBe(1);
    const h = await broker.history({ channel: "mem", limit: 5, history: HISTORY });
    expect(h.publications.map((p) => p.data)).toEqual([{ a: 1 }]);
  });

  it("fails start with BrokerUnavailableError when the file cannot be opened", async () => {
    const folder = await tempFolder();
    mkdirSync(join(folder, "is-a-folder"));
    const broker = new SqliteBroker({ path: join(folder, "is-a-folder") });
    await expect(broker.start(() => {})).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(await broker.ready()).toBe(false);
  });

  it("surfaces a full database as BrokerUnavailableError and keeps what was acknowledged", async () => {
    const broker = await started({ path: join(await tempFolder(), "full.db"), maxBytes: 256 * 1024 });
    const pad = "x".repeat(4000);
    let acknowledged = 0;
    let failure: unknown;
    for (let round = 0; round < 200 && failure === undefined; round++) {
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => broker.append(request("full", pad))));
      for (const r of results) {
        if (r.status === "fulfilled") acknowledged++;
        else failure = r.reason;
      }
    }
    expect(failure).toBeInstanceOf(BrokerUnavailableError);
    expect(String((failure as Error).message)).toMatch(/full/i);
    expect(await broker.ready()).toBe(true);
    // The failed batch was rolled back whole: the top is exactly the acknowledged count.
    const position = await broker.position("full");
    expect(position.offset).toBe(acknowledged);
    const h = await broker.history({
      channel: "full",
      since: { epoch: position.epoch, offset: 0 },
      limit: 1000,
      history: HISTORY,
    });
    expect(h.publications).toHaveLength(acknowledged);
  });

  it("keeps offsets contiguous and events ordered with batching off too", async () => {
    const events: number[] = [];
    const broker = new SqliteBroker({ path: ":memory:", batchAppends: false });
    open.push(broker);
    await broker.start((event) => {
      if (event.type === "pub") events.push(event.publication.offset);
    });
    await broker.subscribe("unbatched");
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => broker.append(request("unbatched", i))),
    );
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("sweeps expired idempotency records and keeps live ones", async () => {
    const path = join(await tempFolder(), "sweep.db");
    const broker = await started({ path, sweepIntervalMs: 50 });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        broker.append(request("sweep", i, { key: `short-${i}`, dedupeSeconds: 0.05 })),
      ),
    );
    await broker.append(request("sweep", "kept", { key: "long", dedupeSeconds: 60 }));
    const raw = new Database(path, { readonly: true });
    try {
      const count = raw.prepare<[], number>("SELECT count(*) FROM idempotency").pluck();
      expect(count.get()).toBe(21);
      await waitFor("the sweep to leave one idempotency record", () => count.get() === 1, {
        timeoutMs: 5_000,
        detail: () => `(still ${count.get()})`,
      });
    } finally {
      raw.close();
    }
    expect(await broker.append(request("sweep", "again", { key: "long", dedupeSeconds: 60 }))).toMatchObject({
      duplicate: true,
      offset: 21,
    });
  });

  it("rejects a non-JSON payload alone, without failing the rest of its batch", async () => {
    const broker = await started({ path: ":memory:" });
    const results = await Promise.allSettled([
      broker.append(request("json", 1)),
      broker.append(request("json", undefined as unknown as Json)),
      broker.append(request("json", 3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await broker.position("json")).offset).toBe(2);
  });

  it("loses no acknowledged append when the process is SIGKILLed mid-stream", async () => {
    const path = join(await tempFolder(), "kill.db");
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", join(here, "fixtures/sqlite-append-child.ts"), path],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    const acked = new Map<number, number>(); // offset → i
    let stderr = "";
    let buffered = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(
          () => reject(new Error(`child acked ${acked.size} appends; stderr: ${stderr}`)),
          20_000,
        );
        child.on("exit", () => {
          clearTimeout(deadline);
          reject(new Error(`child exited early; stderr: ${stderr}`));
        });
        child.stdout!.on("data", (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split("\n");
          buffered = lines.pop()!;
          for (const line of lines) {
            const [offset, i] = line.split(" ").map(Number);
            acked.set(offset!, i!);
          }
          if (acked.size >= 2000) {
            clearTimeout(deadline);
            child.kill("SIGKILL"); // while its 32 workers keep appending
            resolve();
          }
        });
      });
      expect(await exited).toBe("SIGKILL");
    } finally {
      child.kill("SIGKILL");
    }

    const broker = await started({ path });
    const position = await broker.position("kill");
    const maxAcked = Math.max(...acked.keys());
    expect(position.offset).toBeGreaterThanOrEqual(maxAcked);
    const h = await broker.history({
      channel: "kill",
      since: { epoch: position.epoch, offset: 0 },
      limit: 1_000_000,
      history: HISTORY,
    });
    expect(h.complete).toBe(true);
    // Contiguous 1..top: no offset was handed out without its row.
    expect(h.publications.map((p) => p.offset)).toEqual(
      Array.from({ length: position.offset }, (_, k) => k + 1),
    );
    for (const [offset, i] of acked) expect(h.publications[offset - 1]!.data).toMatchObject({ i });
    // The idempotency records survived with their publications.
    const [someOffset, someI] = [...acked][acked.size - 1]!;
    expect(await broker.append(request("kill", null, { key: `k${someI}`, dedupeSeconds: 3600 }))).toEqual({
      epoch: position.epoch,
      offset: someOffset,
      duplicate: true,
    });
  });
});
