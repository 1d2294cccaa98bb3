import type { OutboxState } from "@switchboard/client";
import { useEffect, useState } from "react";
import { useClient } from "./context.js";

/**
 * The client's offline outbox: how many publishes wait for the hub (docs/client.md, "Offline"),
 * re-rendering on every "outbox" event.
 */
export function useOutbox(): OutboxState {
  const client = useClient();
  const [state, setState] = useState<OutboxState>(() => client.outbox);
  useEffect(() => {
    setState(client.outbox);
    return client.on("outbox", setState);
  }, [client]);
  return state;
}
