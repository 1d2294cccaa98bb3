/** docs/protocol.md: the first frame must be connect; anything else first closes with 4000. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ config: { limits: { connectTimeoutSeconds: 5 } } });
});
afterAll(() => hub.dispose());

it("closes with 4000 when the first frame is of an unknown type without id", async () => {
  const c = new RawClient(hub.url);
  await c.opened;
  c.send({ type: "hello" });
  expect(await c.waitClosed(3000)).toBe(4000);
  expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4000, reconnect: false });
});
