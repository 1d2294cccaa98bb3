/** `namespaces.<ns>.maxPayloadBytes` bounds `data` however it is published: WebSocket or HTTP. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestHub, type TestHub } from "./test-hub.js";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ apiKey: "k3y", config: { namespaces: { chat: { maxPayloadBytes: 100 } } } });
});
afterAll(() => hub.dispose());

it("refuses an HTTP publish whose data passes the namespace's maxPayloadBytes (413 LIMIT_EXCEEDED)", async () => {
  const publish = (data: string) =>
    fetch(`${hub.httpUrl}/api/publish`, {
      method: "POST",
      headers: { authorization: "Bearer k3y" },
      body: JSON.stringify({ channel: "chat:http-limit", data }),
    });
  const big = await publish("x".repeat(200));
  expect(big.status).toBe(413);
  expect(await big.json()).toMatchObject({ code: "LIMIT_EXCEEDED" });
  const small = await publish("ok");
  expect(small.status).toBe(200);
  expect(await small.json()).toMatchObject({ offset: 1 });
});
