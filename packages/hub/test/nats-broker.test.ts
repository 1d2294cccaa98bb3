import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { waitFor } from "@switchboard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { BrokerEvent, HistoryPolicy } from "../src/brokers/broker.js";
import { NatsBroker } from "../src/brokers/nats/nats-broker.js";
import { NatsNames } from "../src/brokers/nats/nats-layout.js";
import { brokerContract } from "./broker-contract.js";
import { dropPrefix } from "./drop-prefix.js";
import { engineFailureContract, HISTORY, outage, request } from "./engine-failure-contract.js";
import { EngineProcess, NATS_SERVER, reachable, requireService } from "./engine-servers.js";

const SHARED_URL = "nats://127.0.0.1:4222";
const FILE_PREFIX = `sbt_nats_${randomBytes(4).toString("hex")}`;

const sharedUp = requireService(await reachable(4222), `NATS at ${SHARED_URL}`);

if (sharedUp) {
  let fixtures = 0;
  brokerContract("nats", async () => {
    const prefix = `${FILE_PREFIX}_${++fixtures}`;
    return {
      broker: new NatsBroker({ servers: SHARED_URL, prefix }),
      restart: async () => new NatsBroker({ servers: SHARED_URL, prefix }),
      peer: async () => new NatsBroker({ servers: SHARED_URL, prefix }),
      countState: () => natsMessages(prefix),
      cleanup: () => dropPrefix(SHARED_URL, prefix),
    };
  });

  describe("NatsBroker on the shared NATS", () => {
    const started: NatsBroker[] = [];
    const prefix = `${FILE_PREFIX}_own`;
    afterEach(async () => {
      for (const b of started.splice(0)) await b.close();
      await dropPrefix(SHARED_URL, prefix);
    });
    async function node(events: BrokerEvent[] = []): Promise<NatsBroker> {
      const broker = new NatsBroker({ servers: SHARED_URL, prefix });
      started.push(broker);
      await broker.start((e) => events.push(e));
      return broker;
    }

    it("announces a publication again when its key is retried (the first node may have died before its fan-out)", async () => {
      const eventsB: BrokerEvent[] = [];
      const [a, b] = [await node(), await node(eventsB)];
      const ch = "retry:chat";
      const first = await a.append(request(ch, "once", { key: "k-retry" }));
      // B was not listening when A appended: it missed the live event, as if A had died before it.
      await b.subscribe(ch);
      const retry = await b.append(request(ch, "once", { key: "k-retry" }));
      expect(retry).toEqual({ ...first, duplicate: true });
      await waitFor("the re-announced live event on node B", () =>
        eventsB.some((e) => e.type === "pub" && e.publication.offset === first.offset),
      );
      const event = eventsB.find((e) => e.type === "pub");
      expect(event).toMatchObject({
        epoch: first.epoch,
        publication: { offset: first.offset, data: "once", key: "k-retry" },
      });
    });

    it("keeps offsets contiguous when two nodes append to one channel at once", async () => {
      const eventsB: BrokerEvent[] = [];
      const [a, b] = [await node(), await node(eventsB)];
      const ch = "race:chat.room/1";
      await b.subscribe(ch);
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).append(request(ch, { i }, { key: `k${i}` }))),
      );
      const offsets = results.map((r) => r.offset).sort((x, y) => x - y);
      expect(offsets).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      expect(new Set(results.map((r) => r.epoch)).size).toBe(1);
      expect(await a.position(ch)).toEqual(await b.position(ch));
      // Node B hears node A's appends too (possibly out of order across nodes: the hub reorders).
      await waitFor("60 live events on node B", () => eventsB.filter((e) => e.type === "pub").length >= 60);
      const h = await a.history({
        channel: ch,
        since: { epoch: results[0]!.epoch, offset: 0 },
        limit: 100,
        history: HISTORY,
      });
      expect(h.complete).toBe(true);
      expect(h.publications.map((p) => p.offset)).toEqual(offsets);
    });

    it("answers a retry with the original offset after trimming removed the original", async () => {
      const broker = await node();
      const small: HistoryPolicy = { size: 3, ttlSeconds: 300 };
      const ch = "trimmed:dedupe";
      const first = await broker.append(request(ch, "first", { key: "k-first", history: small }));
      for (let i = 0; i < 20; i++) await broker.append(request(ch, i, { history: small }));
      // The engine itself (not just the read window) dropped the original.
      const subject = new NatsNames(prefix).history(ch);
      await waitFor("the stream to be purged down to the size", async () => {
        const nc = await connect({ servers: SHARED_URL });
        try {
          const info = await (await jetstreamManager(nc)).streams.info(`${prefix}_history`, {
            subjects_filter: subject,
          });
          return (info.state.subjects?.[subject] ?? 0) <= small.size;
        } finally {
          await nc.close();
        }
      });
      expect(await broker.append(request(ch, "retry", { key: "k-first", history: small }))).toEqual({
        ...first,
        duplicate: true,
      });
    });

    it("reads long continuations through a consumer and short ones by walking back", async () => {
      const broker = await node();
      const ch = "long:history";
      const big: HistoryPolicy = { size: 1000, ttlSeconds: 300 };
      const read = (offset: number, limit: number) =>
        broker.history({ channel: ch, since: { epoch, offset }, limit, history: big });
      // 600 > one 512-message pull: the consumer read has to page.
      const results = await Promise.all(
        Array.from({ length: 600 }, (_, i) => broker.append(request(ch, i + 1, { history: big }))),
      );
      const epoch = results[0]!.epoch;
      const all = await read(0, 1000);
      expect(all.complete).toBe(true);
      expect(all.publications.map((p) => p.data)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
      expect((await read(10, 5)).publications.map((p) => p.offset)).toEqual([11, 12, 13, 14, 15]);
      expect((await read(597, 100)).publications.map((p) => p.offset)).toEqual([598, 599, 600]);
    });

    it("rejects a prefix that cannot be a subject token", () => {
      expect(() => new NatsBroker({ servers: SHARED_URL, prefix: "a.b" })).toThrow(/prefix/);
    });
  });
}

