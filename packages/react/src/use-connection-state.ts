import type { Client, ClientState } from "@switchboard/client";
import { useEffect, useState } from "react";
import { useClient } from "./context.js";

export interface ConnectionView {
  readonly state: ClientState;
  /** Why the previous connection ended, when it did. */
  readonly reason?: string | undefined;
  /** WebSocket close code of the previous connection. */
  readonly code?: number | undefined;
  /** Connection attempts since the last successful connect. */
  readonly attempt?: number | undefined;
  /** True once this component saw the client connected: "reconnecting" rather than "connecting". */
  readonly wasConnected: boolean;
  /** Hub-assigned id of the current connection. */
  readonly clientId: string | undefined;
}

function initial(client: Client): ConnectionView {
  return { state: client.state, wasConnected: client.state === "connected", clientId: client.clientId };
}

/** The provider's client connection state, re-rendering on every `state` event. */
export function useConnectionState(): ConnectionView {
  const client = useClient();
  const [view, setView] = useState<ConnectionView>(() => initial(client));
  useEffect(() => {
    setView((v) => ({ ...initial(client), wasConnected: v.wasConnected || client.state === "connected" }));
    return client.on("state", (event) => {
      setView((v) => ({
        state: event.state,
        reason: event.reason,
        code: event.code,
        attempt: event.attempt,
        wasConnected: v.wasConnected || event.state === "connected",
        clientId: client.clientId,
      }));
    });
  }, [client]);
  return view;
}
