/** Drain (SIGTERM) finishes promptly whatever the open HTTP connections are doing. */
import { connect } from "node:net";
import { expect, it } from "vitest";
import { RawClient } from "./raw-client.js";
import { startTestHub } from "./test-hub.js";

it("drains within seconds while an HTTP request is still sending its headers", async () => {
  const hub = await startTestHub();
  const c = await RawClient.connect(hub.url);
  const half = connect(hub.port, "127.0.0.1");
  await new Promise<void>((resolve) => half.once("connect", () => resolve()));
  half.on("error", () => undefined);
  half.write("GET /healthz HTTP/1.1\r\nHost: x\r\n"); // headers never finished
  const started = Date.now();
  const drained = hub.dispose();
  expect(await c.waitClosed()).toBe(4100);
  const outcome = await Promise.race([
    drained.then(() => "drained"),
    new Promise((resolve) => setTimeout(resolve, 8000, "hung")),
  ]);
  half.destroy();
  expect(outcome).toBe("drained");
  expect(Date.now() - started).toBeLessThan(8000);
});
