/**
 * What the Redis broker needs from its connection to Redis — a plain server (standalone-link.ts)
 * or a Redis Cluster (cluster-link.ts). The broker, its scripts and the key layout are the same
 * for both; a link supplies the clients, the fan-out transport and where a channel's store id
 * lives (redis-scripts.ts).
 */
import type { Cluster, Redis } from "ioredis";
import type { FanoutTransport } from "../shared/fanout.js";

/** Script replies as ioredis returns them. */
export type StreamEntry = [id: string, fields: string[]];
export type ScriptCommands = {
  sbAppend(...args: string[]): Promise<[string, number, number]>;
  sbPosition(...args: string[]): Promise<[string, number]>;
  sbHistory(...args: string[]): Promise<[string, number, StreamEntry[]]>;
  sbStore(...args: string[]): Promise<string>;
  sbPresenceAdd(...args: string[]): Promise<number>;
  sbPresenceRemove(...args: string[]): Promise<number>;
  sbPresenceCount(...args: string[]): Promise<number>;
  sbPresenceList(...args: string[]): Promise<string[]>;
  sbPresenceKeepAlive(...args: string[]): Promise<number>;
};
export type ScriptClient = (Redis | Cluster) & ScriptCommands;

/** What the link calls back into the fan-out (shared/fanout.ts). */
export interface FanoutHooks {
  /** A message arrived on a topic. */
  receive(topic: string, text: string): void;
  /** Topics this node wants (to listen to again after a reconnect). */
  topics(): string[];
  /** The live stream was lost and is back: the hub must re-check every channel. */
  resync(): void;
}

export interface RedisLink {
  /** Broker kind for logs, metrics and /readyz. */
  readonly kind: string;
  /** The command the append script fans out with: PUBLISH, or SPUBLISH (sharded) on a cluster. */
  readonly publishCommand: "PUBLISH" | "SPUBLISH";
  /** The command client (scripts are defined on it by the broker). */
  readonly cmd: ScriptClient;
  /** The key holding the store id for a channel whose meta key is `metaKey` (same slot). */
  storeKey(metaKey: string): string;
  /** Every store key, for links that create them up front (a cluster: one per slot). */
  storeKeys(): string[];
  /** Connects everything; rejects with the client's error. */
  connect(): Promise<void>;
  /** Whether every part is connected and answering. */
  ready(): Promise<boolean>;
  /** Quits politely, then drops the connections. */
  close(): Promise<void>;
  /** The fan-out transport over this link (subscribe/unsubscribe/publish). */
  transport(hooks: FanoutHooks): FanoutTransport;
}

/** Connection settings both links take from the broker options. */
export interface LinkOptions {
  prefix: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  reconnectStepMs: number;
  reconnectMaxDelayMs: number;
  autoPipelining: boolean;
}
