import type { ConnectionView } from "@switchboard/react";

/** A short label for the connection badge. */
export function connectionLabel(view: ConnectionView): string {
  if (view.state === "connected") return "Connected";
  const attempt = view.attempt && view.attempt > 0 ? ` (attempt ${view.attempt})` : "";
  if (view.state === "connecting")
    return view.wasConnected ? `Reconnecting…${attempt}` : `Connecting…${attempt}`;
  return view.wasConnected ? "Offline — reconnecting soon" : "Offline";
}

/** The page's link to the hub, as a live status next to the channel name. */
export function ConnectionBadge({ view }: { view: ConnectionView }) {
  const tone = view.state === "connected" ? "ok" : view.state === "connecting" ? "warn" : "down";
  return (
    <span className={`sb-rx-badge sb-rx-badge-${tone}`} role="status" title={view.reason}>
      <span className="sb-rx-dot" aria-hidden="true" />
      {connectionLabel(view)}
    </span>
  );
}
