/**
 * Runtime plugin (webpack.config.cjs `runtimePlugins`): a remote that cannot be loaded must never
 * take the host down. Failures while negotiating shared modules skip that remote; failures of a
 * module load are reported (console + a `switchboard:remote-error` event) and still rejected, so
 * the caller — the host's slot, or code doing `import("sender")` — decides what to show.
 */
import type { ModuleFederationRuntimePlugin } from "@module-federation/enhanced/runtime";

export interface RemoteErrorDetail {
  remote: string;
  lifecycle: string;
  message: string;
}

export default function switchboardResilience(): ModuleFederationRuntimePlugin {
  return {
    name: "switchboard-resilience",
    errorLoadRemote(args) {
      const remote = args.remote?.name ?? args.id;
      const message = args.error instanceof Error ? args.error.message : String(args.error);
      console.warn(`[switchboard] ${remote} could not be loaded (${args.lifecycle}): ${message}`);
      if (typeof window !== "undefined") {
        const detail: RemoteErrorDetail = { remote, lifecycle: args.lifecycle, message };
        window.dispatchEvent(new CustomEvent("switchboard:remote-error", { detail }));
      }
      // undefined = no substitute module: for "beforeLoadShare" the runtime then skips this
      // remote's shared modules and carries on; for the other lifecycles the load rejects.
      return undefined;
    },
  };
}
