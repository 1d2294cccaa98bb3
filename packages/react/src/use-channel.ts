import { useState } from "react";
import { ChannelLog, type ChannelView, idleView } from "./channel-log.js";
import { reactDefaults } from "./defaults.js";
import { type UseSubscriptionOptions, useSubscription } from "./use-subscription.js";

export interface UseChannelOptions extends UseSubscriptionOptions {
  /** Publications kept; the oldest leave first (default 500). */
  maxMessages?: number;
}

/**
 * Subscribes to `channel` while mounted and returns its publications in order, each with its
 * delivery status, plus the subscription state and `lost`. With `rewind: K` the list opens with
 * the channel's last K publications and continues with live ones, no gap and no duplicate.
 */
export function useChannel(channel: string, options: UseChannelOptions = {}): ChannelView {
  const [view, setView] = useState<ChannelView>(idleView);
  const max = options.maxMessages ?? reactDefaults.maxMessages;

  useSubscription(channel, options, (sub) => {
    const log = new ChannelLog(max, sub.state);
    let scheduled = false;
    let live = true;
    // Coalesced: every event of one task becomes one React update.
    const changed = () => {
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        if (live) setView(log.view);
      });
    };
    const offs = [
      sub.on("publication", (m) => {
        log.publication(m);
        changed();
      }),
      sub.on("confirmed", (m) => {
        log.confirmed(m);
        changed();
      }),
      sub.on("failed", (m) => {
        log.failed(m);
        changed();
      }),
      sub.on("subscribed", (event) => {
        log.set({ state: "subscribed", subscribed: event, error: undefined });
        changed();
      }),
      sub.on("lost", (event) => {
        log.set({ lost: event });
        changed();
      }),
      sub.on("error", (error) => {
        log.set({ error });
        changed();
      }),
      sub.on("unsubscribed", () => {
        log.set({ state: "unsubscribed" });
        changed();
      }),
    ];
    if (sub.state === "subscribed" && sub.position) {
      log.set({ state: "subscribed" });
    }
    setView(log.view);
    return () => {
      live = false;
      for (const off of offs) off();
      setView(idleView);
    };
  });

  return view;
}
