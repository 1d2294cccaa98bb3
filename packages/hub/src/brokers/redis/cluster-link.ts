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
 *
 * A sharded subscriber that cannot reach its master (a master down with no replica to promote)
 * must not be retried in a tight loop. ioredis backs off such a failed connect (100 ms doubling
 * to 2 s, ±25 % jitter, then a slot-map refresh that makes a new subscriber), but the failed
 * subscriber's `end` also asks for an immediate refresh, which recreates it at once: ~40 connect
 * attempts a second per hub to the dead port; and each failed connect schedules its own delayed
 * refresh, so those pile up too. `#tameSubscriberRetries` backs the reconnects off and polls the
 * slot map instead, so a promoted replica is still picked up at once.
 */
/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from "cluster-key-slot";
import { Cluster } from "ioredis";
import type { FanoutTransport } from "../shared/fanout.js";
import type { FanoutHooks, LinkOptions, RedisLink, ScriptClient } from "./redis-link.js";

const SLOTS = 16384;
/** A sharded subscriber's reconnects to a node (see `#tameSubscriberRetries`). */
const RETRY_STREAK_MS = 10_000;
const RETRY_DELAY_MIN_MS = 100;
const RETRY_DELAY_MAX_MS = 2000;
const RETRY_POLL_MS = 500;

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
  #retryPoll: NodeJS.Timeout | undefined;

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
    this.#tameSubscriberRetries();
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
    clearInterval(this.#retryPoll);
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

  /**
   * Takes over ioredis's reactions to a sharded subscriber that ended or failed to connect (each
   * refreshed the slot map, and every refresh recreated a subscriber that is down and connected
   * it at once, so a dead master got a connect per refresh, and the refreshes per failure added
   * up into parallel retry loops):
   * - the first end of a subscriber (a master lost) refreshes at once, as before;
   * - a refresh recreates a subscriber that is down only once its backoff is over: 100 ms after
   *   the second end, doubling up to `RETRY_DELAY_MAX_MS`, ±25 % jitter, while the ends come
   *   within `RETRY_STREAK_MS` of each other; a refresh that finds a new master for the slots
   *   (a replica promoted) still creates that master's subscriber at once;
   * - while a subscriber is down, the slot map is refreshed every `RETRY_POLL_MS` (one CLUSTER
   *   SLOTS to a node), so a promotion is seen without waiting for the backoff.
   * Reaches into ioredis 6 internals (the group and its emitter); on another shape nothing is
   * changed.
   */
  #tameSubscriberRetries(): void {
    const internals = this.#cluster as unknown as {
      subscriberGroupEmitter?: NodeJS.EventEmitter;
      shardedSubscribers?: { hasUnhealthySubscribers?: () => boolean };
    };
    const emitter = internals.subscriberGroupEmitter;
    const group = internals.shardedSubscribers;
    const ended = emitter?.listeners("-node") ?? [];
    const failed = emitter?.listeners("subscriberConnectFailed") ?? [];
    const unhealthy = group?.hasUnhealthySubscribers?.bind(group);
    if (!emitter || !group || !unhealthy || ended.length !== 1 || failed.length !== 1) return;
    // ioredis's: emit "-node" on the cluster, refresh (disconnect if no node answers).
    const refresh = ended[0] as (redis: unknown, nodeKey: string) => void;
    emitter.removeAllListeners("-node");
    emitter.removeAllListeners("subscriberConnectFailed");
    let retryAt = 0;
    let streak = 0;
    let lastEnd = Number.NEGATIVE_INFINITY;
    group.hasUnhealthySubscribers = () => Date.now() >= retryAt && unhealthy();
    emitter.on("-node", (redis: unknown, nodeKey: string) => {
      const now = Date.now();
      streak = now - lastEnd < RETRY_STREAK_MS ? streak + 1 : 0;
      lastEnd = now;
      const backoff = streak === 0 ? 0 : Math.min(RETRY_DELAY_MIN_MS * 2 ** streak, RETRY_DELAY_MAX_MS);
      retryAt = now + Math.round(backoff * (0.75 + Math.random() * 0.5));
      if (streak === 0) refresh(redis, nodeKey);
      if (this.#retryPoll) return;
      this.#retryPoll = setInterval(() => {
        if (this.#cluster.status === "end" || !unhealthy()) {
          clearInterval(this.#retryPoll);
          this.#retryPoll = undefined;
          return;
        }
        refresh(redis, nodeKey);
      }, RETRY_POLL_MS);
      this.#retryPoll.unref();
    });
    emitter.on("subscriberConnectFailed", ({ error }: { error: Error }) => {
      this.#cluster.emit("error", error);
    });
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