const ownServer = requireService(EngineProcess.available(NATS_SERVER), `the ${NATS_SERVER} binary`);

if (ownServer) {
  engineFailureContract("nats", {
    engine: () => EngineProcess.nats(),
    broker: (servers, options) =>
      new NatsBroker({ servers, prefix: "sbt", requestTimeoutMs: 1000, ...options }),
    keepsData: true, // nats-server -js keeps its file store across a restart
  });

  describe("NatsBroker when NATS comes back without its data", () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it("starts a new epoch, and the old one is no longer recoverable", async () => {
      const server = await EngineProcess.nats();
      cleanups.push(() => server.dispose());
      await server.start();
      const events: BrokerEvent[] = [];
      const broker = new NatsBroker({ servers: server.url, prefix: "sbt" });
      cleanups.push(() => broker.close());
      await broker.start((event) => events.push(event));
      const ch = "wiped:chat";
      await broker.subscribe(ch);
      const first = await broker.append(request(ch, "before"));
      await outage(server, broker, ch, () => rm(server.dir, { recursive: true, force: true }));
      await waitFor("a resync event", () => events.some((e) => e.type === "resync"));
      const after = await broker.append(request(ch, "after"));
      expect(after.epoch).not.toBe(first.epoch);
      expect(after.offset).toBe(1);
      const old = await broker.history({
        channel: ch,
        since: { epoch: first.epoch, offset: 0 },
        limit: 10,
        history: HISTORY,
      });
      expect(old.complete).toBe(false);
      await waitFor("the live event after restart", () =>
        events.some((e) => e.type === "pub" && e.epoch === after.epoch),
      );
    });
  });
}

/** Messages in the prefix's history stream and buckets (what reads must not add to). */
async function natsMessages(prefix: string): Promise<number> {
  const nc = await connect({ servers: SHARED_URL });
  try {
    const jsm = await jetstreamManager(nc);
    let total = 0;
    for (const stream of [`${prefix}_history`, `KV_${prefix}_members`, `KV_${prefix}_dedupe`])
      total += (await jsm.streams.info(stream)).state.messages;
    return total;
  } finally {
    await nc.close();
  }
}
