/**
 * Hub configuration (docs/operations.md "Configuration"): one schema, one defaults object, and a parser
 * whose errors name the bad key and what it expects.
 */
import { z } from "zod";

export const DEFAULT_LIMITS = {
  maxFrameBytes: 65_536,
  maxSubscriptions: 128,
  sendBufferBytes: 1_048_576,
  publishRatePerSecond: 0,
  connectTimeoutSeconds: 10,
  pingIntervalSeconds: 25,
  /** Largest `limit` a history request may ask for. */
  maxHistoryLimit: 1_000,
  /** Idempotency window for publish keys. */
  dedupeSeconds: 300,
  /** Presence entries expire unless refreshed; a dead node's clients disappear after this. */
  presenceTtlSeconds: 30,
  /** Local subscribers of a channel above which a node sends no join/leave frames for it. */
  joinLeaveMaxSubscribers: 100,
  /** presenceDiff connections: joins and leaves of this long become one presence_diff frame. */
  presenceDiffWindowMs: 100,
  /** presenceDiff connections: at most one occupancy frame per channel per this long. */
  occupancyIntervalMs: 1_000,
  /** Requests beyond the rate limit in one second before the connection is closed with 4029. */
  rateLimitStrikes: 20,
  /** Under load, how long writes may wait to coalesce more frames per socket (0: never wait). */
  flushDelayMaxMs: 5,
  /** Deepest `data` accepted (docs/protocol.md "Bad input and abuse"). */
  maxDepth: 32,
  /** Requests of every type per connection per second (0: no limit). */
  requestRatePerSecond: 0,
  /** Open connections per node / per client IP (0: no limit); over it an upgrade gets 429. */
  maxConnections: 0,
  maxConnectionsPerIp: 0,
  /** HTTP API: time for the request headers, and for the whole request including its body. */
  httpHeadersTimeoutSeconds: 5,
  httpRequestTimeoutSeconds: 10,
} as const;

export const DEFAULT_NAMESPACE = {
  history: { size: 1_000, ttlSeconds: 86_400 },
  presence: true,
  joinLeave: true,
} as const;

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

const namespaceSchema = z
  .object({
    history: z
      .object({
        size: nonNegativeInt.default(DEFAULT_NAMESPACE.history.size),
        ttlSeconds: positiveInt.default(DEFAULT_NAMESPACE.history.ttlSeconds),
      })
      .strict()
      .default({ ...DEFAULT_NAMESPACE.history }),
    presence: z.boolean().default(DEFAULT_NAMESPACE.presence),
    joinLeave: z.boolean().default(DEFAULT_NAMESPACE.joinLeave),
    /** Largest `data` (serialized) a publish may carry in this namespace; defaults to the frame limit. */
    maxPayloadBytes: positiveInt.optional(),
  })
  .strict();

const limitsSchema = z
  .object({
    maxFrameBytes: z.number().int().min(1024).default(DEFAULT_LIMITS.maxFrameBytes),
    maxSubscriptions: positiveInt.default(DEFAULT_LIMITS.maxSubscriptions),
    sendBufferBytes: z.number().int().min(1024).default(DEFAULT_LIMITS.sendBufferBytes),
    publishRatePerSecond: nonNegativeInt.default(DEFAULT_LIMITS.publishRatePerSecond),
    connectTimeoutSeconds: z.number().positive().default(DEFAULT_LIMITS.connectTimeoutSeconds),
    pingIntervalSeconds: z.number().positive().default(DEFAULT_LIMITS.pingIntervalSeconds),
    maxHistoryLimit: positiveInt.default(DEFAULT_LIMITS.maxHistoryLimit),
    dedupeSeconds: positiveInt.default(DEFAULT_LIMITS.dedupeSeconds),
    presenceTtlSeconds: positiveInt.default(DEFAULT_LIMITS.presenceTtlSeconds),
    joinLeaveMaxSubscribers: nonNegativeInt.default(DEFAULT_LIMITS.joinLeaveMaxSubscribers),
    presenceDiffWindowMs: z.number().int().min(1).max(10_000).default(DEFAULT_LIMITS.presenceDiffWindowMs),
    occupancyIntervalMs: z.number().int().min(100).max(60_000).default(DEFAULT_LIMITS.occupancyIntervalMs),
    rateLimitStrikes: positiveInt.default(DEFAULT_LIMITS.rateLimitStrikes),
    flushDelayMaxMs: z.number().nonnegative().max(100).default(DEFAULT_LIMITS.flushDelayMaxMs),
    maxDepth: positiveInt.default(DEFAULT_LIMITS.maxDepth),
    requestRatePerSecond: nonNegativeInt.default(DEFAULT_LIMITS.requestRatePerSecond),
    maxConnections: nonNegativeInt.default(DEFAULT_LIMITS.maxConnections),
    maxConnectionsPerIp: nonNegativeInt.default(DEFAULT_LIMITS.maxConnectionsPerIp),
    httpHeadersTimeoutSeconds: z.number().positive().default(DEFAULT_LIMITS.httpHeadersTimeoutSeconds),
    httpRequestTimeoutSeconds: z.number().positive().default(DEFAULT_LIMITS.httpRequestTimeoutSeconds),
  })
  .strict();

