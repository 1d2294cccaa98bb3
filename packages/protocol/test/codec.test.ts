/** The pure codec, fed raw text. */
import { describe, expect, it } from "vitest";
import { channelMatches, isValidChannel, namespaceOf } from "../src/channel.js";
import { decodeClientMessage, decodeHubMessage, encodeFrame, joinFrames } from "../src/codec.js";
import { CloseCode, UnsubscribeReason } from "../src/codes.js";
import {
  disconnectFrame,
  endedFrame,
  occupancyFrame,
  presenceDiffFrame,
  presenceFrame,
  pubFrame,
} from "../src/hub-frames.js";

describe("decodeClientMessage", () => {
  it("splits NDJSON, ignores empty lines, keeps order", () => {
    const text = '{"type":"connect","id":1}\n\n{"type":"ping"}\n{"type":"presence","id":2,"channel":"a"}\n';
    expect(decodeClientMessage(text).map((r) => (r.ok ? r.frame.type : "bad"))).toEqual([
      "connect",
      "ping",
      "presence",
    ]);
  });
  it("stops at the first fatal line", () => {
    const results = decodeClientMessage('{"type":"ping"}\nnope\n{"type":"ping"}');
    expect(results).toHaveLength(2);
    expect(results[1]).toMatchObject({ ok: false, fatal: true, message: "bad JSON" });
  });
  it("treats non-objects and frames without a string type as fatal", () => {
    for (const text of ["[]", "42", '"x"', "null", '{"id":1}', '{"type":5}'])
      expect(decodeClientMessage(text)[0]).toMatchObject({ ok: false, fatal: true });
  });
  it("ignores unknown types without id and rejects them with one", () => {
    expect(decodeClientMessage('{"type":"nope"}')[0]).toMatchObject({ ok: false, ignore: true });
    expect(decodeClientMessage('{"type":"nope","id":3}')[0]).toMatchObject({
      ok: false,
      fatal: false,
      id: 3,
    });
  });
  it("names the field in every complaint", () => {
    const msg = (frame: object) => {
      const r = decodeClientMessage(JSON.stringify(frame))[0];
      return r && !r.ok ? r.message : "ok";
    };
    expect(msg({ type: "publish", id: 1, channel: "a" })).toMatch(/^data/);
    expect(msg({ type: "publish", id: 1.5, channel: "a", data: 1 })).toMatch(/^id/);
    expect(msg({ type: "subscribe", id: 1, channel: "a b" })).toMatch(/^channel/);
    expect(msg({ type: "subscribe", id: 1, channel: "a", since: { epoch: "e" } })).toMatch(/^since.offset/);
    expect(msg({ type: "connect", id: 1, version: 2 })).toMatch(/^version/);
    expect(msg({ type: "history", id: 1, channel: "a", limit: "10" })).toMatch(/^limit/);
    expect(msg({ type: "publish", id: 1, channel: "a", data: null, key: "" })).toMatch(/^key/);
    for (const rewind of [0, -1, 1.5, "3", null])
      expect(msg({ type: "subscribe", id: 1, channel: "a", rewind })).toMatch(/^rewind/);
  });
  it("keeps rewind on subscribe, next to since", () => {
    const since = { epoch: "e", offset: 2 };
    expect(
      decodeClientMessage(JSON.stringify({ type: "subscribe", id: 1, channel: "a", rewind: 5, since }))[0],
    ).toEqual({
      ok: true,
      frame: { type: "subscribe", id: 1, channel: "a", since, rewind: 5 },
    });
  });
  it("keeps the presence extensions: connect.presenceDiff and presence.count, booleans only", () => {
    const decode = (frame: object) => decodeClientMessage(JSON.stringify(frame))[0];
    expect(decode({ type: "connect", id: 1, presenceDiff: true })).toEqual({
      ok: true,
      frame: { type: "connect", id: 1, version: 1, presenceDiff: true },
    });
    expect(decode({ type: "presence", id: 2, channel: "a", count: true })).toEqual({
      ok: true,
      frame: { type: "presence", id: 2, channel: "a", count: true },
    });
    // Absent stays absent: an old client's frames decode exactly as before.
    expect(decode({ type: "presence", id: 2, channel: "a" })).toEqual({
      ok: true,
      frame: { type: "presence", id: 2, channel: "a" },
    });
    for (const bad of [1, "true", null, {}]) {
      expect(decode({ type: "connect", id: 1, presenceDiff: bad })).toMatchObject({
        ok: false,
        fatal: false,
        message: "presenceDiff: expected true or false",
      });
      expect(decode({ type: "presence", id: 3, channel: "a", count: bad })).toMatchObject({
        ok: false,
        id: 3,
        message: "count: expected true or false",
      });
    }
  });
  it("accepts data of any JSON type, including null", () => {
    for (const data of [null, 0, "", [], {}, [1, { a: 2 }]])
      expect(
        decodeClientMessage(JSON.stringify({ type: "publish", id: 1, channel: "a", data }))[0],
      ).toMatchObject({ ok: true });
  });
});

