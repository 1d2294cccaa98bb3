/**
 * One client per module instance. The apps share @switchboard/client as a Module Federation
 * singleton, so every federated module on a page gets this same instance → one WebSocket.
 */
import type { Client } from "./api.js";
import { createClient } from "./client.js";
import { SwitchboardError } from "./errors.js";
import type { ClientOptions } from "./types.js";

let shared: Client | undefined;

/** The first call creates the client (options required); later calls return it and ignore options. */
export function getSharedClient(options?: ClientOptions): Client {
  if (shared) return shared;
  if (!options)
    throw new SwitchboardError(
      "INVALID_ARGUMENT",
      "getSharedClient: the first call must pass options (urls)",
    );
  shared = createClient(options);
  return shared;
}

/** Closes and forgets the shared client (tests, hot module reload); the next call creates a new one. */
export function resetSharedClient(): void {
  shared?.close();
  shared = undefined;
}
