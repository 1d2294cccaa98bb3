/**
 * The one contract every broker passes (docs/operations.md "Brokers: guarantees and costs"). Broker-agnostic: each test
 * uses its own random channel names and never assumes an empty engine, so Redis / NATS runs can
 * share a server with other runs. Time-based cases use 1 s TTLs and run concurrently.
 *
 *   brokerContract("sqlite", async () => ({ broker, restart, cleanup }));
 *
 * - `make()` returns a fresh broker that is NOT started: the suite calls `start` and `close`.
 * - `restart()` (optional) is called after the suite closed that fixture's broker; it returns a
 *   new, not started broker over the same storage, as a restarted process would build.
 * - `peer()` (optional) returns another node's broker over the same store, not started.
 * - `cleanup()` releases what `make` created (temp folder, key prefix) once its brokers are closed;
 *   the suite calls `make` a few times (shared broker, lifecycle, restart).
 */

import { randomBytes } from "node:crypto";
import type { ClientInfo, Json, Publication } from "@switchboard/protocol";
import { waitFor } from "@switchboard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppendRequest,
  type Broker,
  type BrokerEvent,
  BrokerUnavailableError,
  type HistoryPolicy,
} from "../src/brokers/broker.js";

export interface BrokerFixture {
  broker: Broker;
  restart?: () => Promise<Broker>;
  /**
   * Another node over the same store, not started (engines shared between hub nodes: Redis,
   * NATS). Absent for a single-node engine, whose presence lives in its one process.
   */
  peer?: () => Promise<Broker>;
  /** Rows / keys / messages the fixture's store holds now (for "reads leave no state"). */
  countState?: () => Promise<number>;
  cleanup: () => Promise<void>;
}

const HISTORY: HistoryPolicy = { size: 1000, ttlSeconds: 300 };
const DEDUPE = 300;

function channelName(label: string): string {
  return `contract:${label}-${randomBytes(6).toString("hex")}`;
}

