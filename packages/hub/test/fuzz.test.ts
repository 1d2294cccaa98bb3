/**
 * 10,000+ generated malformed frames against a live hub: it never crashes, answers bad requests
 * with a stable code or the documented close code, and serves a well-formed client afterwards.
 */

import { ErrorCode } from "@switchboard/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub.dispose());

const types = [
  "connect",
  "subscribe",
  "unsubscribe",
  "publish",
  "history",
  "presence",
  "ping",
  "pong",
  "pub",
  "x",
];
const anyJson = fc.jsonValue({ maxDepth: 3 });
/** Frames that look almost right: known types with wrong, missing or extreme fields. */
const nearFrame = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...types), fc.string(), fc.integer()),
    id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.constant(1)),
    channel: fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constantFrom("chat:a", "a b", "", "x".repeat(256)),
      anyJson,
    ),
    data: anyJson,
    key: fc.oneof(fc.string({ maxLength: 200 }), fc.integer()),
    since: fc.oneof(
      anyJson,
      fc.record({ epoch: fc.oneof(fc.string(), fc.integer()), offset: fc.oneof(fc.integer(), fc.double()) }),
    ),
    limit: fc.oneof(fc.integer(), fc.double(), fc.string()),
    token: fc.oneof(fc.string(), fc.integer()),
  },
  { requiredKeys: [] },
);
const garbage = fc.oneof(
  nearFrame.map((f) => JSON.stringify(f)),
  anyJson.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc
    .array(
      nearFrame.map((f) => JSON.stringify(f)),
      { maxLength: 5 },
    )
    .map((lines) => lines.join("\n")),
);
const codes = new Set<string>(Object.values(ErrorCode));

it("survives 10,000 malformed frames and then serves a well-formed client", async () => {
  const samples = fc.sample(garbage, { numRuns: 10_000, seed: 20261129 });
  let client = await RawClient.connect(hub.url);
  const seen = { errors: 0, closes: 0 };
  let barrier = 2 ** 40; // far above the ids the generator makes, so replies cannot be confused
  for (const text of samples) {
    client.frames.length = 0;
    client.send(text);
    // A request after each sample: its reply proves the hub handled the sample and still answers.
    const id = ++barrier;
    client.send({ type: "presence", id, channel: "chat:fuzz-barrier" });
    await Promise.race([client.waitFor((f) => f.id === id), client.closed]);
    for (const f of client.frames) {
      if (f.type !== "error") continue;
      seen.errors++;
      expect(codes.has(String(f.code)), JSON.stringify(f)).toBe(true);
      expect(f.code, text).not.toBe("INTERNAL");
    }
    if (client.closeCode !== undefined) {
      // Closed for a protocol violation, as documented (bad JSON, not an object, no type, too big).
      expect([4000, 1009]).toContain(client.closeCode);
      expect(client.frames.at(-1), `${client.closeCode} ${JSON.stringify(text)}`).toMatchObject({
        type: "disconnect",
      });
      seen.closes++;
      client = await RawClient.connect(hub.url);
    }
  }
  expect(seen.errors).toBeGreaterThan(1000);
  expect(seen.closes).toBeGreaterThan(100);
  client.close();
  const healthy = await RawClient.connect(hub.url);
  const channel = "chat:after-fuzz";
  await healthy.request({ type: "subscribe", channel });
  expect(await healthy.request({ type: "publish", channel, data: "ok" })).toMatchObject({
    type: "published",
  });
  expect((await healthy.waitFor((f) => f.type === "pub")).data).toBe("ok");
  expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
  healthy.close();
}, 120_000);

it("never lets a malformed frame through validation as well-formed (pure codec, 20,000 runs)", async () => {
  const { decodeClientMessage } = await import("@switchboard/protocol");
  fc.assert(
    fc.property(garbage, (text) => {
      for (const result of decodeClientMessage(text)) {
        if (!result.ok) continue;
        const frame = result.frame;
        if ("id" in frame) expect(Number.isSafeInteger(frame.id) && frame.id > 0).toBe(true);
        if ("channel" in frame) expect(frame.channel).toMatch(/^[A-Za-z0-9_.:@#/=-]{1,255}$/);
      }
    }),
    { numRuns: 20_000, seed: 7 },
  );
});
