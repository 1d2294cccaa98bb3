import type { StreamPosition, Subscription, TokenSource } from "@switchboard/client";
import { useEffect, useRef, useState } from "react";
import { useClient } from "./context.js";
import { acquireSubscription, type ChannelSubscribeOptions } from "./subscription-registry.js";

export interface UseSubscriptionOptions {
  /** Start with the channel's last K publications (the hub's `rewind`); only when this hook creates the subscription. */
  rewind?: number;
  /** Resume from a stored position (recovery) instead. */
  since?: StreamPosition;
  /** Channel token; read when the subscription is created, so a new function each render is fine. */
  token?: TokenSource;
  /** False: hold no subscription (e.g. until a channel is chosen). Default true. */
  enabled?: boolean;
}

/**
 * Called in the same effect that takes the subscription, before any reply can arrive: listeners
 * added here see every event from the first one (rewound publications included). Return a cleanup.
 */
export type AttachSubscription = (subscription: Subscription) => (() => void) | undefined;

/**
 * The channel's shared Subscription while the component is mounted (undefined before the first
 * effect). All hooks of one channel share one subscription on the hub; it ends after the last.
 */
export function useSubscription(
  channel: string,
  options: UseSubscriptionOptions = {},
  attach?: AttachSubscription,
): Subscription | undefined {
  const client = useClient();
  const [subscription, setSubscription] = useState<Subscription | undefined>(undefined);
  // Latest values without re-subscribing when only their identity changes.
  const attachRef = useRef(attach);
  const tokenRef = useRef(options.token);
  useEffect(() => {
    attachRef.current = attach;
    tokenRef.current = options.token;
  });
  const { rewind, since, enabled = true } = options;
  const sinceEpoch = since?.epoch;
  const sinceOffset = since?.offset;

  useEffect(() => {
    if (!enabled) return;
    const subscribeOptions: ChannelSubscribeOptions = {};
    if (sinceEpoch !== undefined && sinceOffset !== undefined) {
      subscribeOptions.since = { epoch: sinceEpoch, offset: sinceOffset };
    }
    if (rewind !== undefined) subscribeOptions.rewind = rewind;
    if (tokenRef.current !== undefined) subscribeOptions.token = tokenRef.current;
    const lease = acquireSubscription(client, channel, subscribeOptions);
    const detach = attachRef.current?.(lease.subscription);
    setSubscription(lease.subscription);
    return () => {
      detach?.();
      lease.release();
    };
  }, [client, channel, enabled, rewind, sinceEpoch, sinceOffset]);

  return enabled && subscription?.channel === channel && subscription.state !== "unsubscribed"
    ? subscription
    : undefined;
}
