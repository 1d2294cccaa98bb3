import type { ClientInfo } from "@switchboard/client";
import { useId } from "react";

const SHOWN = 8;

/** Who else is in the channel (from presence + join/leave), the page's own connection first. */
export function PresenceBar({
  clients,
  selfId,
}: {
  clients: readonly ClientInfo[];
  selfId: string | undefined;
}) {
  const sorted = [...clients].sort((a, b) => Number(b.client === selfId) - Number(a.client === selfId));
  const shown = sorted.slice(0, SHOWN);
  const labelId = useId();
  return (
    <div className="sb-rx-presence">
      <span className="sb-rx-presence-count" id={labelId}>
        {clients.length} online
      </span>
      <ul className="sb-rx-people" aria-labelledby={labelId}>
        {shown.map((p) => (
          <li key={p.client} className="sb-rx-person" title={p.user ?? p.client}>
            {p.name || p.user || p.client}
            {p.client === selfId && <span className="sb-rx-you"> (you)</span>}
          </li>
        ))}
        {sorted.length > SHOWN && <li className="sb-rx-person sb-rx-more">+{sorted.length - SHOWN} more</li>}
      </ul>
    </div>
  );
}
