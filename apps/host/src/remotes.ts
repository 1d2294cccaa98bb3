/**
 * Loading the remotes through the Module Federation runtime, with the URLs from /config.json.
 * Registering with `force` both points the build-time remotes (what `import("sender")` uses) at the
 * run-time URLs and clears a failed load from the runtime's caches, so a retry really refetches.
 */
import { getInstance, loadRemote, registerRemotes } from "@module-federation/enhanced/runtime";
import type { RemoteName } from "./config.js";

export type RemoteModule = SwitchboardMountable<SwitchboardSenderProps & SwitchboardReceiverProps>;

/** Beyond this a hanging origin counts as down (the page must say so within 10 s). */
export const LOAD_TIMEOUT_MS = 7_000;

const entries = new Map<RemoteName, string>();

export function registerRemoteUrls(remotes: Record<RemoteName, string>): void {
  const registered = getInstance()?.options.remotes ?? [];
  const changed: Array<{ name: RemoteName; entry: string }> = [];
  for (const [name, entry] of Object.entries(remotes) as Array<[RemoteName, string]>) {
    entries.set(name, entry);
    const current = registered.find((remote) => remote.name === name);
    // Re-registering an unchanged remote only earns a runtime warning.
    if (!current || !("entry" in current) || current.entry !== entry) changed.push({ name, entry });
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
  if (fresh && entry) registerRemotes([{ name, entry }], { force: true });
  const where = entry ?? name;
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
    throw new Error(`Could not load ${where}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (!module || typeof module.mount !== "function") throw new Error(`${where} does not provide mount()`);
  return module;
}
