/** A real hub in this process on an ephemeral port, with its own data folder; restartable in place. */
import { rmSync } from "node:fs";
import type { HubOptions, RunningHub } from "@switchboard/hub";
import { tempDir } from "./temp-dir.js";

export type StartHub = (options: HubOptions) => Promise<RunningHub>;

export interface TestHubOptions extends HubOptions {
  /**
   * The hub to run. A package's own tests pass the `startHub` of their source (tests import
   * their package relatively); everyone else gets the built @switchboard/hub.
   */
  start?: StartHub;
}

export interface RestartOptions extends HubOptions {
  /** Drain (clients get 4100, reconnect: true) instead of a plain close. */
  drain?: boolean;
  /** Runs while no hub is listening. */
  between?: () => Promise<void>;
}

export interface TestHub extends RunningHub {
  readonly dataDir: string;
  /**
   * Stops this hub and starts a new one on the same port and data folder, with the options it
   * was started with plus `options` (a `dataDir` there moves it). Use the returned hub from then on.
   */
  restart(options?: RestartOptions): Promise<TestHub>;
  /** Closes the hub (if still running) and removes its data folder when the kit made it. */
  dispose(): Promise<void>;
}

const TEST_HUB_DEFAULTS = { port: 0, logLevel: "silent" } as const satisfies HubOptions;

export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const { start, ...hubOptions } = options;
  const ownDir = hubOptions.dataDir === undefined;
  const dataDir = hubOptions.dataDir ?? tempDir();
  const run = start ?? (await import("@switchboard/hub")).startHub;
  return launch(run, { ...TEST_HUB_DEFAULTS, ...hubOptions, dataDir }, ownDir);
}

async function launch(start: StartHub, options: HubOptions, ownDir: boolean): Promise<TestHub> {
  const hub = await start(options);
  const dataDir = options.dataDir as string;
  let running = true;
  let handedOver = false;
  const stop = async (drain: boolean) => {
    if (!running) return;
    running = false;
    await (drain ? hub.drain() : hub.close());
  };
  const extra: Pick<TestHub, "dataDir" | "restart" | "dispose"> = {
    dataDir,
    async restart({ drain = false, between, ...next } = {}) {
      await stop(drain);
      await between?.();
      const nextDir = next.dataDir ?? dataDir;
      handedOver = nextDir === dataDir;
      return launch(start, { ...options, ...next, port: hub.port, dataDir: nextDir }, ownDir && handedOver);
    },
    async dispose() {
      await stop(false);
      if (ownDir && !handedOver) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  // Keeps the hub's own getters (sessionCount, …) live: the wrapper delegates through its prototype.
  return Object.assign(Object.create(hub) as RunningHub, extra);
}
