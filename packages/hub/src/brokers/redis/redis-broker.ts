/**
 * Redis broker: history in one Redis Stream per channel, fan-out over pub/sub, everything that
 * must be atomic in one Lua script (see redis-scripts.ts for the key layout and why). The same
 * broker runs over a plain Redis (standalone-link.ts, `redis://`) or a Redis Cluster
 * (cluster-link.ts, `redis+cluster://`): only the link differs.
 *
 * Failure behaviour: commands never wait for Redis (see the links), so a publish is either
 * acknowledged after Redis appended it or rejected with BrokerUnavailableError (a retry with the
 * same key is then deduplicated if Redis did append it). Epochs change when acked history may
 * have been lost — meta gone, store wiped, or a failover to a replica (redis-scripts.ts, PRELUDE).
 */
import { randomBytes } from "node:crypto";
import type { ClientInfo, Publication, StreamPosition } from "@switchboard/protocol";
import type {
  AppendRequest,
  AppendResult,
  Broker,
  BrokerEventHandler,
  HistoryRequest,
  HistoryResult,
} from "../broker.js";
import { newEpoch } from "../shared/epoch.js";
import { Fanout, type FanoutTransport } from "../shared/fanout.js";
import { historyWindow, settleHistory } from "../shared/history-window.js";
import { decodeBody, encodeBody } from "../shared/publication-body.js";
import { guarded, unavailable } from "../shared/unavailable.js";
import { ClusterLink, clusterSeeds } from "./cluster-link.js";
import type { RedisLink, ScriptClient } from "./redis-link.js";
import {
  APPEND_LUA,
  HISTORY_LUA,
  POSITION_LUA,
  PRESENCE_ADD_LUA,
  PRESENCE_COUNT_LUA,
  PRESENCE_KEEPALIVE_LUA,
  PRESENCE_LIST_LUA,
  PRESENCE_REMOVE_LUA,
  STORE_LUA,
} from "./redis-scripts.js";
import { StandaloneLink } from "./standalone-link.js";

export interface RedisBrokerOptions {
  /** `redis://HOST:PORT` (or rediss://), or `redis+cluster://HOST:PORT[,HOST:PORT…]` (seed nodes). */
  url: string;
  /** Key and pub/sub channel prefix, so several systems or test runs can share one Redis. */
  prefix?: string;
  /** A command without reply after this long fails with BrokerUnavailableError. */
  commandTimeoutMs?: number;
  /** `start()` gives up after this long. */
  connectTimeoutMs?: number;
  /** Reconnect backoff grows by this much per attempt… */
  reconnectStepMs?: number;
  /** …up to this. */
  reconnectMaxDelayMs?: number;
  /** How long a channel's epoch and top survive without appends (0 = forever). */
  metaTtlSeconds?: number;
  /** `exact` trims to the history size on every append; `approximate` (MAXLEN ~) is cheaper. */
  trim?: "exact" | "approximate";
  /** Plain Redis: the commands of one event-loop tick leave in one socket write (standalone-link.ts). */
  autoPipelining?: boolean;
  /** Cluster: the second resync after the sharded subscribers came back (cluster-link.ts). */
  resyncSettleMs?: number;
  /** Cluster: store keys created per command batch at start (one per slot in all). */
  storeBatch?: number;
  /**
   * Cluster: a command still unsettled after this long fails with BrokerUnavailableError. ioredis
   * Cluster retries a command across a failover (redirections, slot refresh) without the per-node
   * commandTimeout covering the whole; the hub must never wait on it unboundedly.
   */
  clusterDeadlineMs?: number;
}

export const REDIS_BROKER_DEFAULTS = {
  prefix: "sb",
  commandTimeoutMs: 1000,
  connectTimeoutMs: 3000,
  reconnectStepMs: 100,
  reconnectMaxDelayMs: 1000,
  metaTtlSeconds: 30 * 24 * 3600,
  trim: "exact",
  autoPipelining: true,
  resyncSettleMs: 1000,
  storeBatch: 512,
  clusterDeadlineMs: 2000,
} as const satisfies Omit<Required<RedisBrokerOptions>, "url">;

/** Server replies that mean "not now" rather than "bug". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|OOM)\b/;

/** ReplyError is Redis refusing a well-formed command (script bug, wrong type): not a retry case. */
const isRefusal = (e: Error) => e.name === "ReplyError" && !TRANSIENT_REPLY.test(e.message);

/** Every command goes through here: its failure becomes BrokerUnavailableError unless Redis refused it. */
const call = <T>(operation: () => Promise<T>): Promise<T> => guarded("redis", operation, isRefusal);

const ms = (seconds: number, min = 0) => String(Math.max(min, Math.round(seconds * 1000)));

export function isClusterSpec(url: string): boolean {
  return url.startsWith("redis+cluster://");
}

