/**
 * What a federated module does at mount time: use the page's client when the host made one,
 * else make it from the `hubUrl` it was given, else report — loudly — that nothing is configured.
 * A module that silently renders an empty box is the failure this exists to prevent.
 */
import { type Client, getSharedClient, SwitchboardError } from "@switchboard/client";

export interface PageClientOptions {
  /** Hub WebSocket URL, used only when the page has no client yet (the page's client wins). */
  hubUrl?: string | undefined;
  /** Connection name when this call creates the client. */
  name?: string | undefined;
}

export type PageClientResult =
  | { readonly ok: true; readonly client: Client }
  | { readonly ok: false; readonly error: SwitchboardError };

/** Message of the error when the page has no client and no `hubUrl` was given. */
export const NOT_CONFIGURED =
  "Switchboard is not configured: this page has no Switchboard client and the module was mounted without a hubUrl. " +
  "Create the page's client first (getSharedClient({ urls: [hubUrl] })) or pass mount(element, { hubUrl }).";

/** Never throws: the module decides how to show the failure (role="alert" plus console.error). */
export function resolvePageClient(options: PageClientOptions = {}): PageClientResult {
  try {
    return { ok: true, client: getSharedClient() };
  } catch (error) {
    const noClient = error instanceof SwitchboardError && error.code === "INVALID_ARGUMENT";
    if (!noClient) return { ok: false, error: asSwitchboardError(error) };
  }
  if (!options.hubUrl) return { ok: false, error: new SwitchboardError("INVALID_ARGUMENT", NOT_CONFIGURED) };
  try {
    const clientOptions = options.name
      ? { urls: [options.hubUrl], name: options.name }
      : { urls: [options.hubUrl] };
    return { ok: true, client: getSharedClient(clientOptions) };
  } catch (error) {
    return { ok: false, error: asSwitchboardError(error) };
  }
}

function asSwitchboardError(error: unknown): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  return new SwitchboardError("INVALID_ARGUMENT", error instanceof Error ? error.message : String(error));
}
