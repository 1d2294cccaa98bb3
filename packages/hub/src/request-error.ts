/**
 * A request failure with a stable code (docs/errors.md): the WebSocket answers it with an `error`
 * frame, the HTTP API with the code's status from the protocol registry.
 */
import { ErrorCode } from "@switchboard/protocol";
import { BrokerUnavailableError } from "./brokers/broker.js";

export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The answer to a failed request: a RequestError as thrown, a broker outage as UNAVAILABLE.
 * Undefined for anything else — a bug the caller logs and answers with INTERNAL.
 */
export function requestErrorOf(err: unknown): RequestError | undefined {
  if (err instanceof RequestError) return err;
  if (err instanceof BrokerUnavailableError)
    return new RequestError(ErrorCode.UNAVAILABLE, `broker unavailable: ${err.message}`);
  return undefined;
}
