import type { ClientInfo } from "@switchboard/client";
import { useId } from "react";

const SHOWN = 8;

/**
 * Who else is in the channel (from presence + join/leave), the page's own connection first. A large
 * channel comes with its occupancy count only (docs/protocol.md "Presence at scale"): the count
 * is shown, and whatever members are known.
 */
export function PresenceBar({
  clients,
  count,
  selfId,
}: {
  clients: readonly ClientInfo[];
  /** Present clients in all; may exceed `clients.length` where the list is not kept. */
  count?: number | undefined;
  selfId: string | undefined;
}) {
  const sorted = [...clients].sort((a, b) => Number(b.client === selfId) - Number(a.client === selfId));
  const shown = sorted.slice(0, SHOWN);
  const total = Math.max(count ?? 0, clients.length);
  const labelId = useId();
  return (
    <div className="sb-rx-presence">
      <span className="sb-rx-presence-count" id={labelId}>
        {total} online
      </span>
      <ul className="sb-rx-people" aria-labelledby={labelId}>
        {shown.map((p) => (
          <li key={p.client} className="sb-rx-person" title={p.user ?? p.client}>
            {p.name || p.user || p.client}
            {p.client === selfId && <span className="sb-rx-you"> (you)</span>}
          </li>
        ))}
        {total > shown.length && <li className="sb-rx-person sb-rx-more">+{total - shown.length} more</li>}
      </ul>
    </div>
  );
}
