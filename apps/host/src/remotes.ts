/**
 * Loading the remotes through the Module Federation runtime, with the URLs from /config.json.
 * Registering with `force` both points the build-time remotes (what `import("sender")` uses) at the
 * run-time URLs and clears a failed load from the runtime's caches, so a retry really refetches.
 */
import { loadRemote, registerRemotes } from "@module-federation/enhanced/runtime";
import type { RemoteName } from "./config.js";

export type RemoteModule = SwitchboardMountable<SwitchboardSenderProps & SwitchboardReceiverProps>;

/** Beyond this a hanging origin counts as down (the page must say so within 10 s). */
export const LOAD_TIMEOUT_MS = 7_000;

const entries = new Map<RemoteName, string>();

export function registerRemoteUrls(remotes: Record<RemoteName, string>): void {
  for (const [name, entry] of Object.entries(remotes) as Array<[RemoteName, string]>)
    entries.set(name, entry);
  registerRemotes(
    [...entries].map(([name, entry]) => ({ name, entry })),
    { force: true },
  );
}

export function remoteEntryUrl(name: RemoteName): string | undefined {
  return entries.get(name);
}

/** Loads `<name>/<name>`; `fresh` drops whatever the runtime cached from a previous (failed) try. */
export async function loadRemoteModule(name: RemoteName, fresh: boolean): Promise<RemoteModule> {
  const entry = entries.get(name);
  if (fresh && entry) registerRemotes([{ name, entry }], { force: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer from ${entry ?? name} within ${LOAD_TIMEOUT_MS / 1000} s`)),
      LOAD_TIMEOUT_MS,
    );
  });
  try {
    const module = await Promise.race([loadRemote<RemoteModule>(`${name}/${name}`), timeout]);
    if (!module || typeof module.mount !== "function") throw new Error(`${name} does not export mount()`);
    return module;
  } finally {
    clearTimeout(timer);
  }
}
