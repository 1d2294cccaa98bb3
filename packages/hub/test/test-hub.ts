/** Starts a real hub on an ephemeral port with a fresh data folder. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HubOptions, type RunningHub, startHub } from "../src/hub.js";

export interface TestHub extends RunningHub {
  readonly dataDir: string;
  /** Closes the hub and removes its data folder. */
  dispose(): Promise<void>;
}

export function tempDir(prefix = "sb-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestHub(options: HubOptions = {}): Promise<TestHub> {
  const dataDir = options.dataDir ?? tempDir();
  const hub = await startHub({ port: 0, logLevel: "silent", ...options, dataDir });
  return Object.assign(Object.create(hub) as RunningHub, {
    dataDir,
    async dispose() {
      await hub.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  }) as TestHub;
}
