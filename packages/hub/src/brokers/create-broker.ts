/**
 * Builds a broker from its command-line spec: `sqlite` (embedded: in-process fan-out, history in
 * SQLite; `memory` is its former name, still accepted), `redis://HOST:PORT`,
 * `redis+cluster://HOST:PORT[,HOST:PORT…]` (Redis Cluster seed nodes) or `nats://HOST:PORT`.
 * Engine client libraries load lazily, only for the broker in use.
 */
import { join } from "node:path";
import type { Broker } from "./broker.js";

export interface BrokerSpecOptions {
  /** Folder for the embedded store (created if missing). */
  dataDir: string;
  /** Key / subject prefix, so several systems (or test runs) can share one engine. */
  prefix?: string;
}

export class BrokerSpecError extends Error {
  override readonly name = "BrokerSpecError";
}

/** Specs of the embedded SQLite broker: its name first, then the alias kept for old scripts. */
export const EMBEDDED_BROKER_SPECS = ["sqlite", "memory"] as const;

/** The embedded store's file inside the data folder. */
export const EMBEDDED_STORE_FILE = "switchboard.db";

export function isEmbeddedBrokerSpec(spec: string): boolean {
  return (EMBEDDED_BROKER_SPECS as readonly string[]).includes(spec);
}

export async function createBroker(spec: string, options: BrokerSpecOptions): Promise<Broker> {
  if (isEmbeddedBrokerSpec(spec)) {
    const { SqliteBroker } = await import("./sqlite/sqlite-broker.js");
    return new SqliteBroker({ path: join(options.dataDir, EMBEDDED_STORE_FILE) });
  }
  if (spec.startsWith("redis://") || spec.startsWith("rediss://") || spec.startsWith("redis+cluster://")) {
    const { RedisBroker } = await import("./redis/redis-broker.js");
    return new RedisBroker({ url: spec, ...(options.prefix ? { prefix: options.prefix } : {}) });
  }
  if (spec.startsWith("nats://")) {
    const { NatsBroker } = await import("./nats/nats-broker.js");
    return new NatsBroker({ servers: spec, ...(options.prefix ? { prefix: options.prefix } : {}) });
  }
  throw new BrokerSpecError(
    `broker: expected sqlite (or memory), redis://HOST:PORT, redis+cluster://HOST:PORT[,HOST:PORT…] or nats://HOST:PORT, got "${spec}"`,
  );
}
