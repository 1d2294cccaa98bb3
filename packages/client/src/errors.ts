import type { ErrorCode } from "@switchboard/protocol";

/** Codes the client adds to the protocol's ErrorCode registry. */
export const ClientErrorCode = {
  /** The operation did not complete within its timeout (publishTimeoutMs, requestTimeoutMs). */
  TIMEOUT: "TIMEOUT",
  /** The client was closed (client.close()) or stopped reconnecting before the operation completed. */
  CLOSED: "CLOSED",
  /** The app passed something the client cannot use: no URL, no WebSocket, a bad channel name, data that is not JSON. */
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  /** Another copy of the client on the page is of an incompatible version (see getSharedClient). */
  INCOMPATIBLE_VERSION: "INCOMPATIBLE_VERSION",
  /** The offline outbox holds its maxEntries or maxBytes: the publish is refused, not queued. */
  OUTBOX_FULL: "OUTBOX_FULL",
  /** The browser would not store queued publishes (IndexedDB missing, quota): kept in memory only. */
  STORAGE_UNAVAILABLE: "STORAGE_UNAVAILABLE",
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export type SwitchboardErrorCode = ErrorCode | ClientErrorCode;

/** Marks errors of every copy of the package (see hasInstance below). */
const ERROR_BRAND = Symbol.for("switchboard.error");

/** Every error the client reports: a stable `code` plus a human message. */
export class SwitchboardError extends Error {
  /**
   * A page may hold two compatible copies of the package sharing one client (getSharedClient):
   * errors made by the other copy's class still pass `instanceof SwitchboardError`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && ERROR_BRAND in value;
  }

  override readonly name = "SwitchboardError";
  readonly code: SwitchboardErrorCode;

  constructor(code: SwitchboardErrorCode, message: string) {
    super(message);
    this.code = code;
    Object.defineProperty(this, ERROR_BRAND, { value: true });
  }
}

/** Hub answers worth retrying (until the operation's timeout): the hub said "not now", not "no". */
export function isRetryableCode(code: SwitchboardErrorCode): boolean {
  return code === "UNAVAILABLE" || code === "RATE_LIMITED";
}
