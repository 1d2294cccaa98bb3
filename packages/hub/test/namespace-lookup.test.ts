/** A configured hub knows exactly its namespaces: names of Object.prototype members are not among them. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ apiKey: "k3y", config: { namespaces: { chat: {} } } });
});
afterAll(() => hub.dispose());

it("answers UNKNOWN_NAMESPACE (not INTERNAL) for constructor:, __proto__:, toString: channels", async () => {
  const c = await RawClient.connect(hub.url);
  try {
    for (const channel of ["constructor:x", "__proto__:x", "toString:x"]) {
      for (const type of ["subscribe", "publish", "history"]) {
        const reply = await c.request({ type, channel, data: 1, since: { epoch: "e", offset: 0 } });
        expect({ channel, type, code: reply.code }).toEqual({ channel, type, code: "UNKNOWN_NAMESPACE" });
      }
      const res = await fetch(`${hub.httpUrl}/api/publish`, {
        method: "POST",
        headers: { authorization: "Bearer k3y" },
        body: JSON.stringify({ channel, data: 1 }),
      });
      expect(res.status).toBe(404);
    }
  } finally {
    c.close();
  }
});
