/**
 * Reference-counted subscriptions: every hook of one channel on one client shares ONE
 * Subscription, and it ends only when the last hook lets go (after `releaseDelayMs`, so
 * StrictMode's effect → cleanup → effect keeps the same one and the hub sees one subscribe).
 *
 * The table lives on globalThis under a registered symbol: two copies of this package on a
 * page (a host bundling its own) share it, so one copy never unsubscribes the other's channel.
 */
import type { Client, SubscribeOptions, Subscription } from "@switchboard/client";
import { reactDefaults } from "./defaults.js";

/** `rewind` is the protocol's late-join option (docs/protocol.md "Late joiners"). */
export type ChannelSubscribeOptions = SubscribeOptions & { rewind?: number };

interface Entry {
  subscription: Subscription;
  refs: number;
  /** False when the subscription was made outside these hooks: then it is never ended here. */
  owned: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

type Table = WeakMap<Client, Map<string, Entry>>;

const TABLE_KEY = Symbol.for("@switchboard/react/subscriptions@1");
const globalSlot = globalThis as typeof globalThis & { [TABLE_KEY]?: Table };
const table: Table = globalSlot[TABLE_KEY] ?? new WeakMap();
globalSlot[TABLE_KEY] = table;

export interface SubscriptionLease {
  readonly subscription: Subscription;
  /** Gives the lease back; idempotent. */
  release(): void;
}

/** Takes a share of `channel`'s subscription, creating it (with `options`) if there is none. */
export function acquireSubscription(
  client: Client,
  channel: string,
  options: ChannelSubscribeOptions = {},
  releaseDelayMs: number = reactDefaults.releaseDelayMs,
): SubscriptionLease {
  let channels = table.get(client);
  if (!channels) {
    channels = new Map();
    table.set(client, channels);
  }
  let entry = channels.get(channel);
  if (entry && entry.subscription.state === "unsubscribed") {
    // Ended by the hub or by someone else: start over.
    clearTimeout(entry.timer);
    channels.delete(channel);
    entry = undefined;
  }
  if (!entry) {
    const existing = client.getSubscription(channel);
    const usable = existing && existing.state !== "unsubscribed" ? existing : undefined;
    entry = {
      subscription: usable ?? client.subscribe(channel, options),
      refs: 0,
      owned: usable === undefined,
      timer: undefined,
    };
    channels.set(channel, entry);
  }
  clearTimeout(entry.timer);
  entry.timer = undefined;
  entry.refs++;
  const held = entry;
  const map = channels;
  let released = false;
  return {
    subscription: held.subscription,
    release() {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs > 0) return;
      held.timer = setTimeout(() => {
        if (held.refs > 0 || map.get(channel) !== held) return;
        map.delete(channel);
        if (held.owned) held.subscription.unsubscribe();
      }, releaseDelayMs);
    },
  };
}
