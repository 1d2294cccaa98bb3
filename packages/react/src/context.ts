import { type Client, SwitchboardError } from "@switchboard/client";
import { createContext, type ReactNode, useContext } from "react";

const ClientContext = createContext<Client | undefined>(undefined);

export interface SwitchboardProviderProps {
  /** The page's client (usually `getSharedClient(...)`); the provider never connects or closes it. */
  client: Client;
  children?: ReactNode;
}

/** Makes `client` available to the hooks below it. */
export function SwitchboardProvider({ client, children }: SwitchboardProviderProps) {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

/** The client of the nearest `SwitchboardProvider`; throws (BAD_REQUEST) when there is none. */
export function useClient(): Client {
  const client = useContext(ClientContext);
  if (!client) {
    throw new SwitchboardError(
      "BAD_REQUEST",
      "useClient: no <SwitchboardProvider client={…}> above this component",
    );
  }
  return client;
}
