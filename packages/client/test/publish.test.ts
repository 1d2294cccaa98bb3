import type { RunningHub } from "@switchboard/hub";
import { afterEach, describe, expect, it } from "vitest";
import type { FailedMessage, Message } from "../src/index.js";
import { type Frame, FrameProxy } from "./helpers/frame-proxy.js";
import {
  client,
  closeClients,
  httpHistory,
  httpPublish,
  hub,
  nextState,
  removeTempDirs,
  restart,
  tempDir,
  waitFor,
} from "./helpers/hub.js";

const hubs: RunningHub[] = [];
const proxies: FrameProxy[] = [];
afterEach(async () => {
  closeClients();
  for (const p of proxies.splice(0)) await p.close();
  for (const h of hubs.splice(0)) await h.close();
  removeTempDirs();
});

async function started(options: Parameters<typeof hub>[0] = {}): Promise<RunningHub> {
  const h = await hub(options);
  hubs.push(h);
  return h;
}

async function proxied(running: RunningHub): Promise<FrameProxy> {
  const p = await FrameProxy.start(running.url);
  proxies.push(p);
  return p;
}

function keysOf(frames: Array<Record<string, unknown>>, type: string): unknown[] {
  return frames.filter((f) => f.type === type).map((f) => f.key);
}

describe("publish", () => {
  it("resolves with the position and generates a key", async () => {
    const running = await started();
    const proxy = await proxied(running);
    const c = client(proxy.url);
    const first = await c.publish("chat:p", { text: "hi" });
    const second = await c.publish("chat:p", { text: "again" }, { key: "my-key" });
    expect(second).toEqual({ epoch: first.epoch, offset: first.offset + 1 });
    const [k1, k2] = keysOf(proxy.fromClient, "publish");
    expect(k1).toEqual(expect.any(String));
    expect(k2).toBe("my-key");
    // The same key again is deduplicated by the hub: same answer, nothing appended.
    await expect(c.publish("chat:p", { text: "again" }, { key: "my-key" })).resolves.toEqual(second);
    expect((await httpHistory(running, "chat:p")).offset).toBe(2);
  });

  it("is retried across a hub restart and lands exactly once", async () => {
    const dataDir = tempDir();
    let running = await started({ dataDir });
    const c = client(running.url);
    await waitFor(() => c.state === "connected", "connected");
    const result = c.publish("chat:retry", "once");
    await Promise.resolve(); // the coalesced frame has been written to the socket
    hubs.pop();
    running = await restart(running, dataDir); // closes right after the publish was sent
    hubs.push(running);
    const position = await result;
    const history = await httpHistory(running, "chat:retry");
    expect(history.publications.map((p) => p.data)).toEqual(["once"]);
    expect(position).toEqual({ epoch: history.epoch, offset: 1 });
  });

  it("re-sends with the SAME key when the reply is lost, and the hub appends once", async () => {
    const running = await started();
    const proxy = await proxied(running);
    let dropped = 0;
    // The hub appends, but the client never hears back: the connection dies instead.
    proxy.toClient = (frame, link) => {
      if (frame.type === "published" && dropped++ === 0) {
        link.cut();
        return null;
      }
      return frame;
    };
    const c = client(proxy.url);
    const position = await c.publish("chat:lostreply", "exactly-once");
    const keys = keysOf(proxy.fromClient, "publish");
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    const history = await httpHistory(running, "chat:lostreply");
    expect(history.publications.map((p) => [p.offset, p.data, p.key])).toEqual([
      [1, "exactly-once", keys[0]],
    ]);
    expect(position.offset).toBe(1);
  });

  it("retries UNAVAILABLE until it succeeds", async () => {
    const running = await started();
    const proxy = await proxied(running);
    let refused = 0;
    proxy.toHub = (frame, link) => {
      if (frame.type === "publish" && refused < 2) {
        refused++;
        link.toClient({
          type: "error",
          id: frame.id,
          code: "UNAVAILABLE",
          message: "broker down (injected)",
        });
        return null;
      }
      return frame;
    };
    const c = client(proxy.url);
    await expect(c.publish("chat:unavailable", 1)).resolves.toMatchObject({ offset: 1 });
    expect(keysOf(proxy.fromClient, "publish")).toHaveLength(3);
    expect(new Set(keysOf(proxy.fromClient, "publish")).size).toBe(1);
  });

  it("rejects with TIMEOUT after publishTimeoutMs and emits `failed`", async () => {
    const running = await started();
    const proxy = await proxied(running);
    proxy.toHub = (frame) => (frame.type === "publish" ? null : frame); // a hub that never answers
    const c = client(proxy.url, { publishTimeoutMs: 200 });
    const sub = c.subscribe("chat:timeout");
    const failed: FailedMessage[] = [];
    sub.on("failed", (m) => failed.push(m));
    await new Promise((resolve) => sub.once("subscribed", resolve));
    const t0 = Date.now();
    await expect(c.publish("chat:timeout", "x")).rejects.toMatchObject({
      name: "SwitchboardError",
      code: "TIMEOUT",
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ data: "x", pending: true, error: { code: "TIMEOUT" } });
    // The per-call timeout wins over the default.
    await expect(c.publish("chat:timeout", "y", { timeoutMs: 50 })).rejects.toMatchObject({
      code: "TIMEOUT",
    });
  });

  it("rejects refusals at once (no retry) and with CLOSED after close()", async () => {
    const running = await started({
      config: { namespaces: { chat: { maxPayloadBytes: 16 } } },
    });
    const c = client(running.url);
    await expect(c.publish("other:x", 1)).rejects.toMatchObject({ code: "UNKNOWN_NAMESPACE" });
    const sub = c.subscribe("chat:big");
    const failed: FailedMessage[] = [];
    sub.on("failed", (m) => failed.push(m));
    await new Promise((resolve) => sub.once("subscribed", resolve));
    await expect(c.publish("chat:big", "x".repeat(100))).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    expect(failed.map((m) => m.error.code)).toEqual(["LIMIT_EXCEEDED"]);
    await expect(c.publish("bad channel!", 1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(c.publish("chat:big", circular as never)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(failed.map((m) => m.error.code)).toEqual(["LIMIT_EXCEEDED", "INVALID_ARGUMENT"]);

    const inFlight = c.publish("chat:big", "late");
    c.close();
    await expect(inFlight).rejects.toMatchObject({ code: "CLOSED" });
    await expect(c.publish("chat:big", "after")).rejects.toMatchObject({ code: "CLOSED" });
    await expect(c.history("chat:big")).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("refuses a frame larger than the hub's maxFrameBytes locally instead of getting closed (1009)", async () => {
    const running = await started({ config: { limits: { maxFrameBytes: 1024 } } });
    const c = client(running.url);
    await waitFor(() => c.state === "connected", "connected");
    const id = c.clientId;
    await expect(c.publish("chat:huge", "x".repeat(2000))).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    await expect(c.publish("chat:huge", "small")).resolves.toMatchObject({ offset: 1 });
    expect(c.clientId).toBe(id);
  });

  it("coalesces frames issued in the same tick into one message", async () => {
    const running = await started();
    const proxy = await proxied(running);
    const c = client(proxy.url);
    await waitFor(() => c.state === "connected", "connected");
    const before = proxy.fromClientMessages.length;
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.publish("chat:batch", i)));
    const batch = proxy.fromClientMessages.slice(before).filter((m) => m.includes('"publish"'));
    expect(batch).toHaveLength(1);
    expect(batch[0]?.split("\n")).toHaveLength(10);
  });
});

describe("in-page delivery", () => {
  it("shows an own publish at once as pending, then confirms it — never twice", async () => {
    const running = await started();
    const sender = client(running.url);
    const other = client(running.url);
    const mine = sender.subscribe("chat:echo");
    const theirs = other.subscribe("chat:echo");
    await Promise.all([mine, theirs].map((s) => new Promise((resolve) => s.once("subscribed", resolve))));
    const shown: Message[] = [];
    const confirmed: Message[] = [];
    mine.on("publication", (m) => shown.push(m));
    mine.on("confirmed", (m) => confirmed.push(m));
    const elsewhere: Message[] = [];
    theirs.on("publication", (m) => elsewhere.push(m));

    const result = sender.publish("chat:echo", { text: "hello" });
    // Synchronously, before any network round trip.
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ channel: "chat:echo", data: { text: "hello" }, pending: true });
    expect(shown[0]?.offset).toBeUndefined();
    const key = shown[0]?.key;
    expect(key).toEqual(expect.any(String));

    const { offset } = await result;
    await waitFor(() => confirmed.length === 1 && elsewhere.length === 1, "confirmed + delivered elsewhere");
    expect(confirmed[0]).toMatchObject({ key, offset, data: { text: "hello" }, pending: false });
    expect(confirmed[0]?.info?.client).toBe(sender.clientId);
    expect(elsewhere[0]).toMatchObject({ key, offset, pending: false });

    // A later publication from someone else still arrives normally; ours is never repeated.
    await other.publish("chat:echo", { text: "reply" });
    await waitFor(() => shown.length === 2, "the reply");
    expect(shown.map((m) => [m.data, m.pending])).toEqual([
      [{ text: "hello" }, true],
      [{ text: "reply" }, false],
    ]);
    expect(confirmed).toHaveLength(1);
  });

  it("resolves a publish from its own copy when the `published` reply is lost (no TIMEOUT)", async () => {
    const running = await started();
    const proxy = await proxied(running);
    proxy.toClient = (frame) => (frame.type === "published" ? null : frame);
    const c = client(proxy.url, { publishTimeoutMs: 3_000 });
    const sub = c.subscribe("chat:copyproof");
    await new Promise((resolve) => sub.once("subscribed", resolve));
    const confirmed: Message[] = [];
    sub.on("confirmed", (m) => confirmed.push(m));
    const t0 = Date.now();
    const position = await c.publish("chat:copyproof", "proved by the copy");
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(confirmed).toMatchObject([{ data: "proved by the copy", offset: 1, pending: false }]);
    const history = await httpHistory(running, "chat:copyproof");
    expect(position).toEqual({ epoch: history.epoch, offset: 1 });
    expect(sub.position).toEqual(position);
  });

  it("confirms a pending publish that survives a reconnect exactly once", async () => {
    const running = await started();
    const proxy = await proxied(running);
    let cut = false;
    proxy.toHub = (frame, link) => {
      if (frame.type === "publish" && !cut) {
        cut = true;
        setTimeout(() => link.cut(), 20); // after the hub appended, before the client saw anything
      }
      return frame;
    };
    proxy.toClient = (frame) => (cut && (frame.type === "published" || frame.type === "pub") ? null : frame);
    const c = client(proxy.url);
    const sub = c.subscribe("chat:echo2");
    await new Promise((resolve) => sub.once("subscribed", resolve));
    const shown: Message[] = [];
    const confirmed: Message[] = [];
    sub.on("publication", (m) => shown.push(m));
    sub.on("confirmed", (m) => confirmed.push(m));
    const reconnected = nextState(c, "connecting").then(() => {
      proxy.toClient = (frame) => frame;
    });
    const result = await c.publish("chat:echo2", "survivor");
    await reconnected;
    await waitFor(() => confirmed.length === 1, "confirmed");
    expect(result.offset).toBe(1);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.pending).toBe(true);
    expect(confirmed[0]).toMatchObject({ offset: 1, data: "survivor", pending: false });
    expect(sub.position?.offset).toBe(1);
  });
});

