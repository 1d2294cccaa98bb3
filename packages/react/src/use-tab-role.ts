import type { TabRole } from "@switchboard/client";
import { useEffect, useState } from "react";
import { useClient } from "./context.js";

/**
 * Whether this tab holds the browser's one hub connection or rides another tab's
 * (docs/client.md, "Tabs"); "off" when the client has a connection of its own.
 */
export function useTabRole(): TabRole {
  const client = useClient();
  const [role, setRole] = useState<TabRole>(() => client.tabRole);
  useEffect(() => {
    setRole(client.tabRole);
    return client.on("tab", (event) => setRole(event.role));
  }, [client]);
  return role;
}
