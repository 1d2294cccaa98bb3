/**
 * Epochs for every engine: one generator, so all brokers hand out the same kind of token.
 */
import { randomBytes } from "node:crypto";

/** Random bytes per epoch: 72 bits, so two epochs never collide in practice. */
const EPOCH_BYTES = 9;

/**
 * A fresh epoch: random, so an engine that lost its data (restart with empty storage, a file
 * recreated) can never hand out an epoch a client already holds.
 */
export function newEpoch(): string {
  return randomBytes(EPOCH_BYTES).toString("base64url");
}