const configSchema = z
  .object({
    apiKey: z.string().min(1).optional(),
    allowedOrigins: z.array(z.string().min(1)).optional(),
    auth: z
      .object({
        anonymous: z.boolean().optional(),
        jwt: z
          .object({
            secret: z.string().min(1).optional(),
            publicKeyFile: z.string().min(1).optional(),
            jwksFile: z.string().min(1).optional(),
            /** When set, a token's `iss` / `aud` must match. */
            issuer: z.string().min(1).optional(),
            audience: z.string().min(1).optional(),
          })
          .strict()
          .refine(
            (j) => [j.secret, j.publicKeyFile, j.jwksFile].filter((k) => k !== undefined).length === 1,
            { message: "expected exactly one of secret, publicKeyFile, jwksFile" },
          )
          .optional(),
      })
      .strict()
      .optional(),
    limits: limitsSchema.default(limitsSchema.parse({})),
    /** `public`: /metrics answers without the API key. */
    metrics: z
      .object({ public: z.boolean().default(false) })
      .strict()
      .default({ public: false }),
    namespaces: z.record(z.string().regex(/^[A-Za-z0-9_.@#/=-]*$/), namespaceSchema).optional(),
  })
  .strict();

export type NamespacePolicy = z.infer<typeof namespaceSchema>;
export type HubLimits = z.infer<typeof limitsSchema>;
export type HubConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

/** Configs this module produced: validating one again returns it as is (validated once). */
const validated = new WeakSet<object>();

/** Validates a parsed config object; throws ConfigError naming the first bad key. */
export function parseConfig(raw: unknown): HubConfig {
  if (typeof raw === "object" && raw !== null && validated.has(raw)) return raw as HubConfig;
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) {
    validated.add(result.data);
    return result.data;
  }
  const issue = result.error.issues[0];
  const key = issue && issue.path.length > 0 ? issue.path.join(".") : "config";
  const message =
    issue?.code === "unrecognized_keys"
      ? `unknown key(s) ${issue.keys.join(", ")}`
      : (issue?.message ?? "invalid");
  throw new ConfigError(
    issue?.code === "unrecognized_keys" && issue.path.length === 0 ? issue.keys.join(",") : key,
    message,
  );
}

/** The policy of a channel's namespace, or undefined when the config does not define it. */
export function namespacePolicy(config: HubConfig, namespace: string): NamespacePolicy | undefined {
  if (!config.namespaces) return OPEN_NAMESPACE;
  // Own keys only: a channel "constructor:x" must not find Object.prototype.constructor.
  return Object.hasOwn(config.namespaces, namespace) ? config.namespaces[namespace] : undefined;
}

const OPEN_NAMESPACE: NamespacePolicy = {
  history: { ...DEFAULT_NAMESPACE.history },
  presence: DEFAULT_NAMESPACE.presence,
  joinLeave: DEFAULT_NAMESPACE.joinLeave,
};
