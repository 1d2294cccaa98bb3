/**
 * Whether this client shares a connection across tabs, and the Web Locks it elects with. Only
 * in a page (a `document`) with both Web Locks and BroadcastChannel: Node has BroadcastChannel
 * (and newer Node Web Locks) across worker threads, where sharing would surprise.
 */
import type { ClientOptions, TabsOptions } from "../types.js";
import type { LockManagerLike } from "./tab-election.js";

export function tabLocks(
  options: ClientOptions,
): { locks: LockManagerLike; settings: TabsOptions } | undefined {
  if (options.tabs === false) return undefined;
  const g = globalThis as {
    document?: unknown;
    BroadcastChannel?: unknown;
    navigator?: { locks?: LockManagerLike | null };
  };
  const locks = g.navigator?.locks;
  if (g.document === undefined || typeof g.BroadcastChannel !== "function" || !locks) return undefined;
  return { locks, settings: typeof options.tabs === "object" ? options.tabs : {} };
}
