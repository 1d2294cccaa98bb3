/**
 * What every distributed broker must do when its engine fails, written once and run against
 * Redis and NATS (like broker-contract.ts, but with a test-owned engine process to kill, freeze
 * and restart): fail fast while down, resync and resume live events after, time a frozen engine
 * out and let a retry under the same key resolve the doubt, refuse to start quickly.
 */

import type { Json } from "@switchboard/protocol";
import { waitFor } from "@switchboard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AppendRequest,
  type Broker,
  type BrokerEvent,
  BrokerUnavailableError,
  type HistoryPolicy,
} from "../src/brokers/broker.js";
import type { EngineProcess } from "./engine-servers.js";

export const HISTORY: HistoryPolicy = { size: 100, ttlSeconds: 300 };

export function request(channel: string, data: Json, extra: Partial<AppendRequest> = {}): AppendRequest {
  return { channel, data, history: HISTORY, dedupeSeconds: 300, ...extra };
}

export interface EngineFailureFixture {
  /** A fresh engine process on a free port (not started). */
  engine(): Promise<EngineProcess>;
  /** A broker on that engine; `connectTimeoutMs` only for the refuse-to-start case. */
  broker(url: string, options?: { connectTimeoutMs?: number }): Broker;
  /** Whether a restarted engine still has its data (NATS with its store) or comes back empty (Redis). */
  keepsData: boolean;
}

/** Waits while the engine is down: ~2 s in all, like a real restart. */
const DOWN_MS = 2000;

export async function expectFastUnavailable(operation: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await expect(operation()).rejects.toBeInstanceOf(BrokerUnavailableError);
  expect(performance.now() - started).toBeLessThan(2000);
}

/** Kills the engine, checks every operation fails fast, restarts it and waits until ready. */
export async function outage(
  server: EngineProcess,
  broker: Broker,
  channel: string,
  wipe?: () => Promise<void>,
) {
  const killedAt = Date.now();
  await server.kill();
  await wipe?.();
  await waitFor("ready() to turn false", async () => !(await broker.ready()));
  for (let i = 0; i < 3; i++)
    await expectFastUnavailable(() => broker.append(request(channel, `during ${i}`, { key: `k${i}` })));
  await expectFastUnavailable(() => broker.position(channel));
  await expectFastUnavailable(() => broker.history({ channel, limit: 10, history: HISTORY }));
  await expectFastUnavailable(() => broker.subscribe("outage:other"));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, DOWN_MS - (Date.now() - killedAt))));
  await server.start();
  await waitFor("ready() to turn true", () => broker.ready());
}

export function engineFailureContract(name: string, fixture: EngineFailureFixture): void {
  describe(`${name} broker against an engine the test kills`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function setup() {
      const server = await fixture.engine();
      cleanups.push(() => server.dispose());
      await server.start();
      const events: BrokerEvent[] = [];
      const broker = fixture.broker(server.url);
      cleanups.push(() => broker.close());
      await broker.start((event) => events.push(event));
      return { server, broker, events };
    }

    it("fails fast while the engine is down, then resyncs and resumes live events", async () => {
      const { server, broker, events } = await setup();
      const ch = "outage:chat";
      await broker.subscribe(ch);
      const first = await broker.append(request(ch, "before", { key: "k-before" }));
      await waitFor("the first live event", () => events.some((e) => e.type === "pub"));
      await outage(server, broker, ch);
      await waitFor("a resync event", () => events.some((e) => e.type === "resync"));
      const after = await broker.append(request(ch, "after"));
      if (fixture.keepsData) {
        // The engine kept its store: same epoch, offsets continue, the key is still remembered.
        expect(after).toEqual({ epoch: first.epoch, offset: 2, duplicate: false });
        expect(await broker.append(request(ch, "again", { key: "k-before" }))).toEqual({
          ...first,
          duplicate: true,
        });
      } else {
        // The engine came back empty: history is lost, so is the epoch (clients get recovered: false).
        expect(after.epoch).not.toBe(first.epoch);
        expect(after.offset).toBe(1);
      }
      // The live subscription came back by itself.
      await waitFor("the live event after restart", () =>
        events.some((e) => e.type === "pub" && e.epoch === after.epoch && e.publication.data === "after"),
      );
    });

    it("times a frozen engine out, and a retry with the same key resolves the doubt", async () => {
      const { server, broker } = await setup();
      const ch = "hung:chat";
      await broker.append(request(ch, "warm-up"));
      await server.signal("SIGSTOP");
      try {
        await expectFastUnavailable(() => broker.append(request(ch, "maybe", { key: "k-hung" })));
      } finally {
        await server.signal("SIGCONT");
      }
      await waitFor("ready() after SIGCONT", () => broker.ready());
      // The engine did store the timed-out publish once it woke up: the retry must not append it again.
      const retry = await broker.append(request(ch, "maybe", { key: "k-hung" }));
      expect(retry).toMatchObject({ offset: 2, duplicate: true });
      expect((await broker.position(ch)).offset).toBe(2);
    });

    it("refuses to start, quickly, when the engine is not there", async () => {
      const server = await fixture.engine(); // never started: nothing listens on its port
      cleanups.push(() => server.dispose());
      const broker = fixture.broker(server.url, { connectTimeoutMs: 1000 });
      const started = performance.now();
      await expect(broker.start(() => {})).rejects.toBeInstanceOf(BrokerUnavailableError);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(await broker.ready()).toBe(false);
      await broker.close();
    });
  });
}