export class RedisBroker implements Broker {
  readonly kind: string;
  readonly #options: Required<RedisBrokerOptions>;
  readonly #link: RedisLink;
  readonly #cmd: ScriptClient;
  readonly #fanout: Fanout;
  readonly #deadlineMs: number;
  /** This node's id in presence entries and the node records (redis-scripts.ts, presence). */
  readonly #node = randomBytes(9).toString("base64url");
  /** Whether this node has written its liveness record (the first presenceAdd does). */
  #alive = false;
  /** The first liveness write under way (concurrent first adds share it). */
  #starting: Promise<boolean> | undefined;
  #onEvent: BrokerEventHandler = () => {};

  constructor(options: RedisBrokerOptions) {
    this.#options = { ...REDIS_BROKER_DEFAULTS, ...options };
    const o = this.#options;
    this.#link = isClusterSpec(o.url)
      ? new ClusterLink(clusterSeeds(o.url), o)
      : new StandaloneLink(o.url, o);
    this.kind = this.#link.kind;
    this.#deadlineMs = isClusterSpec(o.url) ? o.clusterDeadlineMs : 0;
    this.#cmd = this.#link.cmd;
    this.#cmd.defineCommand("sbAppend", { numberOfKeys: 4, lua: APPEND_LUA });
    this.#cmd.defineCommand("sbPosition", { numberOfKeys: 2, lua: POSITION_LUA });
    this.#cmd.defineCommand("sbHistory", { numberOfKeys: 3, lua: HISTORY_LUA });
    this.#cmd.defineCommand("sbStore", { numberOfKeys: 1, lua: STORE_LUA });
    this.#cmd.defineCommand("sbPresenceAdd", { numberOfKeys: 2, lua: PRESENCE_ADD_LUA });
    this.#cmd.defineCommand("sbPresenceRemove", { numberOfKeys: 2, lua: PRESENCE_REMOVE_LUA });
    this.#cmd.defineCommand("sbPresenceCount", { numberOfKeys: 2, lua: PRESENCE_COUNT_LUA });
    this.#cmd.defineCommand("sbPresenceList", { numberOfKeys: 2, lua: PRESENCE_LIST_LUA });
    this.#cmd.defineCommand("sbPresenceKeepAlive", { numberOfKeys: 1, lua: PRESENCE_KEEPALIVE_LUA });
    const transport = this.#link.transport({
      receive: (topic, text) => this.#fanout.receive(topic, text),
      topics: () => this.#fanout.topics(),
      resync: () => this.#fanout.resync(),
    });
    this.#fanout = new Fanout(
      mapped(transport),
      (channel) => this.#live(channel),
      (e) => this.#onEvent(e),
    );
  }

  async start(onEvent: BrokerEventHandler): Promise<void> {
    this.#onEvent = onEvent;
    try {
      await this.#link.connect();
      await this.#createStores();
    } catch (error) {
      await this.#link.close().catch(() => {});
      throw unavailable("redis", error, isRefusal);
    }
  }

  ready(): Promise<boolean> {
    return this.#link.ready();
  }

  async close(): Promise<void> {
    this.#fanout.clear();
    // A clean stop ends this node's presence at once (readers drop its entries), not after the TTL.
    if (this.#alive) await this.#call(() => this.#cmd.zrem(this.#nodes(), this.#node)).catch(() => {});
    this.#alive = false;
    await this.#link.close();
  }

  async append(request: AppendRequest): Promise<AppendResult> {
    const { channel, history, key } = request;
    const body = encodeBody({ time: Date.now(), data: request.data, info: request.info, key });
    const [epoch, offset, duplicate] = await this.#call(() =>
      this.#cmd.sbAppend(
        this.#store(channel),
        this.#key(channel, "meta"),
        this.#key(channel, "hist"),
        this.#key(channel, `k:${key ?? ""}`),
        newEpoch(),
        body,
        String(Math.max(0, Math.floor(history.size))),
        ms(history.ttlSeconds),
        ms(this.#options.metaTtlSeconds),
        key === undefined ? "0" : "1",
        ms(request.dedupeSeconds, 1),
        this.#live(channel),
        this.#options.trim === "exact" ? "=" : "~",
        channel,
        this.#link.publishCommand,
      ),
    );
    return { epoch, offset: Number(offset), duplicate: duplicate === 1 };
  }

  async position(channel: string): Promise<StreamPosition> {
    const [epoch, offset] = await this.#call(() =>
      this.#cmd.sbPosition(
        this.#store(channel),
        this.#key(channel, "meta"),
        newEpoch(),
        ms(this.#options.metaTtlSeconds),
        channel,
      ),
    );
    return { epoch, offset: Number(offset) };
  }

  async history(request: HistoryRequest): Promise<HistoryResult> {
    const { channel, since } = request;
    const [epoch, top, entries] = await this.#call(() =>
      this.#cmd.sbHistory(
        this.#store(channel),
        this.#key(channel, "meta"),
        this.#key(channel, "hist"),
        newEpoch(),
        ms(this.#options.metaTtlSeconds),
        since?.epoch ?? "",
        String(since?.offset ?? 0),
        String(Math.max(0, Math.floor(request.limit))),
        channel,
      ),
    );
    const position = { epoch, offset: Number(top) };
    const stored: Publication[] = [];
    for (const [id, fields] of entries) {
      const publication = decodeBody(Number.parseInt(id, 10), fields[1] ?? "");
      if (publication) stored.push(publication);
    }
    return settleHistory(position, historyWindow(position, request), stored, request);
  }

  subscribe(channel: string): Promise<void> {
    return this.#fanout.subscribe(channel);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.#fanout.unsubscribe(channel);
  }

  async presenceAdd(channel: string, info: ClientInfo, ttlSeconds: number): Promise<void> {
    if (!this.#alive) {
      this.#starting ??= this.presenceKeepAlive(ttlSeconds).finally(() => {
        this.#starting = undefined;
      });
      await this.#starting;
    }
    await this.#call(() =>
      this.#cmd.sbPresenceAdd(
        this.#key(channel, "members"),
        this.#key(channel, "member-nodes"),
        info.client,
        this.#node,
        `${this.#node} ${JSON.stringify(info)}`,
      ),
    );
  }

  async presenceRemove(channel: string, info: ClientInfo): Promise<void> {
    await this.#call(() =>
      this.#cmd.sbPresenceRemove(
        this.#key(channel, "members"),
        this.#key(channel, "member-nodes"),
        info.client,
      ),
    );
  }

  async presenceList(channel: string): Promise<ClientInfo[]> {
    const live = await this.#liveNodes();
    const raw = await this.#call(() =>
      this.#cmd.sbPresenceList(this.#key(channel, "members"), this.#key(channel, "member-nodes"), ...live),
    );
    return raw.flatMap((text) => {
      const info = parseInfo(text.slice(text.indexOf(" ") + 1));
      return info ? [info] : [];
    });
  }

  async presenceCount(channel: string): Promise<number> {
    const live = await this.#liveNodes();
    return Number(
      await this.#call(() =>
        this.#cmd.sbPresenceCount(this.#key(channel, "members"), this.#key(channel, "member-nodes"), ...live),
      ),
    );
  }

  async presenceKeepAlive(ttlSeconds: number): Promise<boolean> {
    const now = Date.now();
    const lapsed = await this.#call(() =>
      this.#cmd.sbPresenceKeepAlive(this.#nodes(), this.#node, String(now), String(now + ttlSeconds * 1000)),
    );
    this.#alive = true;
    return lapsed === 1;
  }

  /** The nodes whose liveness has not run out. */
  #liveNodes(): Promise<string[]> {
    return this.#call(() => this.#cmd.zrangebyscore(this.#nodes(), `(${Date.now()}`, "+inf"));
  }

  #nodes(): string {
    return `${this.#options.prefix}:nodes`;
  }

  announce(event: { type: "join" | "leave"; channel: string; info: ClientInfo }): Promise<void> {
    return this.#fanout.announce(event);
  }

  #key(channel: string, suffix: string): string {
    return `${this.#options.prefix}:{${channel}}:${suffix}`;
  }

  #live(channel: string): string {
    return this.#key(channel, "live");
  }

  /** One command, its failure mapped, bounded by the cluster deadline (see the option). */
  #call<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#deadlineMs <= 0) return call(operation);
    return call(
      () =>
        new Promise<T>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no reply within ${this.#deadlineMs} ms`)),
            this.#deadlineMs,
          );
          operation().then(
            (value) => {
              clearTimeout(timer);
              resolve(value);
            },
            (error: unknown) => {
              clearTimeout(timer);
              reject(error);
            },
          );
        }),
    );
  }

  /** The store id key of the channel's slot (redis-scripts.ts, PRELUDE). */
  #store(channel: string): string {
    return this.#link.storeKey(this.#key(channel, "meta"));
  }

  /**
   * Creates every store key the link has up front (a cluster: one per slot), so reads never
   * create one; an existing key is kept (or rotated after a failover, like on any touch).
   */
  async #createStores(): Promise<void> {
    const keys = this.#link.storeKeys();
    if (keys.length <= 1) return; // a plain Redis: its one key is created on first touch
    for (let i = 0; i < keys.length; i += this.#options.storeBatch) {
      await Promise.all(
        keys.slice(i, i + this.#options.storeBatch).map((k) => this.#cmd.sbStore(k, newEpoch())),
      );
    }
  }
}

/** The link's transport with every failure mapped (BrokerUnavailableError unless refused). */
function mapped(transport: FanoutTransport): FanoutTransport {
  return {
    listen: (topic) => call(() => transport.listen(topic)),
    unlisten: (topic) => transport.unlisten(topic),
    send: (topic, text) => call(() => transport.send(topic, text)),
  };
}

function parseInfo(text: string): ClientInfo | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && typeof (value as ClientInfo).client === "string"
      ? (value as ClientInfo)
      : null;
  } catch {
    return null;
  }
}
