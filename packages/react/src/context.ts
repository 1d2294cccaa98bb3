import { type Client, SwitchboardError } from "@switchboard/client";
import { createContext, createElement, type ReactNode, useContext } from "react";

const ClientContext = createContext<Client | undefined>(undefined);

export interface SwitchboardProviderProps {
  /** The page's client (usually `getSharedClient(...)`); the provider never connects or closes it. */
  client: Client;
  children?: ReactNode;
}

/** Makes `client` available to the hooks below it. */
export function SwitchboardProvider({ client, children }: SwitchboardProviderProps): ReactNode {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/** The client of the nearest `SwitchboardProvider`; throws (INVALID_ARGUMENT) when there is none. */
export function useClient(): Client {
  const client = useContext(ClientContext);
  if (!client) {
    throw new SwitchboardError(
      "INVALID_ARGUMENT",
      "useClient: no <SwitchboardProvider client={…}> above this component",
    );
  }
  return client;
}
