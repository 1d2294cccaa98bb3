/**
 * Loading the remotes through the Module Federation runtime, with the URLs from /config.json.
 * Registering with `force` both points the build-time remotes (what `import("sender")` uses) at the
 * run-time URLs and clears a failed load from the runtime's caches, so a retry really refetches.
 */
import {
  getInstance,
  loadRemote,
  registerPlugins,
  registerRemotes,
} from "@module-federation/enhanced/runtime";
import { switchboardContainers } from "@switchboard/client/federation";
import type { ReceiverProps } from "receiver/receiver";
import type { SenderProps } from "sender/sender";
import type { RemoteName } from "./config.js";
import {
  diagnoseEntry,
  IntegrityError,
  integrityPlugin,
  isValidIntegrity,
  pinEntry,
} from "./entry-integrity.js";

/** What the host needs of either remote (their types come through MF DTS, docs/federation.md). */
export interface RemoteModule {
  mount(
    element: HTMLElement,
    props?: SenderProps & ReceiverProps,
  ): (() => void) & { update?: (props: SenderProps & ReceiverProps) => void };
}

/** Beyond this a hanging origin counts as down (the page must say so within 10 s). */
export const LOAD_TIMEOUT_MS = 7_000;

const entries = new Map<RemoteName, string>();

/** Container `switchboard_<name>` under the alias `<name>` (ids on the page cannot shadow it). */
function remote(name: RemoteName, entry: string): { name: string; alias: RemoteName; entry: string } {
  return { name: switchboardContainers[name], alias: name, entry };
}

const pins = new Map<RemoteName, string>();
let integrityPluginRegistered = false;

/** Points the remotes at these URLs; a remote with an `integrity` pin only runs if its entry matches. */
export function registerRemoteUrls(
  remotes: Record<RemoteName, string>,
  integrity: Partial<Record<RemoteName, string>> = {},
): void {
  if (!integrityPluginRegistered) {
    registerPlugins([integrityPlugin()]);
    integrityPluginRegistered = true;
  }
  const registered = getInstance()?.options.remotes ?? [];
  const changed: Array<{ name: string; alias: RemoteName; entry: string }> = [];
  for (const [name, entry] of Object.entries(remotes) as Array<[RemoteName, string]>) {
    entries.set(name, entry);
    const pin = integrity[name];
    if (pin === undefined) pins.delete(name);
    else pins.set(name, pin);
    pinEntry(entry, pin);
    const current = registered.find((remote) => remote.alias === name);
    // Re-registering an unchanged remote only earns a runtime warning.
    if (!current || !("entry" in current) || current.entry !== entry) changed.push(remote(name, entry));
  }
  if (changed.length > 0) registerRemotes(changed, { force: true });
}

/**
 * Loads `<name>/<name>`; `fresh` drops whatever the runtime cached from a previous (failed) try.
 * Rejects with a short reason for people (the runtime's full error is in the console, see
 * resilience-plugin.ts) and the original as `cause`.
 */
export async function loadRemoteModule(name: RemoteName, fresh: boolean): Promise<RemoteModule> {
  const entry = entries.get(name);
  if (fresh && entry) registerRemotes([remote(name, entry)], { force: true });
  const where = entry ?? name;
  const pin = pins.get(name);
  if (pin !== undefined && !isValidIntegrity(pin)) {
    throw new IntegrityError(
      name,
      "its pin in /config.json is not a valid sha256/384/512 hash, so it was not run",
    );
  }
  if (pin !== undefined && entry && /\.json(\?|#|$)/.test(entry)) {
    throw new IntegrityError(
      name,
      "a manifest entry cannot be pinned (pin its remoteEntry.js), so it was not run",
    );
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`No answer from ${where} within ${LOAD_TIMEOUT_MS / 1000} s`)),
      LOAD_TIMEOUT_MS,
    );
  });
  let module: RemoteModule | null;
  try {
    module = await Promise.race([loadRemote<RemoteModule>(`${name}/${name}`), timeout]);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("No answer")) throw error;
    // The browser refuses a script whose hash differs with the same error as a network failure.
    if (pin !== undefined && entry && (await diagnoseEntry(entry, pin)) === "mismatch") {
      throw new IntegrityError(name, `${where} does not match its pinned hash, so it was not run`);
    }
    throw new Error(`Could not load ${where}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (!module || typeof module.mount !== "function") throw new Error(`${where} does not provide mount()`);
  return module;
}
