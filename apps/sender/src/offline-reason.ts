import type { ConnectionView } from "@switchboard/react";

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
