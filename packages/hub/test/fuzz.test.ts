/**
 * 10,000+ generated malformed frames against a live hub: it never crashes, answers bad requests
 * with a stable code or the documented close code, and serves a well-formed client afterwards;
 * and the pure codec accepts a frame exactly when an independent reading of docs/protocol.md does.
 */

import { type ClientFrameType, decodeClientMessage, ErrorCode } from "@switchboard/protocol";
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
  "refresh",
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

// ---- the codec property -------------------------------------------------------------------
// An independent reading of the client frames of docs/protocol.md ("Frames at a glance"):
// written from the doc, not from validate.ts, so a field the codec forgets to check shows up.

type Check = (value: unknown) => boolean;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const positiveInt: Check = (v) => typeof v === "number" && Number.isSafeInteger(v) && v > 0;
const text =
  (max: number): Check =>
  (v) =>
    typeof v === "string" && v.length >= 1 && v.length <= max;
const channelName: Check = (v) => typeof v === "string" && /^[A-Za-z0-9_.:@#/=-]{1,255}$/.test(v);
const position: Check = (v) =>
  isObject(v) &&
  typeof v.epoch === "string" &&
  v.epoch.length <= 64 &&
  typeof v.offset === "number" &&
  Number.isSafeInteger(v.offset) &&
  v.offset >= 0;
const anyJsonValue: Check = (v) => v !== undefined;
const version1: Check = (v) => v === 1;

interface FrameSchema {
  required: Record<string, Check>;
  optional: Record<string, Check>;
}
/** Keyed by the protocol's own type union, so a new frame type cannot be left out. */
const CLIENT_FRAMES: Record<ClientFrameType, FrameSchema> = {
  connect: {
    required: { id: positiveInt },
    optional: { version: version1, token: text(8192), name: text(128) },
  },
  subscribe: {
    required: { id: positiveInt, channel: channelName },
    optional: { since: position, rewind: positiveInt, token: text(8192) },
  },
  unsubscribe: { required: { id: positiveInt, channel: channelName }, optional: {} },
  publish: {
    required: { id: positiveInt, channel: channelName, data: anyJsonValue },
    optional: { key: text(128) },
  },
  history: {
    required: { id: positiveInt, channel: channelName },
    optional: { since: position, limit: positiveInt },
  },
  presence: { required: { id: positiveInt, channel: channelName }, optional: {} },
  refresh: { required: { id: positiveInt, token: text(8192) }, optional: { channel: channelName } },
  ping: { required: {}, optional: {} },
  pong: { required: {}, optional: {} },
};

/** What is wrong with `input` as a client frame, or undefined when it is well-formed. */
function malformation(input: unknown): string | undefined {
  if (!isObject(input)) return "not an object";
  const schema = Object.hasOwn(CLIENT_FRAMES, String(input.type))
    ? CLIENT_FRAMES[input.type as ClientFrameType]
    : undefined;
  if (!schema) return `unknown type ${JSON.stringify(input.type)}`;
  for (const [field, ok] of Object.entries(schema.required))
    if (!(field in input) || !ok(input[field])) return `${field}: missing or invalid`;
  for (const [field, ok] of Object.entries(schema.optional))
    if (input[field] !== undefined && !ok(input[field])) return `${field}: invalid`;
  return undefined;
}

/** The frame the codec should hand on for a well-formed `input`: its schema fields, unchanged. */
function expectedFrame(input: Record<string, unknown>): Record<string, unknown> {
  const type = input.type as ClientFrameType;
  const schema = CLIENT_FRAMES[type];
  const frame: Record<string, unknown> = { type };
  for (const field of [...Object.keys(schema.required), ...Object.keys(schema.optional)]) {
    const value = input[field];
    if (value === undefined) continue;
    frame[field] =
      isObject(value) && field === "since" ? { epoch: value.epoch, offset: value.offset } : value;
  }
  if (type === "connect") frame.version = 1; // the codec fills in the only version there is
  return frame;
}

const goodChannel = fc.stringMatching(/^[A-Za-z0-9_.:@#/=-]{1,40}$/);
const goodPosition = fc.record({ epoch: fc.string({ maxLength: 64 }), offset: fc.nat() });
const goodId = fc.integer({ min: 1, max: 2 ** 40 });
/** Well-formed frames of every type (optional fields sometimes present). */
const wellFormed = fc.oneof(
  fc.record(
    {
      type: fc.constant("connect"),
      id: goodId,
      version: fc.constant(1),
      token: fc.string({ minLength: 1 }),
      name: fc.string({ minLength: 1, maxLength: 128 }),
    },
    { requiredKeys: ["type", "id"] },
  ),
  fc.record(
    {
      type: fc.constant("subscribe"),
      id: goodId,
      channel: goodChannel,
      since: goodPosition,
      rewind: fc.integer({ min: 1 }),
      token: fc.string({ minLength: 1 }),
    },
    { requiredKeys: ["type", "id", "channel"] },
  ),
  fc.record({ type: fc.constantFrom("unsubscribe", "presence"), id: goodId, channel: goodChannel }),
  fc.record(
    {
      type: fc.constant("publish"),
      id: goodId,
      channel: goodChannel,
      data: anyJson,
      key: fc.string({ minLength: 1, maxLength: 128 }),
    },
    { requiredKeys: ["type", "id", "channel", "data"] },
  ),
  fc.record(
    {
      type: fc.constant("history"),
      id: goodId,
      channel: goodChannel,
      since: goodPosition,
      limit: fc.integer({ min: 1 }),
    },
    { requiredKeys: ["type", "id", "channel"] },
  ),
  fc.record(
    {
      type: fc.constant("refresh"),
      id: goodId,
      token: fc.string({ minLength: 1, maxLength: 8192 }),
      channel: goodChannel,
    },
    { requiredKeys: ["type", "id", "token"] },
  ),
  fc.record({ type: fc.constantFrom("ping", "pong") }),
);
/** A well-formed frame with one field replaced by anything (or removed): mostly malformed. */
const fieldNames = [
  "type",
  "id",
  "channel",
  "data",
  "key",
  "since",
  "limit",
  "rewind",
  "token",
  "name",
  "version",
];
const mutated = fc
  .tuple(
    wellFormed,
    fc.constantFrom(...fieldNames),
    fc.oneof(anyJson, fc.constant(undefined), fc.double(), fc.string({ maxLength: 300 })),
  )
  .map(([frame, field, value]) => ({ ...frame, [field]: value }));

it("the independent frame schema itself accepts well-formed and rejects malformed frames", () => {
  expect(malformation({ type: "publish", id: 1, channel: "chat:a", data: null })).toBeUndefined();
  expect(
    malformation({ type: "history", id: 2, channel: "a", since: { epoch: "e", offset: 0 } }),
  ).toBeUndefined();
  expect(malformation({ type: "publish", id: 1, channel: "chat:a" })).toMatch(/data/);
  expect(malformation({ type: "publish", id: 0, channel: "chat:a", data: 1 })).toMatch(/id/);
  expect(malformation({ type: "subscribe", id: 1, channel: "a b" })).toMatch(/channel/);
  expect(malformation({ type: "history", id: 1, channel: "a", limit: 1.5 })).toMatch(/limit/);
  expect(malformation({ type: "subscribe", id: 1, channel: "a", since: { epoch: 1, offset: 0 } })).toMatch(
    /since/,
  );
  expect(malformation({ type: "connect", id: 1, version: 2 })).toMatch(/version/);
  expect(malformation({ type: "toString", id: 1 })).toMatch(/unknown type/);
});

it("never lets a malformed frame through nor rejects a well-formed one, and hands it on unchanged (pure codec)", () => {
  const accepted = new Map<string, number>();
  fc.assert(
    fc.property(
      fc.oneof(
        garbage,
        mutated.map((f) => JSON.stringify(f)),
      ),
      (message) => {
        const inputs = message.split("\n").filter((line) => line.trim() !== "");
        for (const [i, result] of decodeClientMessage(message).entries()) {
          const line = inputs[i] as string;
          let input: unknown;
          try {
            input = JSON.parse(line);
          } catch {
            expect(result).toMatchObject({ ok: false, fatal: true });
            continue;
          }
          // Accepted exactly when well-formed …
          expect(result.ok ? "accepted" : "rejected", line).toBe(
            malformation(input) ? "rejected" : "accepted",
          );
          if (!result.ok) continue;
          // … and handed on as exactly its schema fields: nothing dropped, added or altered.
          expect(result.frame).toStrictEqual(expectedFrame(input as Record<string, unknown>));
          accepted.set(result.frame.type, (accepted.get(result.frame.type) ?? 0) + 1);
        }
      },
    ),
    { numRuns: 20_000, seed: 7 },
  );
  // The property is not vacuous: frames of every type got through and were checked.
  expect([...accepted.keys()].sort()).toEqual(Object.keys(CLIENT_FRAMES).sort());
});

it("accepts every well-formed frame (pure codec)", () => {
  fc.assert(
    fc.property(wellFormed, (frame) => {
      const [result] = decodeClientMessage(JSON.stringify(frame));
      expect(result, JSON.stringify(frame)).toMatchObject({ ok: true });
    }),
    { numRuns: 5_000, seed: 11 },
  );
});
