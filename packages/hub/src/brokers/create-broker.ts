/**
 * Builds a broker from its command-line spec: `memory` (embedded: in-process fan-out, history in
 * SQLite), `redis://HOST:PORT` or `nats://HOST:PORT`. Engine client libraries load lazily, only
 * for the broker in use.
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

export async function createBroker(spec: string, options: BrokerSpecOptions): Promise<Broker> {
  if (spec === "memory" || spec === "sqlite") {
    const { SqliteBroker } = await import("./sqlite/sqlite-broker.js");
    return new SqliteBroker({ path: join(options.dataDir, "switchboard.db") });
  }
  if (spec.startsWith("redis://") || spec.startsWith("rediss://")) {
    const { RedisBroker } = await import("./redis/redis-broker.js");
    return new RedisBroker({ url: spec, ...(options.prefix ? { prefix: options.prefix } : {}) });
  }
  if (spec.startsWith("nats://")) {
    const { NatsBroker } = await import("./nats/nats-broker.js");
    return new NatsBroker({ servers: spec, ...(options.prefix ? { prefix: options.prefix } : {}) });
  }
  throw new BrokerSpecError(`broker: expected memory, redis://HOST:PORT or nats://HOST:PORT, got "${spec}"`);
}
