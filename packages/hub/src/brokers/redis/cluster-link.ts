/**
 * A Redis Cluster: ioredis `Cluster` from seed nodes (it follows MOVED/ASK and refreshes the slot
 * map after a failover), live events over sharded pub/sub — SSUBSCRIBE on one subscriber per
 * master, SPUBLISH inside the append script — so a publication crosses only its channel's shard,
 * not the whole cluster bus. Every key of a channel shares the hash tag `{channel}`, so channels
 * spread over the masters by slot while each script stays in one slot.
 *
 * The store id lives in one key per hash slot (a script may only touch its own slot): the key's
 * hash tag is a short string chosen to land in that slot. All 16,384 are created at start, so
 * reads never create one.
 *
 * After a failover ioredis moves the slot's sharded subscriber to the new master and subscribes
 * again, then emits `subscribersReady`; its SSUBSCRIBEs are sent but not awaited there, so the
 * hub gets `resync` then and once more `resyncSettleMs` later (a publication that slipped between
 * the first re-check and the subscription is caught by the second).
 */
/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from "cluster-key-slot";
import { Cluster } from "ioredis";
import type { FanoutTransport } from "../shared/fanout.js";
import type { FanoutHooks, LinkOptions, RedisLink, ScriptClient } from "./redis-link.js";

const SLOTS = 16384;

let slotTags: string[] | undefined;

/** For every slot, a short hash tag that lands in it (computed once: ~170k CRCs, a few ms). */
function tagsBySlot(): string[] {
  if (slotTags) return slotTags;
  const tags: string[] = new Array(SLOTS);
  let missing = SLOTS;
  for (let i = 0; missing > 0; i++) {
    const tag = i.toString(36);
    const slot = calculateSlot(tag);
    if (tags[slot] === undefined) {
      tags[slot] = tag;
      missing--;
    }
  }
  slotTags = tags;
  return tags;
}

export interface ClusterLinkOptions extends LinkOptions {
  /** Second resync after the sharded subscribers came back (see top). */
  resyncSettleMs: number;
}

/** `redis+cluster://h1:p1,h2:p2` → seed nodes. */
export function clusterSeeds(spec: string): { host: string; port: number }[] {
  const list = spec.replace(/^redis\+cluster:\/\//, "").replace(/\/.*$/, "");
  return list.split(",").map((hostPort) => {
    const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(hostPort.trim());
    if (!match) throw new Error(`redis+cluster: expected HOST:PORT, got "${hostPort}"`);
    return { host: match[1] ?? "", port: Number(match[2]) };
  });
}

export class ClusterLink implements RedisLink {
  readonly kind = "redis-cluster";
  readonly publishCommand = "SPUBLISH";
  readonly cmd: ScriptClient;
  readonly #cluster: Cluster;
  readonly #prefix: string;
  readonly #settleMs: number;
  #hooks: FanoutHooks | undefined;
  #connected = false;
  #settle: NodeJS.Timeout | undefined;

  constructor(seeds: { host: string; port: number }[], o: ClusterLinkOptions) {
    this.#prefix = o.prefix;
    this.#settleMs = o.resyncSettleMs;
    this.#cluster = new Cluster(seeds, {
      lazyConnect: true,
      shardedSubscribers: true,
      // Queue while the client reconnects or refreshes its slot map (a failover): the broker's
      // clusterDeadlineMs still fails a command that waits too long, so nothing queues unbounded.
      enableOfflineQueue: true,
      // Off on a cluster: auto-pipelined commands were seen to hang across a failover (see the
      // broker's clusterDeadlineMs), and each master gets only its share of the appends anyway.
      enableAutoPipelining: false,
      scaleReads: "master",
      clusterRetryStrategy: (times) => Math.min(times * o.reconnectStepMs, o.reconnectMaxDelayMs),
      retryDelayOnFailover: o.reconnectStepMs,
      retryDelayOnClusterDown: o.reconnectStepMs,
      retryDelayOnTryAgain: o.reconnectStepMs,
      slotsRefreshTimeout: o.connectTimeoutMs,
      redisOptions: {
        connectTimeout: o.connectTimeoutMs,
        commandTimeout: o.commandTimeoutMs,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        connectionName: `${o.prefix}-cmd`,
      },
    });
    this.cmd = this.#cluster as ScriptClient;
    this.#cluster.on("error", () => {});
    this.#cluster.on("smessage", (topic: string, text: string) => this.#hooks?.receive(topic, text));
    this.#cluster.on("subscribersReady", () => this.#resubscribed());
  }

  storeKey(metaKey: string): string {
    return this.#slotKey(calculateSlot(metaKey));
  }

  storeKeys(): string[] {
    return Array.from({ length: SLOTS }, (_, slot) => this.#slotKey(slot));
  }

  async connect(): Promise<void> {
    try {
      await this.#cluster.connect();
      this.#connected = true;
    } catch (error) {
      this.#cluster.disconnect();
      throw error;
    }
  }

  async ready(): Promise<boolean> {
    if (this.#cluster.status !== "ready") return false;
    try {
      const info = String(await this.#cluster.cluster("INFO"));
      return /^cluster_state:ok\b/m.test(info);
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#connected = false;
    clearTimeout(this.#settle);
    await this.#cluster.quit().catch(() => {});
    this.#cluster.disconnect();
  }

  transport(hooks: FanoutHooks): FanoutTransport {
    this.#hooks = hooks;
    return {
      listen: async (topic) => {
        await this.#cluster.ssubscribe(topic);
      },
      unlisten: async (topic) => {
        await this.#cluster.sunsubscribe(topic).catch(() => {});
      },
      send: async (topic, text) => {
        await this.#cluster.spublish(topic, text);
      },
    };
  }

  #slotKey(slot: number): string {
    return `${this.#prefix}:{${tagsBySlot()[slot]}}:store`;
  }

  #resubscribed(): void {
    // The first one belongs to start(): nothing was subscribed yet, nothing to re-check.
    if (!this.#connected || !this.#hooks) return;
    this.#hooks.resync();
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => this.#hooks?.resync(), this.#settleMs);
    this.#settle.unref();
  }
}
