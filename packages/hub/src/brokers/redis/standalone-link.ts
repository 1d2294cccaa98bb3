/**
 * A plain Redis: one command connection and one subscriber connection, live events over
 * SUBSCRIBE/PUBLISH, one store key for the whole store (redis-scripts.ts).
 *
 * Commands never wait for Redis: the offline queue is off, in-flight commands are rejected when
 * the socket closes (maxRetriesPerRequest 0) and never resent after reconnect, and a short
 * commandTimeout bounds a hung server. The commands of one event-loop tick leave in one write
 * (batchWrites, below). The subscriber connection is resubscribed by hand on
 * reconnect; only once that is done does the hub get `resync`, so its history re-check cannot
 * race ahead of the live stream.
 */
import type { Socket } from "node:net";
import { Redis, type RedisOptions } from "ioredis";
import type { FanoutTransport } from "../shared/fanout.js";
import type { FanoutHooks, LinkOptions, RedisLink, ScriptClient } from "./redis-link.js";

export class StandaloneLink implements RedisLink {
  readonly kind = "redis";
  readonly publishCommand = "PUBLISH";
  readonly cmd: ScriptClient;
  readonly #sub: Redis;
  readonly #storeKey: string;
  #hooks: FanoutHooks | undefined;
  #subEverReady = false;
  #closed = false;

  constructor(url: string, o: LinkOptions) {
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: o.connectTimeoutMs,
      retryStrategy: (times) => Math.min(times * o.reconnectStepMs, o.reconnectMaxDelayMs),
    };
    this.cmd = new Redis(url, {
      ...common,
      commandTimeout: o.commandTimeoutMs,
      connectionName: `${o.prefix}-cmd`,
    }) as ScriptClient;
    if (o.autoPipelining) batchWrites(this.cmd as Redis);
    this.#sub = new Redis(url, { ...common, autoResubscribe: false, connectionName: `${o.prefix}-sub` });
    this.#storeKey = `${o.prefix}:store`;
    // Errors surface through command rejections and ready(); an unhandled 'error' event would crash.
    this.cmd.on("error", () => {});
    this.#sub.on("error", () => {});
    this.#sub.on("message", (topic: string, text: string) => this.#hooks?.receive(topic, text));
    this.#sub.on("ready", () => void this.#resubscribe());
  }

  storeKey(): string {
    return this.#storeKey;
  }

  storeKeys(): string[] {
    return [this.#storeKey];
  }

  async connect(): Promise<void> {
    try {
      await Promise.all([(this.cmd as Redis).connect(), this.#sub.connect()]);
    } catch (error) {
      this.cmd.disconnect();
      this.#sub.disconnect();
      throw error;
    }
  }

  async ready(): Promise<boolean> {
    if (this.cmd.status !== "ready" || this.#sub.status !== "ready") return false;
    try {
      return (await this.cmd.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([this.cmd.quit(), this.#sub.quit()]);
    this.cmd.disconnect();
    this.#sub.disconnect();
  }

  transport(hooks: FanoutHooks): FanoutTransport {
    this.#hooks = hooks;
    return {
      listen: async (topic) => {
        await this.#sub.subscribe(topic);
      },
      // While disconnected there is nothing to undo: reconnect listens only to what is still wanted.
      unlisten: async (topic) => {
        if (this.#sub.status === "ready") await this.#sub.unsubscribe(topic).catch(() => {});
      },
      send: async (topic, text) => {
        await this.cmd.publish(topic, text);
      },
    };
  }

  /** On every (re)connect of the subscriber: subscribe to what is wanted, then ask for a resync. */
  async #resubscribe(): Promise<void> {
    const first = !this.#subEverReady;
    this.#subEverReady = true;
    if (first || this.#closed || !this.#hooks) return;
    const topics = this.#hooks.topics();
    try {
      if (topics.length > 0) await this.#sub.subscribe(...topics);
    } catch {
      // The connection dropped again; the next 'ready' retries.
      return;
    }
    this.#hooks.resync();
  }
}

/**
 * Commands sent in one event-loop tick leave in one socket write: the first one corks the socket
 * and a nextTick uncorks it. That is the batching of ioredis auto-pipelining without its cost of
 * one Pipeline object per batch (which copies every defined script onto itself) and its
 * setImmediate: measured on this machine with 6 scripts defined, a script call one at a time
 * took 36 µs of client CPU corked, 44 µs plain, 75 µs auto-pipelined; with 256 in flight 9.9 /
 * 12.9 / 17.5 µs per call (28.4k / 25.4k / 17.9k calls/s).
 */
function batchWrites(redis: Redis): void {
  const send = redis.sendCommand.bind(redis);
  let corked: Socket | undefined;
  const uncork = () => {
    const socket = corked;
    corked = undefined;
    socket?.uncork();
  };
  redis.sendCommand = (command, stream) => {
    const socket = redis.stream as Socket | undefined;
    if (corked === undefined && socket) {
      corked = socket;
      socket.cork();
      process.nextTick(uncork);
    }
    return send(command, stream);
  };
}
