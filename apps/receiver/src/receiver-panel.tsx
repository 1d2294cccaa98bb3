import { getSharedClient } from "@switchboard/client";
import { useEffect, useMemo, useSyncExternalStore } from "react";
import { ChannelFeed } from "./channel-feed.js";
import { ConnectionBadge } from "./connection-badge.js";
import { MessageList } from "./message-list.js";
import { PresenceBar } from "./presence-bar.js";
import { useConnection } from "./use-connection.js";

/** The receiver's whole UI for one channel: title, connection state, presence, the live list. */
export function ReceiverPanel({ channel }: { channel: string }) {
  const client = getSharedClient();
  const feed = useMemo(() => new ChannelFeed(client, channel), [client, channel]);
  useEffect(() => {
    feed.start();
    return () => feed.stop();
  }, [feed]);
  const snapshot = useSyncExternalStore(feed.subscribe, feed.getSnapshot);
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