describe("in-page delivery when recovery fails", () => {
  it("an own publish answered before a `lost` subscribe reply but landing after it is confirmed once", async () => {
    const running = await started({
      config: { namespaces: { chat: { history: { size: 1, ttlSeconds: 60 } } } },
    });
    const proxy = await proxied(running);
    const c = client(proxy.url);
    const sub = c.subscribe("chat:lostecho");
    const shown: Message[] = [];
    const confirmed: Message[] = [];
    const lost: unknown[] = [];
    sub.on("publication", (m) => shown.push(m));
    sub.on("confirmed", (m) => confirmed.push(m));
    sub.on("lost", (e) => lost.push(e));
    await new Promise((resolve) => sub.once("subscribed", resolve));
    await httpPublish(running, "chat:lostecho", 1);
    await waitFor(() => shown.length === 1, "first");
    c.close();
    await httpPublish(running, "chat:lostecho", 2);
    await httpPublish(running, "chat:lostecho", 3); // history keeps only 3: recovery from 1 fails

    // The hub answers our publish before the (slower) resubscribe; the publish lands above the
    // subscribe's top, so its copy comes live after the `subscribed` reply.
    const stash: Frame[] = [];
    proxy.toClient = (frame, link) => {
      if (frame.type === "subscribed" || (stash.length > 0 && frame.type === "pub")) {
        stash.push(frame);
        return null;
      }
      if (frame.type === "published")
        setTimeout(() => {
          for (const f of stash.splice(0)) link.toClient(f);
        }, 0);
      return frame;
    };
    c.connect();
    await waitFor(() => stash.length === 1, "subscribed reply held back");
    const result = await c.publish("chat:lostecho", "mine");
    expect(result.offset).toBe(4);
    await waitFor(() => lost.length === 1 && sub.position?.offset === 4, "lost, then live");
    await httpPublish(running, "chat:lostecho", 5);
    await waitFor(() => sub.position?.offset === 5, "publication 5");
    expect(shown.map((m) => [m.data, m.pending])).toEqual([
      [1, false],
      ["mine", true],
      [5, false],
    ]);
    expect(confirmed.map((m) => [m.data, m.offset])).toEqual([["mine", 4]]);
  });
});
