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

/** A short label for the connection badge. */
export function connectionLabel(view: ConnectionView): string {
  if (view.state === "connected") return "Connected";
  const attempt = view.attempt && view.attempt > 0 ? ` (attempt ${view.attempt})` : "";
  if (view.state === "connecting")
    return view.wasConnected ? `Reconnecting…${attempt}` : `Connecting…${attempt}`;
  return view.wasConnected ? "Offline — reconnecting soon" : "Offline";
}