function request(channel: string, data: Json, extra: Partial<AppendRequest> = {}): AppendRequest {
  return { channel, data, history: HISTORY, dedupeSeconds: DEDUPE, ...extra };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const offsets = (publications: Publication[]): number[] => publications.map((p) => p.offset);
const byClient = (a: ClientInfo, b: ClientInfo): number => a.client.localeCompare(b.client);

/** Every event the broker delivered, for tests to filter by their own channel. */
class EventLog {
  readonly all: BrokerEvent[] = [];
  readonly handler = (event: BrokerEvent): void => {
    this.all.push(event);
  };
  pubs(channel: string): Extract<BrokerEvent, { type: "pub" }>[] {
    return this.all.filter(
      (e): e is Extract<BrokerEvent, { type: "pub" }> => e.type === "pub" && e.channel === channel,
    );
  }
  presence(channel: string): BrokerEvent[] {
    return this.all.filter((e) => (e.type === "join" || e.type === "leave") && e.channel === channel);
  }
}

export function brokerContract(name: string, make: () => Promise<BrokerFixture>): void {
  describe(`broker contract: ${name}`, () => {
    let fixture: BrokerFixture;
    let broker: Broker;
    const events = new EventLog();

    beforeAll(async () => {
      fixture = await make();
      broker = fixture.broker;
      await broker.start(events.handler);
    });
    afterAll(async () => {
      await broker?.close();
      await fixture?.cleanup();
    });

    describe("append and position", () => {
      it("gives the first append offset 1 and keeps the epoch", async () => {
        const ch = channelName("first");
        const first = await broker.append(request(ch, { n: 1 }));
        expect(first).toEqual({ epoch: expect.any(String), offset: 1, duplicate: false });
        expect(first.epoch.length).toBeGreaterThan(0);
        const second = await broker.append(request(ch, { n: 2 }));
        expect(second).toEqual({ epoch: first.epoch, offset: 2, duplicate: false });
        expect(await broker.position(ch)).toEqual({ epoch: first.epoch, offset: 2 });
      });

      it("gives an untouched channel offset 0 and an epoch that later calls keep", async () => {
        const ch = channelName("untouched");
        const p1 = await broker.position(ch);
        expect(p1).toEqual({ epoch: expect.any(String), offset: 0 });
        expect(await broker.position(ch)).toEqual(p1);
        expect(await broker.append(request(ch, "x"))).toEqual({
          epoch: p1.epoch,
          offset: 1,
          duplicate: false,
        });

        const viaHistory = channelName("untouched-history");
        const h = await broker.history({ channel: viaHistory, limit: 10, history: HISTORY });
        expect(h).toEqual({ epoch: expect.any(String), offset: 0, publications: [], complete: true });
        expect(await broker.position(viaHistory)).toEqual({ epoch: h.epoch, offset: 0 });
      });

      it("assigns 1..200 to 200 concurrent appends and delivers every one live, in order", async () => {
        const ch = channelName("concurrent");
        await broker.subscribe(ch);
        const results = await Promise.all(range(1, 200).map((i) => broker.append(request(ch, { i }))));
        expect(results.map((r) => r.offset).sort((a, b) => a - b)).toEqual(range(1, 200));
        expect(new Set(results.map((r) => r.epoch)).size).toBe(1);
        expect(results.every((r) => !r.duplicate)).toBe(true);

        await waitFor("200 live events", () => events.pubs(ch).length >= 200);
        const live = events.pubs(ch);
        expect(live.map((e) => e.publication.offset)).toEqual(range(1, 200));
        expect(live.every((e) => e.epoch === results[0]!.epoch)).toBe(true);
        // Each live event carries the data of the append that got its offset.
        for (const [i, r] of results.entries())
          expect(live[r.offset - 1]!.publication.data).toEqual({ i: i + 1 });

        const history = await broker.history({
          channel: ch,
          since: { epoch: results[0]!.epoch, offset: 0 },
          limit: 500,
          history: HISTORY,
        });
        expect(history.complete).toBe(true);
        expect(offsets(history.publications)).toEqual(range(1, 200));
        await broker.unsubscribe(ch);
      });

      it("handles every channel-name character and the longest name", async () => {
        // Brokers map names onto keys / subjects: `.` `/` `#` `@` `=` `:` must neither break nor collide.
        const id = randomBytes(4).toString("hex");
        const odd = `ns.x:a.b/c@d#e=f-g_h.${id}`;
        const lookalike = `ns.x:a_b/c@d#e=f-g_h.${id}`;
        const longest = `long:${id}`.padEnd(255, "=");
        for (const ch of [odd, lookalike, longest]) await broker.subscribe(ch);
        for (const ch of [odd, lookalike, longest]) {
          expect(await broker.append(request(ch, ch))).toMatchObject({ offset: 1, duplicate: false });
        }
        await broker.presenceAdd(odd, { client: "c_odd" }, 30);
        for (const ch of [odd, lookalike, longest]) {
          await waitFor(`the live event on ${ch.slice(0, 40)}`, () => events.pubs(ch).length >= 1);
          expect(events.pubs(ch).map((e) => e.publication.data)).toEqual([ch]);
          const h = await broker.history({ channel: ch, limit: 10, history: HISTORY });
          expect(h.publications.map((p) => p.data)).toEqual([ch]);
          expect(await broker.presenceList(ch)).toEqual(ch === odd ? [{ client: "c_odd" }] : []);
          await broker.unsubscribe(ch);
        }
      });

      it("keeps channels independent", async () => {
        const a = channelName("indep-a");
        const b = channelName("indep-b");
        const results = await Promise.all(
          range(1, 20).flatMap((i) => [
            broker.append(request(a, { a: i })),
            broker.append(request(b, { b: i })),
          ]),
        );
        const offsetsOf = (odd: number) =>
          results
            .filter((_, i) => i % 2 === odd)
            .map((r) => r.offset)
            .sort((x, y) => x - y);
        expect(offsetsOf(0)).toEqual(range(1, 20));
        expect(offsetsOf(1)).toEqual(range(1, 20));
        expect((await broker.position(a)).offset).toBe(20);
        expect((await broker.position(b)).offset).toBe(20);
        const historyB = await broker.history({ channel: b, limit: 100, history: HISTORY });
        expect(
          historyB.publications.every((p) => typeof p.data === "object" && p.data !== null && "b" in p.data),
        ).toBe(true);
      });

      it("stores info, time and key with each publication, live and in history", async () => {
        const ch = channelName("fields");
        await broker.subscribe(ch);
        const info: ClientInfo = { client: "c_1", user: "u_1", name: "sender@1.0.0" };
        const before = Date.now();
        const r = await broker.append(request(ch, { text: "hi" }, { info, key: "k-fields" }));
        const after = Date.now();
        const keyless = await broker.append(request(ch, [1, "two", null]));
        const h = await broker.history({ channel: ch, limit: 10, history: HISTORY });
        expect(h.publications).toEqual([
          { offset: r.offset, data: { text: "hi" }, info, time: expect.any(Number), key: "k-fields" },
          { offset: keyless.offset, data: [1, "two", null], time: expect.any(Number) },
        ]);
        expect(h.publications[0]!.time).toBeGreaterThanOrEqual(before - 1000);
        expect(h.publications[0]!.time).toBeLessThanOrEqual(after + 1000);
        await waitFor("2 live events", () => events.pubs(ch).length >= 2);
        expect(events.pubs(ch).map((e) => e.publication)).toEqual(h.publications);
        await broker.unsubscribe(ch);
      });
    });

    describe("idempotency", () => {
      it("appends a repeated key once and returns the first result, flagged duplicate", async () => {
        const ch = channelName("idem");
        const first = await broker.append(request(ch, { v: 1 }, { key: "k1" }));
        const again = await broker.append(request(ch, { v: 2 }, { key: "k1" }));
        expect(first.duplicate).toBe(false);
        expect(again).toEqual({ epoch: first.epoch, offset: first.offset, duplicate: true });
        const other = await broker.append(request(ch, { v: 3 }, { key: "k2" }));
        expect(other.offset).toBe(first.offset + 1);
        const h = await broker.history({ channel: ch, limit: 10, history: HISTORY });
        expect(h.publications.map((p) => p.data)).toEqual([{ v: 1 }, { v: 3 }]);
      });

      it("appends once when the same key arrives concurrently", async () => {
        const ch = channelName("idem-concurrent");
        await broker.subscribe(ch);
        const results = await Promise.all(
          range(1, 10).map((i) => broker.append(request(ch, { i }, { key: "same" }))),
        );
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => `${r.epoch}/${r.offset}`)).size).toBe(1);
        expect((await broker.position(ch)).offset).toBe(1);
        // Barrier: an event for offset 2 arrives after any extra event for a duplicate.
        await broker.append(request(ch, "barrier"));
        await waitFor("barrier event", () => events.pubs(ch).some((e) => e.publication.offset === 2));
        // A duplicate may announce the first publication again (at least once: a broker whose fan-out
        // follows the append re-announces on retry), but never as anything new.
        const pubs = events.pubs(ch);
        expect([...new Set(pubs.map((e) => e.publication.offset))]).toEqual([1, 2]);
        const first = pubs.filter((e) => e.publication.offset === 1);
        for (const e of first) expect(e).toEqual(first[0]);
        await broker.unsubscribe(ch);
      });

      it("scopes keys to their channel", async () => {
        const a = await broker.append(request(channelName("key-a"), 1, { key: "shared" }));
        const b = await broker.append(request(channelName("key-b"), 2, { key: "shared" }));
        expect(a.duplicate).toBe(false);
        expect(b.duplicate).toBe(false);
      });
    });

    describe("history", () => {
      async function channelWith(count: number, history = HISTORY): Promise<{ ch: string; epoch: string }> {
        const ch = channelName("history");
        let epoch = "";
        for (let i = 1; i <= count; i++) epoch = (await broker.append(request(ch, { i }, { history }))).epoch;
        return { ch, epoch };
      }

      it("pages forward from since (since 3, limit 4 → 4..7)", async () => {
        const { ch, epoch } = await channelWith(10);
        const page = await broker.history({
          channel: ch,
          since: { epoch, offset: 3 },
          limit: 4,
          history: HISTORY,
        });
        expect(page).toMatchObject({ epoch, offset: 10, complete: true });
        expect(offsets(page.publications)).toEqual([4, 5, 6, 7]);
        expect(page.publications.map((p) => p.data)).toEqual([{ i: 4 }, { i: 5 }, { i: 6 }, { i: 7 }]);

        const rest = await broker.history({
          channel: ch,
          since: { epoch, offset: 7 },
          limit: 100,
          history: HISTORY,
        });
        expect(offsets(rest.publications)).toEqual([8, 9, 10]);
        expect(rest.complete).toBe(true);
        const whole = await broker.history({
          channel: ch,
          since: { epoch, offset: 0 },
          limit: 100,
          history: HISTORY,
        });
        expect(offsets(whole.publications)).toEqual(range(1, 10));
        const atTop = await broker.history({
          channel: ch,
          since: { epoch, offset: 10 },
          limit: 100,
          history: HISTORY,
        });
        expect(atTop).toEqual({ epoch, offset: 10, publications: [], complete: true });
      });

      it("returns the newest `limit`, oldest first, without since", async () => {
        const { ch, epoch } = await channelWith(10);
        const page = await broker.history({ channel: ch, limit: 3, history: HISTORY });
        expect(page).toMatchObject({ epoch, offset: 10, complete: true });
        expect(offsets(page.publications)).toEqual([8, 9, 10]);
      });

      it("trims to history.size and reports a too-old since as incomplete", async () => {
        const small: HistoryPolicy = { size: 5, ttlSeconds: 300 };
        const { ch, epoch } = await channelWith(12, small);
        const newest = await broker.history({ channel: ch, limit: 100, history: small });
        expect(offsets(newest.publications)).toEqual([8, 9, 10, 11, 12]);
        for (const offset of [0, 2, 6]) {
          const gone = await broker.history({
            channel: ch,
            since: { epoch, offset },
            limit: 100,
            history: small,
          });
          expect(gone).toEqual({ epoch, offset: 12, publications: [], complete: false });
        }
        const kept = await broker.history({
          channel: ch,
          since: { epoch, offset: 7 },
          limit: 100,
          history: small,
        });
        expect(kept.complete).toBe(true);
        expect(offsets(kept.publications)).toEqual([8, 9, 10, 11, 12]);
      });

      it("reports another epoch, or an offset beyond the top, as incomplete", async () => {
        const { ch, epoch } = await channelWith(3);
        const otherEpoch = await broker.history({
          channel: ch,
          since: { epoch: `${epoch}-old`, offset: 1 },
          limit: 10,
          history: HISTORY,
        });
        expect(otherEpoch).toEqual({ epoch, offset: 3, publications: [], complete: false });
        const future = await broker.history({
          channel: ch,
          since: { epoch, offset: 9 },
          limit: 10,
          history: HISTORY,
        });
        expect(future).toEqual({ epoch, offset: 3, publications: [], complete: false });
      });
    });

    describe("live events", () => {
      it("delivers only for subscribed channels and stops after unsubscribe", async () => {
        const ch = channelName("live");
        await broker.subscribe(ch);
        await broker.subscribe(ch); // idempotent
        await broker.append(request(ch, 1));
        await waitFor("event 1", () => events.pubs(ch).length >= 1);

        await broker.unsubscribe(ch);
        await broker.append(request(ch, 2));
        await broker.subscribe(ch);
        await broker.append(request(ch, 3));
        // Events of one channel arrive in offset order, so once 3 is here, 2 would have been too.
        await waitFor("event 3", () => events.pubs(ch).some((e) => e.publication.offset === 3));
        expect(events.pubs(ch).map((e) => e.publication.offset)).toEqual([1, 3]);
        await broker.unsubscribe(ch);

        const never = channelName("never-subscribed");
        await broker.append(request(never, "unseen"));
        await broker.subscribe(never);
        await broker.append(request(never, "seen"));
        await waitFor("event on the late-subscribed channel", () => events.pubs(never).length >= 1);
        expect(events.pubs(never).map((e) => e.publication.data)).toEqual(["seen"]);
        await broker.unsubscribe(never);
      });

      it("announces join and leave to subscribed channels only", async () => {
        const ch = channelName("announce");
        const info: ClientInfo = { client: "c_join", user: "u_join" };
        await broker.subscribe(ch);
        await broker.announce({ type: "join", channel: ch, info });
        await broker.announce({ type: "leave", channel: ch, info });
        await waitFor("join and leave", () => events.presence(ch).length >= 2);
        expect(events.presence(ch)).toEqual([
          { type: "join", channel: ch, info },
          { type: "leave", channel: ch, info },
        ]);
        await broker.unsubscribe(ch);

        const quiet = channelName("announce-quiet");
        await broker.announce({ type: "join", channel: quiet, info: { client: "c_unseen" } });
        await broker.subscribe(quiet);
        await broker.announce({ type: "join", channel: quiet, info: { client: "c_seen" } });
        await waitFor("join on the late-subscribed channel", () => events.presence(quiet).length >= 1);
        expect(events.presence(quiet)).toEqual([
          { type: "join", channel: quiet, info: { client: "c_seen" } },
        ]);
        await broker.unsubscribe(quiet);
      });
    });

    describe("presence", () => {
      it("adds, lists, counts, refreshes and removes clients", async () => {
        const ch = channelName("presence");
        expect(await broker.presenceList(ch)).toEqual([]);
        expect(await broker.presenceCount(ch)).toBe(0);
        const c1: ClientInfo = { client: "c_1", user: "u_1", name: "sender@1.0.0" };
        const c2: ClientInfo = { client: "c_2", user: "u_2" };
        await broker.presenceAdd(ch, c1, 30);
        await broker.presenceAdd(ch, c2, 30);
        await broker.presenceAdd(ch, c2, 30); // refresh, not a second entry
        expect((await broker.presenceList(ch)).sort(byClient)).toEqual([c1, c2]);
        expect(await broker.presenceCount(ch)).toBe(2);
        await broker.presenceRemove(ch, c1);
        await broker.presenceRemove(ch, c1); // already gone: nothing changes
        expect(await broker.presenceList(ch)).toEqual([c2]);
        expect(await broker.presenceCount(ch)).toBe(1);
        await broker.presenceRemove(ch, c2);
        expect(await broker.presenceList(ch)).toEqual([]);
        expect(await broker.presenceCount(ch)).toBe(0);
      });

      it("counts a large channel exactly", async () => {
        const ch = channelName("presence-large");
        const clients = range(1, 1500).map((i) => ({ client: `c_${i}`, user: `u_${i % 7}` }));
        for (let i = 0; i < clients.length; i += 250)
          await Promise.all(clients.slice(i, i + 250).map((c) => broker.presenceAdd(ch, c, 30)));
        expect(await broker.presenceCount(ch)).toBe(1500);
        expect((await broker.presenceList(ch)).length).toBe(1500);
        await Promise.all(clients.slice(0, 500).map((c) => broker.presenceRemove(ch, c)));
        expect(await broker.presenceCount(ch)).toBe(1000);
        await Promise.all(clients.slice(500).map((c) => broker.presenceRemove(ch, c)));
      });
    });

    // Each of these waits ~1 s for a TTL; running them side by side keeps the suite fast.
    describe.concurrent("expiry", () => {
      it("appends a key again once the dedupe window has passed", async ({ expect }) => {
        const ch = channelName("dedupe-window");
        const short = { key: "k-window", dedupeSeconds: 1 };
        const first = await broker.append(request(ch, "first", short));
        expect(await broker.append(request(ch, "retry", short))).toEqual({ ...first, duplicate: true });
        let later = first;
        await waitFor("the key to expire", async () => {
          later = await broker.append(request(ch, "later", short));
          return !later.duplicate;
        });
        expect(later).toEqual({ epoch: first.epoch, offset: first.offset + 1, duplicate: false });
      });

      it("drops publications older than history.ttlSeconds", async ({ expect }) => {
        const ch = channelName("history-ttl");
        const short: HistoryPolicy = { size: 100, ttlSeconds: 1 };
        let epoch = "";
        for (const i of [1, 2, 3]) epoch = (await broker.append(request(ch, i, { history: short }))).epoch;
        await waitFor("history to expire", async () => {
          const h = await broker.history({ channel: ch, limit: 10, history: short });
          return h.publications.length === 0;
        });
        const since = await broker.history({
          channel: ch,
          since: { epoch, offset: 0 },
          limit: 10,
          history: short,
        });
        expect(since).toEqual({ epoch, offset: 3, publications: [], complete: false });
        // Expiry is not a reset: same epoch, offsets continue.
        expect(await broker.append(request(ch, 4, { history: short }))).toEqual({
          epoch,
          offset: 4,
          duplicate: false,
        });
      });

      it("keeps a live node's entries past the ttl and drops a dead node's within it", async ({ expect }) => {
        // Its own node: the suite's shared broker must not lose its liveness.
        const own = await make();
        const node = own.broker;
        const peerFactory = own.peer;
        const reader = peerFactory ? await peerFactory() : node;
        try {
          await node.start(() => {});
          if (reader !== node) await reader.start(() => {});
          const ch = channelName("presence-node");
          const other = channelName("presence-node-other");
          const a: ClientInfo = { client: "c_a", user: "u_a" };
          const b: ClientInfo = { client: "c_b" };
          await node.presenceAdd(ch, a, 1);
          await node.presenceAdd(ch, b, 1);
          await node.presenceAdd(other, a, 1);
          // Alive: one renewal per interval (not one per entry) keeps every entry past its ttl.
          const started = Date.now();
          while (Date.now() - started < 2500) {
            expect(await node.presenceKeepAlive(1)).toBe(false);
            expect((await reader.presenceList(ch)).sort(byClient)).toEqual([a, b]);
            expect(await reader.presenceCount(ch)).toBe(2);
            await new Promise((r) => setTimeout(r, 300)); // the node's refresh interval (ttl / 3)
          }
          // Dead (no more renewals): every entry of the node goes within the ttl, on every channel.
          await waitFor("the dead node's entries to go", async () => (await reader.presenceCount(ch)) === 0);
          expect(await reader.presenceList(ch)).toEqual([]);
          expect(await reader.presenceList(other)).toEqual([]);
          // Back: the renewal says it had lapsed, so the hub adds its entries again.
          expect(await node.presenceKeepAlive(30)).toBe(true);
          await node.presenceAdd(ch, a, 30);
          expect(await reader.presenceList(ch)).toEqual([a]);
          if (reader !== node) {
            // A node that stops cleanly takes its entries with it at once, not after the ttl.
            await node.close();
            expect(await reader.presenceCount(ch)).toBe(0);
            expect(await reader.presenceList(ch)).toEqual([]);
          }
        } finally {
          await node.close().catch(() => {});
          if (reader !== node) await reader.close().catch(() => {});
          await own.cleanup();
        }
      }, 30_000);
    });

    describe("reads leave no state", () => {
      it("keeps the store's row / key count after 10,000 reads of random names", async ({ skip }) => {
        const own = await make();
        const b = own.broker;
        try {
          if (!own.countState) return skip("this fixture cannot count its store");
          await b.start(() => {});
          // A store id may be created once per store (a plain Redis: on first touch); not per read.
          await b.position(channelName("warm-up"));
          const before = await own.countState();
          const names = Array.from({ length: 10_000 }, (_, i) => channelName(`read-${i}`));
          for (let i = 0; i < names.length; i += 250) {
            await Promise.all(
              names.slice(i, i + 250).map(async (ch, j) => {
                if (j % 4 === 0) await b.position(ch);
                else if (j % 4 === 1) await b.history({ channel: ch, limit: 10, history: HISTORY });
                else if (j % 4 === 2)
                  await b.history({
                    channel: ch,
                    since: { epoch: "old", offset: 3 },
                    limit: 10,
                    history: HISTORY,
                  });
                else await (j % 8 === 3 ? b.presenceList(ch) : b.presenceCount(ch));
              }),
            );
          }
          for (const ch of names.slice(0, 100)) {
            await b.subscribe(ch);
            await b.unsubscribe(ch);
          }
          expect(await own.countState()).toBe(before);
        } finally {
          await b.close();
          await own.cleanup();
        }
      }, 120_000);

      it("keeps a never-published channel's epoch through its first publication", async () => {
        const ch = channelName("genesis");
        const early = await broker.position(ch);
        expect(early.offset).toBe(0);
        const fromNothing = await broker.history({ channel: ch, since: early, limit: 10, history: HISTORY });
        expect(fromNothing).toEqual({ ...early, publications: [], complete: true });
        const first = await broker.append(request(ch, "first"));
        expect(first).toEqual({ epoch: early.epoch, offset: 1, duplicate: false });
        // The subscriber's position from before the first publication still continues: recovered.
        const recovered = await broker.history({ channel: ch, since: early, limit: 10, history: HISTORY });
        expect(recovered.complete).toBe(true);
        expect(recovered.publications.map((p) => p.data)).toEqual(["first"]);
        // Distinct channels get distinct genesis epochs.
        expect((await broker.position(channelName("genesis-other"))).epoch).not.toBe(early.epoch);
      });
    });

    describe("lifecycle", () => {
      const fixtures: BrokerFixture[] = [];
      const brokers: Broker[] = [];
      function track(broker: Broker): Broker {
        brokers.push(broker);
        return broker;
      }
      afterAll(async () => {
        // Cleanup only: some of these were closed by the test already.
        for (const b of brokers) await b.close().catch(() => {});
        for (const f of fixtures) await f.cleanup();
      });

      it("is ready while open and refuses work with BrokerUnavailableError once closed", async () => {
        const own = await make();
        fixtures.push(own);
        const b = track(own.broker);
        await b.start(() => {});
        expect(await b.ready()).toBe(true);
        await b.close();
        expect(await b.ready()).toBe(false);
        await expect(b.append(request(channelName("closed"), 1))).rejects.toBeInstanceOf(
          BrokerUnavailableError,
        );
        await expect(
          b.history({ channel: channelName("closed"), limit: 1, history: HISTORY }),
        ).rejects.toBeInstanceOf(BrokerUnavailableError);
      });

      it("keeps epochs, offsets, history and idempotency across a restart", async ({ skip }) => {
        const own = await make();
        fixtures.push(own);
        const before = track(own.broker);
        if (!own.restart) return skip("this broker has no restart fixture");
        await before.start(() => {});
        const ch = channelName("restart");
        const untouched = channelName("restart-untouched");
        const first = await before.append(request(ch, { n: 1 }, { key: "k-restart" }));
        await before.append(request(ch, { n: 2 }));
        await before.append(request(ch, { n: 3 }));
        const emptyPosition = await before.position(untouched);
        await before.close();

        const after = track(await own.restart());
        const log = new EventLog();
        await after.start(log.handler);
        expect(await after.position(ch)).toEqual({ epoch: first.epoch, offset: 3 });
        expect(await after.position(untouched)).toEqual(emptyPosition);
        const h = await after.history({
          channel: ch,
          since: { epoch: first.epoch, offset: 0 },
          limit: 10,
          history: HISTORY,
        });
        expect(h.complete).toBe(true);
        expect(h.publications.map((p) => p.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
        expect(await after.append(request(ch, { n: "retry" }, { key: "k-restart" }))).toEqual({
          ...first,
          duplicate: true,
        });
        await after.subscribe(ch);
        expect(await after.append(request(ch, { n: 4 }))).toEqual({
          epoch: first.epoch,
          offset: 4,
          duplicate: false,
        });
        await waitFor("the live event after restart", () => log.pubs(ch).length >= 1);
        expect(log.pubs(ch).map((e) => e.publication.offset)).toEqual([4]);
      });
    });
  });
}
