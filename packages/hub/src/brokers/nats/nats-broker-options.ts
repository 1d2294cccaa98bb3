/** Options of the NATS broker (nats-broker.ts) and their defaults, one named value per limit. */
export interface NatsBrokerOptions {
  servers: string;
  /** Subject / stream / bucket prefix, `[A-Za-z0-9_-]`. */
  prefix?: string;
  /** A JetStream request without answer after this long fails with BrokerUnavailableError. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  reconnectWaitMs?: number;
  /** Client pings the server this often… */
  pingIntervalMs?: number;
  /** …and counts the connection stale (disconnected: fail fast) after this many unanswered pings. */
  maxPingOut?: number;
  /** Stream max_age: how long an idle channel keeps its last message, hence its epoch (0 = forever). */
  metaTtlSeconds?: number;
  /** Stream duplicate window and dedupe-record TTL; widened when a request asks for more. */
  dedupeWindowSeconds?: number;
  /** Continuations up to this many messages are read by walking Sb-Prev; longer ones use a consumer. */
  directReadMax?: number;
  /** Messages per pull of such a consumer (a big history must not arrive as one pull). */
  scanBatch?: number;
  /** The server deletes a consumer left by a dead node after this long. */
  scanInactiveMs?: number;
  /** Expected-sequence conflicts one append tolerates before failing as unavailable. */
  appendAttempts?: number;
  /** Channels whose last sequence this node remembers (saves a read before each append). */
  tailCacheSize?: number;
  replicas?: number;
}

export const NATS_BROKER_DEFAULTS = {
  prefix: "sb",
  requestTimeoutMs: 2000,
  connectTimeoutMs: 3000,
  reconnectWaitMs: 250,
  pingIntervalMs: 5000,
  maxPingOut: 2,
  metaTtlSeconds: 30 * 24 * 3600,
  dedupeWindowSeconds: 300,
  directReadMax: 16,
  scanBatch: 512,
  scanInactiveMs: 30_000,
  appendAttempts: 50,
  tailCacheSize: 10_000,
  replicas: 1,
} as const satisfies Omit<Required<NatsBrokerOptions>, "servers">;

/** Options with every default applied. */
export type NatsBrokerConfig = Required<NatsBrokerOptions>;
