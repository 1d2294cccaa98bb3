import { type ConnectionView, connectionLabel } from "./use-connection.js";

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
