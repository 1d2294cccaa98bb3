import type { Client } from "@switchboard/client";
import { useEffect, useState } from "react";

export interface ConnectionView {
  state: Client["state"];
  reason?: string | undefined;
  code?: number | undefined;
  attempt?: number | undefined;
  /** True once the page has been connected at least once: "reconnecting" rather than "connecting". */
  wasConnected: boolean;
}

/** The shared client's connection state, re-rendering on every `state` event. */
export function useConnection(client: Client): ConnectionView {
  const [view, setView] = useState<ConnectionView>(() => ({
    state: client.state,
    wasConnected: client.state === "connected",
  }));
  useEffect(() => {
    setView((v) => ({
      ...v,
      state: client.state,
      wasConnected: v.wasConnected || client.state === "connected",
    }));
    return client.on("state", (event) => {
      setView((v) => ({
        state: event.state,
        reason: event.reason,
        code: event.code,
        attempt: event.attempt,
        wasConnected: v.wasConnected || event.state === "connected",
      }));
    });
  }, [client]);
  return view;
}

/** Why sending is not possible right now, in words a person understands. */
export function offlineReason(view: ConnectionView): string {
  const attempt = view.attempt && view.attempt > 0 ? ` (attempt ${view.attempt})` : "";
  const why = view.reason ? `: ${view.reason}` : "";
  if (view.state === "connecting") {
    return view.wasConnected
      ? `Offline — reconnecting to the hub${attempt}${why}`
      : `Connecting to the hub${attempt}…`;
  }
  return `Offline — not connected to the hub${why}`;
}
