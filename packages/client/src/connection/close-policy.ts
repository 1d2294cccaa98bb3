/** What to do after a connection ends (close codes: docs/errors.md). */
import { CloseCode, closeCodeInfo, type DisconnectFrame } from "@switchboard/protocol";

export interface CloseDecision {
  reconnect: boolean;
  /** Reconnect at once to the next URL (4100: this hub is draining). */
  immediate: boolean;
  /** At least this long before reconnecting (4029). */
  minDelayMs: number;
  code: number | undefined;
  reason: string;
}

export function decideClose(
  code: number | undefined,
  closeReason: string,
  disconnect: DisconnectFrame | undefined,
  rateLimitedMs: number,
): CloseDecision {
  // The `disconnect` frame is the hub's considered word; the close code may be lost (1006) on the way.
  const effective = disconnect?.code ?? code;
  const known = effective === undefined ? undefined : closeCodeInfo[effective as keyof typeof closeCodeInfo];
  const reconnect = disconnect ? disconnect.reconnect : (known?.reconnect ?? true);
  const reason = disconnect?.reason || closeReason || known?.reason || "connection closed";
  return {
    reconnect,
    // 4005: the token ran out; a fresh one is asked for at once, no backoff needed.
    immediate: effective === CloseCode.SHUTDOWN || effective === CloseCode.TOKEN_EXPIRED,
    minDelayMs: effective === CloseCode.RATE_LIMIT_ABUSED ? rateLimitedMs : 0,
    code: effective,
    reason,
  };
}
