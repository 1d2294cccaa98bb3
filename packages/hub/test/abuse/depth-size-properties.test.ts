/**
 * Property tests (fast-check) on depth and sizes, against the pure codec and a live hub:
 * - the depth check agrees with an independent reading of docs/protocol.md (top-level value is
 *   level 1, each array/object inside another adds one) and never throws, at any depth;
 * - stringifyJson writes what JSON.parse reads back, at depths JSON.stringify cannot;
 * - a live hub refuses every publish deeper than maxDepth with BAD_REQUEST and stores it not,
 *   stores every one within it, answers every size around maxFrameBytes with a reply or 1009,
 *   and stays up for a well-formed client. Each property prints its case count.
 */
import { exceedsDepth, stringifyJson } from "@switchboard/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { RawClient } from "../raw-client.js";
import { startTestHub, type TestHub } from "../test-hub.js";

const MAX_DEPTH = 6;
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ config: { limits: { maxDepth: MAX_DEPTH, maxFrameBytes: 8_192 } } });
});
afterAll(() => hub.dispose());

/** Depth by the documented rule, written recursively (fine for the small values generated). */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 1;
  const children = Object.values(value as object).filter((c) => typeof c === "object" && c !== null);
  return 1 + Math.max(0, ...children.map(depthOf));
}

function wrap(levels: number, core: unknown): unknown {
  let value = core;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

function report(name: string, runs: number): void {
  console.log(`property ${name}: ${runs} cases, 0 crashes`);
}

it("exceedsDepth matches the documented depth rule for any JSON value", () => {
  const runs = 2_000;
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 1, max: 14 }), (value, limit) => {
      expect(exceedsDepth(value, limit)).toBe(depthOf(value) > limit);
    }),
    { numRuns: runs },
  );
  report("depth rule", runs);
});

it("exceedsDepth and stringifyJson survive values nested far past the stack", () => {
  const runs = 20;
  fc.assert(
    fc.property(fc.integer({ min: 5_000, max: 40_000 }), fc.jsonValue({ maxDepth: 2 }), (levels, core) => {
      const value = wrap(levels, core);
      expect(exceedsDepth(value, 32)).toBe(true);
      const text = stringifyJson(value);
      expect(text.length).toBeGreaterThan(levels);
      // Round trip: what the hub writes, JSON.parse reads (V8's parser is not recursive).
      expect(stringifyJson(JSON.parse(text))).toBe(text);
    }),
    { numRuns: runs },
  );
  report("deep round trip", runs);
});

it("stringifyJson is JSON.stringify for ordinary values", () => {
  const runs = 2_000;
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      expect(stringifyJson(value)).toBe(JSON.stringify(value));
    }),
    { numRuns: runs },
  );
  report("stringify equivalence", runs);
});

it("a live hub stores exactly the publishes within maxDepth and answers every size", async () => {
  const channel = "chat:props";
  const c = await RawClient.connect(hub.url);
  let stored = 0;
  let runs = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.jsonValue({ maxDepth: 1 }),
        async (levels, core) => {
          runs++;
          const data = wrap(levels, core);
          const reply = await c.request({ type: "publish", channel, data });
          if (depthOf(data) > MAX_DEPTH) expect(reply).toMatchObject({ type: "error", code: "BAD_REQUEST" });
          else {
            expect(reply).toMatchObject({ type: "published" });
            stored++;
          }
        },
      ),
      { numRuns: 300 },
    );
    const page = await c.request({ type: "history", channel, limit: 1_000 });
    expect(page.publications).toHaveLength(stored);
    report("live depth", runs);

    // Sizes around the frame limit: a reply, or 1009 for a message over maxFrameBytes.
    let sizes = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 7_900, max: 8_400 }), async (size) => {
        sizes++;
        const s = await RawClient.connect(hub.url);
        try {
          const prefix = `{"type":"publish","id":9,"channel":"${channel}","data":"`;
          const frame = `${prefix}${"x".repeat(Math.max(0, size - prefix.length - 2))}"}`;
          s.send(frame);
          if (Buffer.byteLength(frame) > 8_192) expect(await s.waitClosed()).toBe(1009);
          else expect(await s.waitFor((f) => f.id === 9)).toMatchObject({ type: "published" });
        } finally {
          s.close();
        }
      }),
      { numRuns: 60 },
    );
    report("live sizes", sizes);
    // Still serving.
    expect((await c.request({ type: "history", channel, limit: 1 })).type).toBe("history");
  } finally {
    c.close();
  }
}, 60_000);
