/**
 * The one registry of error codes and close codes (docs/errors.md).
 * docs/errors.md mirrors this file; a test fails when the two disagree.
 */

export const ErrorCode = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  PERMISSION_DENIED: "PERMISSION_DENIED",
  UNKNOWN_NAMESPACE: "UNKNOWN_NAMESPACE",
  ALREADY_SUBSCRIBED: "ALREADY_SUBSCRIBED",
  NOT_SUBSCRIBED: "NOT_SUBSCRIBED",
  LIMIT_EXCEEDED: "LIMIT_EXCEEDED",
  RATE_LIMITED: "RATE_LIMITED",
  UNAVAILABLE: "UNAVAILABLE",
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const errorCodeMeaning: Readonly<Record<ErrorCode, string>> = {
  BAD_REQUEST: "malformed or invalid frame fields",
  UNAUTHORIZED: "token missing, invalid or expired",
  PERMISSION_DENIED: "not allowed on this channel",
  UNKNOWN_NAMESPACE: "the channel's namespace is not configured",
  ALREADY_SUBSCRIBED: "the connection is already subscribed to the channel",
  NOT_SUBSCRIBED: "the connection is not subscribed to the channel",
  LIMIT_EXCEEDED: "too many subscriptions, payload too large for the namespace, …",
  RATE_LIMITED: "too many requests; retry later",
  UNAVAILABLE: "the broker cannot take the operation now; retry",
  INTERNAL: "a bug; logged with the client id — never the answer to bad input",
};

/**
 * The HTTP status the HTTP API answers each code with; null for codes that only a WebSocket
 * subscription can produce.
 */
export const errorCodeHttpStatus: Readonly<Record<ErrorCode, number | null>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  PERMISSION_DENIED: 403,
  UNKNOWN_NAMESPACE: 404,
  ALREADY_SUBSCRIBED: null,
  NOT_SUBSCRIBED: null,
  LIMIT_EXCEEDED: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export const CloseCode = {
  MESSAGE_TOO_BIG: 1009,
  PROTOCOL_VIOLATION: 4000,
  UNAUTHORIZED: 4001,
  TOKEN_EXPIRED: 4005,
  SLOW_CONSUMER: 4008,
  HEARTBEAT_MISSED: 4012,
  RATE_LIMIT_ABUSED: 4029,
  SHUTDOWN: 4100,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export interface CloseCodeInfo {
  readonly reason: string;
  /** Whether the client should reconnect after this close. */
  readonly reconnect: boolean;
}

export const closeCodeInfo: Readonly<Record<CloseCode, CloseCodeInfo>> = {
  1009: { reason: "frame larger than the hub's limit", reconnect: true },
  4000: { reason: "protocol violation (bad JSON, connect not first, …)", reconnect: false },
  4001: { reason: "no or invalid credentials at connect", reconnect: false },
  4005: { reason: "token expired", reconnect: true },
  4008: { reason: "slow consumer: the socket's send buffer passed its limit", reconnect: true },
  4012: { reason: "heartbeat missed", reconnect: true },
  4029: { reason: "rate limit abused", reconnect: true },
  4100: { reason: "hub shutting down or draining: connect to another node", reconnect: true },
};

/** Reasons carried by an `unsubscribed` frame the hub sends on its own. */
export const UnsubscribeReason = {
  INSUFFICIENT_STATE: "insufficient_state",
  /** The subscription's channel token expired: get a fresh one and subscribe again with `since`. */
  TOKEN_EXPIRED: "token_expired",
} as const;
export type UnsubscribeReason = (typeof UnsubscribeReason)[keyof typeof UnsubscribeReason];
