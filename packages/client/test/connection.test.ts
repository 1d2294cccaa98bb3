import { createHmac } from "node:crypto";
import type { RunningHub } from "@switchboard/hub";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { getSharedClient, resetSharedClient, type StateEvent } from "../src/index.js";
import { FrameProxy } from "./helpers/frame-proxy.js";
import { client, closeClients, hub, nextState, removeTempDirs, waitFor } from "./helpers/hub.js";

let running: RunningHub;

beforeAll(async () => {
  running = await hub();
});
afterEach(() => closeClients());
afterAll(async () => {
  await running.close();
  removeTempDirs();
});

describe("connection", () => {
  it("connects with state events and closes", async () => {
    const c = client(running.url, { name: "test@1.0.0" });
    const events: StateEvent[] = [];
    c.on("state", (e) => events.push(e));
    expect(c.state).toBe("disconnected");
    await waitFor(() => c.state === "connected", "connected");
    expect(events.map((e) => e.state)).toEqual(["connecting", "connected"]);
    const [connecting, connected] = events;
    expect(connecting).toMatchObject({ state: "connecting", attempt: 1, delayMs: 0, url: running.url });
    expect(connected).toMatchObject({ state: "connected", node: running.node, url: running.url });
    expect(c.clientId).toMatch(/^c_/);
    expect(c.node).toBe(running.node);

    c.close();
    expect(c.state).toBe("disconnected");
    expect(events.at(-1)).toEqual({ state: "disconnected", reason: "closed by client" });
    expect(c.clientId).toBeUndefined();
  });

  it("subscribes and receives publications from another client, once each, in order", async () => {
    const receiver = client(running.url);
    const sender = client(running.url);
    const sub = receiver.subscribe("chat:basic");
    expect(receiver.subscribe("chat:basic")).toBe(sub);
    const subscribed = new Promise((resolve) => sub.once("subscribed", resolve));
    const got: unknown[] = [];
    sub.on("publication", (m) => got.push(m.data));
    await expect(subscribed).resolves.toMatchObject({ offset: 0, recovered: false, resumed: false });
    expect(sub.state).toBe("subscribed");
    for (let i = 1; i <= 5; i++) await sender.publish("chat:basic", { n: i });
    await waitFor(() => got.length === 5, "5 publications");
    expect(got).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
    expect(sub.position).toEqual({ epoch: expect.any(String), offset: 5 });

    const history = await sub.history({ limit: 2 });
    expect(history.publications.map((m) => m.offset)).toEqual([4, 5]);
    expect(history.publications[0]).toMatchObject({ channel: "chat:basic", pending: false, data: { n: 4 } });
    const present = await sub.presence();
    expect(present.map((p) => p.client)).toContain(receiver.clientId);

    sub.unsubscribe();
    expect(sub.state).toBe("unsubscribed");
    expect(receiver.getSubscription("chat:basic")).toBeUndefined();
    await sender.publish("chat:basic", { n: 6 });
    // After unsubscribe nothing more arrives; a new subscription is a new object.
    const again = receiver.subscribe("chat:basic");
    expect(again).not.toBe(sub);
    await new Promise((resolve) => again.once("subscribed", resolve));
    expect(got).toHaveLength(5);
  });

  it("reports join and leave of other clients", async () => {
    const a = client(running.url);
    const b = client(running.url);
    const subA = a.subscribe("chat:presence");
    await new Promise((resolve) => subA.once("subscribed", resolve));
    const joined = new Promise<{ client: string }>((resolve) => subA.once("join", resolve));
    const subB = b.subscribe("chat:presence");
    await new Promise((resolve) => subB.once("subscribed", resolve));
    expect((await joined).client).toBe(b.clientId);
    const left = new Promise<{ client: string }>((resolve) => subA.once("leave", resolve));
    const bId = b.clientId;
    subB.unsubscribe();
    expect((await left).client).toBe(bId);
  });

  it("rotates over the URL list with backoff until a hub answers", async () => {
    // A port nobody listens on: take a free one from a proxy and close it again.
    const dead = await FrameProxy.start(running.url);
    const deadUrl = dead.url;
    await dead.close();
    const c = client([deadUrl, running.url]);
    const attempts: StateEvent[] = [];
    c.on("state", (e) => attempts.push(e));
    await waitFor(() => c.state === "connected", "connected via the second URL");
    const urls = attempts
      .filter((e) => e.state === "connecting")
      .map((e) => (e.state === "connecting" ? e.url : ""));
    expect(urls.slice(0, 2)).toEqual([deadUrl, running.url]);
    expect(attempts.at(-1)).toMatchObject({ state: "connected", url: running.url });
  });

  it("does not reconnect after 4001 (no credentials) and rejects pending publishes with CLOSED", async () => {
    const locked = await hub({ config: { auth: { jwt: { secret: "s3cret-s3cret-s3cret-s3cret-s3cret" } } } });
    try {
      const c = client(locked.url);
      const errors: string[] = [];
      c.on("error", (e) => errors.push(e.code));
      const publish = c.publish("chat:x", "hello");
      const stopped = await nextState(c, "disconnected");
      expect(stopped).toMatchObject({ state: "disconnected", code: 4001 });
      expect(errors).toContain("UNAUTHORIZED");
      await expect(publish).rejects.toMatchObject({ name: "SwitchboardError", code: "CLOSED" });
      expect(c.state).toBe("disconnected");
    } finally {
      await locked.close();
    }
  });

  it("after 4001, new calls reject at once with CLOSED (hub refused) until the app calls connect()", async () => {
    const secret = "s3cret-s3cret-s3cret-s3cret-s3cret";
    const locked = await hub({ config: { auth: { jwt: { secret } } } });
    try {
      let token = "not-a-jwt";
      const c = client(locked.url, { token: () => token, publishTimeoutMs: 2_000, requestTimeoutMs: 2_000 });
      c.on("error", () => undefined);
      await expect(nextState(c, "disconnected")).resolves.toMatchObject({ code: 4001 });
      const refused = { name: "SwitchboardError", code: "CLOSED", message: expect.stringMatching(/refused/) };
      const t0 = Date.now();
      await expect(c.publish("chat:x", "too late")).rejects.toMatchObject(refused);
      await expect(c.history("chat:x")).rejects.toMatchObject(refused);
      await expect(c.presence("chat:x")).rejects.toMatchObject(refused);
      expect(Date.now() - t0).toBeLessThan(1_000); // not after their timeouts

      token = hs256({ sub: "u1", channels: ["chat:*"], exp: Math.floor(Date.now() / 1000) + 60 }, secret);
      c.connect();
      // Made before the new connection is up: it waits for it, as usual.
      await expect(c.publish("chat:x", "welcome back")).resolves.toMatchObject({ offset: 1 });
      await expect(c.history("chat:x")).resolves.toMatchObject({ offset: 1 });
      // Answered by the hub again (presence is for subscribers only, docs/protocol.md).
      await expect(c.presence("chat:x")).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    } finally {
      await locked.close();
    }
  });

  it("detects a dead hub (no ping for two intervals) and reconnects", async () => {
    const fast = await hub({ config: { limits: { pingIntervalSeconds: 0.5 } } });
    const proxy = await FrameProxy.start(fast.url);
    try {
      const c = client(proxy.url);
      await waitFor(() => c.state === "connected", "connected");
      // Pongs keep a live connection open across several ping intervals.
      const first = c.clientId;
      await waitFor(() => proxy.fromClient.filter((f) => f.type === "pong").length >= 3, "three pongs");
      expect(c.clientId).toBe(first);
      const reconnecting = nextState(c, "connecting");
      proxy.freeze();
      await expect(reconnecting).resolves.toMatchObject({
        code: 4012,
        reason: expect.stringContaining("ping"),
      });
      await waitFor(() => c.state === "connected" && c.clientId !== first, "reconnected");
    } finally {
      await proxy.close();
      await fast.close();
    }
  });

  it("getSharedClient returns one instance per module", () => {
    expect(() => getSharedClient()).toThrowError(/first call/);
    const options = { urls: running.url, WebSocket, autoConnect: false };
    const one = getSharedClient(options);
    expect(getSharedClient()).toBe(one);
    expect(getSharedClient({ ...options, name: "other" })).toBe(one);
    resetSharedClient();
    const two = getSharedClient(options);
    expect(two).not.toBe(one);
    resetSharedClient();
  });
});

/** A minimal HS256 JWT (what the hub's `auth.jwt.secret` verifies). */
function hs256(claims: Record<string, unknown>, secret: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}
