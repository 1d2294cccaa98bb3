/**
 * The Redis broker over a real Redis Cluster that this file starts (3 masters + 3 replicas on free
 * ports): the broker contract, channels spread over the masters, and a master SIGKILLed under
 * load — after the failover publishes resume, and every channel of the lost master has a new
 * epoch (its replica may lack acknowledged writes), while the other masters' channels keep theirs.
 */
import { randomBytes } from "node:crypto";
import { waitFor as waitUntil } from "@switchboard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerEvent } from "../src/brokers/broker.js";
import { RedisBroker } from "../src/brokers/redis/redis-broker.js";
import { brokerContract } from "./broker-contract.js";
import { HISTORY, request } from "./engine-failure-contract.js";
import { EngineProcess, REDIS_SERVER, requireService } from "./engine-servers.js";
import { RedisClusterProcess } from "./redis-cluster-servers.js";

const available = requireService(EngineProcess.available(REDIS_SERVER), `the ${REDIS_SERVER} binary`);
let cluster: RedisClusterProcess;

const PREFIX = `sbt-rc-${randomBytes(3).toString("hex")}`;

if (available) {
  beforeAll(async () => {
    cluster = await RedisClusterProcess.start();
  }, 60_000);
  afterAll(() => cluster?.dispose());
  let fixtures = 0;
  brokerContract("redis-cluster", async () => {
    const prefix = `${PREFIX}-${++fixtures}`;
    return {
      broker: new RedisBroker({ url: cluster.url, prefix }),
      restart: async () => new RedisBroker({ url: cluster.url, prefix }),
      peer: async () => new RedisBroker({ url: cluster.url, prefix }),
      countState: () => cluster.countKeys(prefix),
      cleanup: async () => {},
    };
  });

  describe("RedisBroker on a Redis Cluster", () => {
    it("spreads channels over the masters", async () => {
      const prefix = `${PREFIX}-spread`;
      const broker = new RedisBroker({ url: cluster.url, prefix });
      await broker.start(() => {});
      try {
        const masters = new Set<number>();
        for (let i = 0; i < 24; i++) {
          const ch = `spread:${i}`;
          await broker.append(request(ch, i));
          masters.add(await cluster.masterOf(`${prefix}:{${ch}}:meta`));
        }
        expect(masters.size).toBe(3);
      } finally {
        await broker.close();
      }
    });

    it("resumes publishing after a master is killed, under a new epoch for that master's channels", async () => {
      const prefix = `${PREFIX}-failover`;
      const events: BrokerEvent[] = [];
      const pub = new RedisBroker({ url: cluster.url, prefix });
      const sub = new RedisBroker({ url: cluster.url, prefix });
      await Promise.all([pub.start(() => {}), sub.start((e) => events.push(e))]);
      try {
        // One channel per master.
        const byMaster = new Map<number, string>();
        for (let i = 0; byMaster.size < 3; i++) {
          const ch = `fo:${i}`;
          const port = await cluster.masterOf(`${prefix}:{${ch}}:meta`);
          if (!byMaster.has(port)) byMaster.set(port, ch);
        }
        const channels = [...byMaster.values()];
        for (const ch of channels) await sub.subscribe(ch);
        const acked = new Map<string, { epoch: string; offset: number }[]>(channels.map((c) => [c, []]));
        let stop = false;
        let failures = 0;
        const load = channels.map(async (ch) => {
          for (let i = 0; !stop; i++) {
            try {
              acked.get(ch)!.push(await pub.append(request(ch, i, { key: `k${i}` })));
            } catch {
              failures++;
              i--; // retry under the same key, as a client would
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
        });
        await waitUntil("20 appends on every channel", () =>
          channels.every((c) => acked.get(c)!.length >= 20),
        );
        const [victimPort, victim] = [...byMaster.entries()][0]!;
        const before = acked.get(victim)!.at(-1)!;
        const countAtKill = acked.get(victim)!.length;
        await cluster.kill(victimPort);
        await waitUntil(
          "appends on the lost master's channel to resume",
          () => acked.get(victim)!.length >= countAtKill + 20,
          40_000,
        );
        // The subscriber's live stream of the lost master's channel comes back in the new epoch
        // (load still running: a node that only subscribes finds the new master by polling the
        // slot map, so it may resubscribe after the first appends of the new epoch).
        const newEpoch = acked.get(victim)!.at(-1)!.epoch;
        await waitUntil(
          "live events in the new epoch",
          () => events.some((e) => e.type === "pub" && e.channel === victim && e.epoch === newEpoch),
          20_000,
        );
        stop = true;
        await Promise.all(load);
        console.info(`failover: ${failures} appends rejected (then retried under their key)`);

        const after = acked.get(victim)!.at(-1)!;
        expect(after.epoch).not.toBe(before.epoch);
        const old = await pub.history({ channel: victim, since: before, limit: 10, history: HISTORY });
        expect(old.complete).toBe(false);
        for (const ch of channels.slice(1)) {
          expect(new Set(acked.get(ch)!.map((a) => a.epoch)).size).toBe(1);
        }
        // Per channel and epoch, offsets were acknowledged once each, increasing.
        for (const ch of channels) {
          const seen = new Set<string>();
          for (const a of acked.get(ch)!) {
            expect(seen.has(`${a.epoch}:${a.offset}`)).toBe(false);
            seen.add(`${a.epoch}:${a.offset}`);
          }
        }
        await waitUntil("a resync after the failover", () => events.some((e) => e.type === "resync"));
      } finally {
        await Promise.all([pub.close(), sub.close()]);
      }
    }, 60_000);
  });
}
