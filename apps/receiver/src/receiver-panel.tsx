import { getSharedClient } from "@switchboard/client";
import { startTransition, useEffect, useMemo, useState } from "react";
import { ChannelFeed, type FeedSnapshot } from "./channel-feed.js";
import { ConnectionBadge } from "./connection-badge.js";
import { MessageList } from "./message-list.js";
import { PresenceBar } from "./presence-bar.js";
import { useConnection } from "./use-connection.js";

/** The receiver's whole UI for one channel: title, connection state, presence, the live list. */
export function ReceiverPanel({ channel }: { channel: string }) {
  const client = getSharedClient();
  const feed = useMemo(() => new ChannelFeed(client, channel), [client, channel]);
  const snapshot = useFeedSnapshot(feed);
  const connection = useConnection(client);

  return (
    <section className="sb-rx" aria-label={`Channel ${channel}`}>
      <header className="sb-rx-head">
        <h2 className="sb-rx-title">
          <span aria-hidden="true">#</span>
          {channel}
        </h2>
        <ConnectionBadge view={connection} />
      </header>
      <PresenceBar clients={snapshot.presence} selfId={client.clientId} />
      {snapshot.history === "failed" && (
        <p className="sb-rx-warning">
          Could not load recent messages ({snapshot.historyError}); retrying on reconnect.
        </p>
      )}
      <MessageList items={snapshot.items} channel={channel} history={snapshot.history} />
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
    const off = feed.subscribe(() => startTransition(() => setSnapshot(feed.getSnapshot())));
    feed.start();
    setSnapshot(feed.getSnapshot());
    return () => {
      off();
      feed.stop();
    };
  }, [feed]);
  return snapshot;
}
