/**
 * How every engine reports failure: "not now" (connection down, timeout, server busy) becomes
 * BrokerUnavailableError, which the hub answers as UNAVAILABLE; a refusal — the engine rejecting a
 * well-formed request, i.e. a bug or bad configuration — stays the error it is, so it surfaces as
 * INTERNAL instead of inviting retries that can never succeed.
 */
import { BrokerUnavailableError } from "../broker.js";

/** Whether the engine refused the request rather than failing to serve it now. */
export type RefusalTest = (error: Error) => boolean;

const neverRefused: RefusalTest = () => false;

export function unavailable(engine: string, error: unknown, isRefusal: RefusalTest = neverRefused): Error {
  if (error instanceof BrokerUnavailableError) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  if (isRefusal(e)) return e;
  return new BrokerUnavailableError(`${engine}: ${e.message}`, { cause: e });
}

/** Runs `operation`, mapping its failure through `unavailable` (one wrapper instead of a try/catch per call). */
export async function guarded<T>(
  engine: string,
  operation: () => Promise<T>,
  isRefusal: RefusalTest = neverRefused,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw unavailable(engine, error, isRefusal);
  }
}
