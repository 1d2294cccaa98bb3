/** The kit's in-process test hub (@switchboard/testkit), running this package's source. */
import { startTestHub as startKitHub, type TestHub, type TestHubOptions } from "@switchboard/testkit";
import { startHub } from "../src/hub.js";

export { type TestHub, tempDir } from "@switchboard/testkit";

export function startTestHub(options: Omit<TestHubOptions, "start"> = {}): Promise<TestHub> {
  return startKitHub({ ...options, start: startHub });
}
