import { useClient, useConnectionState, useOutbox, usePresence, useSubscription } from "@switchboard/react";
import { startTransition, useEffect, useMemo, useState } from "react";
import { ChannelFeed, type FeedSnapshot } from "./channel-feed.js";
import { ConnectionBadge } from "./connection-badge.js";
import { MessageList } from "./message-list.js";
import { PresenceBar } from "./presence-bar.js";

/** Recent messages the list opens with (the hub's `rewind`; at most the namespace's history size). */
export const REWIND = 100;

/** The receiver's whole UI for one channel: title, connection state, presence, the live list. */
export function ReceiverPanel({ channel }: { channel: string }) {
  const client = useClient();
  const feed = useMemo(() => new ChannelFeed(client, channel), [client, channel]);
  const snapshot = useFeedSnapshot(feed);
  // The feed listens in the effect that takes the subscription: the rewound messages are its first events.
  useSubscription(channel, { rewind: REWIND }, (sub) => {
    feed.start(sub);
    return () => feed.stop();
  });
  const presence = usePresence(channel);
  const connection = useConnectionState();
  const outbox = useOutbox();
  const offline = connection.state !== "connected";
  // A hub that verifies tokens stamps `user` on members and messages; then chosen names are marked.
  const authenticated = useMemo(
    () =>
      presence.members.some((m) => m.user !== undefined) || snapshot.items.some((i) => i.user !== undefined),
    [presence.members, snapshot.items],
  );

  return (
    <section className="sb-rx" aria-label={`Channel ${channel}`}>
      <header className="sb-rx-head">
        <h2 className="sb-rx-title">
          <span aria-hidden="true">#</span>
          {channel}
        </h2>
        <ConnectionBadge view={connection} />
      </header>
      {offline && outbox.queued > 0 && (
        <p className="sb-rx-queued" role="status" data-queued={outbox.queued}>
          {outbox.queued === 1 ? "1 message" : `${outbox.queued} messages`} queued — sent when the hub is back
        </p>
      )}
      <PresenceBar clients={presence.members} count={presence.count} selfId={connection.clientId} />
      {snapshot.history === "failed" && (
        <p className="sb-rx-warning">
          Could not load recent messages ({snapshot.historyError}); retrying on reconnect.
        </p>
      )}
      <MessageList
        items={snapshot.items}
        channel={channel}
        history={snapshot.history}
        authenticated={authenticated}
        offline={offline}
      />
    </section>
  );
}

/**
 * The feed's latest snapshot, rendered as a transition: React renders it in ~5 ms slices and
 * yields to the browser in between, so a burst (the first rows of a page, a flood of messages)
 * never becomes one long task. useSyncExternalStore would force each update into one
 * uninterruptible render; a list that is one frame behind is fine.
 */
function useFeedSnapshot(feed: ChannelFeed): FeedSnapshot {
  const [snapshot, setSnapshot] = useState(feed.getSnapshot);
  useEffect(() => {
    setSnapshot(feed.getSnapshot());
    return feed.subscribe(() => startTransition(() => setSnapshot(feed.getSnapshot())));
  }, [feed]);
  return snapshot;
}