describe("hub messages", () => {
  it("round-trips frames through encode/join/decode and skips junk lines", () => {
    const text = joinFrames([encodeFrame({ type: "ping" }), "junk", encodeFrame({ type: "pong" }), "[1]"]);
    expect(decodeHubMessage(text)).toEqual({ frames: [{ type: "ping" }, { type: "pong" }], invalid: 2 });
  });
});

describe("hub-initiated frames", () => {
  it("builds pub, join/leave, unsubscribed and disconnect exactly as the protocol spells them", () => {
    const info = { client: "c_1", user: "u" };
    const publication = { offset: 3, data: { a: 1 }, info, time: 5, key: "k" };
    expect(encodeFrame(pubFrame("chat:x", publication))).toBe(
      '{"type":"pub","channel":"chat:x","offset":3,"data":{"a":1},"info":{"client":"c_1","user":"u"},"time":5,"key":"k"}',
    );
    expect(presenceFrame("leave", "chat:x", info)).toEqual({ type: "leave", channel: "chat:x", info });
    expect(endedFrame("chat:x", UnsubscribeReason.INSUFFICIENT_STATE)).toEqual({
      type: "unsubscribed",
      channel: "chat:x",
      reason: "insufficient_state",
      resubscribe: true,
    });
    expect(encodeFrame(presenceDiffFrame("chat:x", [info], [{ client: "c_2" }]))).toBe(
      '{"type":"presence_diff","channel":"chat:x","joined":[{"client":"c_1","user":"u"}],"left":[{"client":"c_2"}]}',
    );
    expect(encodeFrame(occupancyFrame("chat:x", 1200))).toBe(
      '{"type":"occupancy","channel":"chat:x","count":1200}',
    );
    expect(encodeFrame(occupancyFrame("chat:x", 0, 7))).toBe(
      '{"type":"occupancy","id":7,"channel":"chat:x","count":0}',
    );
    const decoded = decodeHubMessage(
      joinFrames([
        encodeFrame(presenceDiffFrame("chat:x", [], [info])),
        encodeFrame(occupancyFrame("chat:x", 3)),
      ]),
    );
    expect(decoded.frames.map((f) => f.type)).toEqual(["presence_diff", "occupancy"]);
    expect(disconnectFrame(CloseCode.SHUTDOWN)).toEqual({
      type: "disconnect",
      code: 4100,
      reason: "hub shutting down or draining: connect to another node",
      reconnect: true,
    });
    expect(disconnectFrame(CloseCode.PROTOCOL_VIOLATION, "bad JSON")).toMatchObject({
      reason: "bad JSON",
      reconnect: false,
    });
  });
});

describe("channels", () => {
  it("validates names and finds namespaces", () => {
    expect(isValidChannel("chat:general")).toBe(true);
    expect(isValidChannel("a/b=c@d#e.f-g_h")).toBe(true);
    expect(isValidChannel("")).toBe(false);
    expect(isValidChannel("x".repeat(256))).toBe(false);
    expect(isValidChannel("emoji🙂")).toBe(false);
    expect(namespaceOf("chat:general")).toBe("chat");
    expect(namespaceOf("a:b:c")).toBe("a");
    expect(namespaceOf("bare")).toBe("");
  });
  it("matches permission patterns", () => {
    expect(channelMatches("chat:*", "chat:x")).toBe(true);
    expect(channelMatches("chat:*", "chatty:x")).toBe(false);
    expect(channelMatches("chat:x", "chat:x")).toBe(true);
    expect(channelMatches("*", "anything")).toBe(true);
  });
});
