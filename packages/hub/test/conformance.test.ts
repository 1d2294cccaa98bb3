/**
 * Conformance: raw protocol frames (docs/protocol.md) over a plain WebSocket against a live hub — every frame
 * type, every reachable error code and every close code.
 */
import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type Frame, RawClient } from "./raw-client.js";
import { startTestHub, type TestHub } from "./test-hub.js";

const clients: RawClient[] = [];
async function connect(hub: TestHub, fields: Record<string, unknown> = {}): Promise<RawClient> {
  const c = await RawClient.connect(hub.url, fields);
  clients.push(c);
  return c;
}
async function open(hub: TestHub, protocols?: string[]): Promise<RawClient> {
  const c = new RawClient(hub.url, protocols);
  clients.push(c);
  await c.opened;
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
let seq = 0;
const channel = (ns = "chat") => `${ns}:t${Date.now().toString(36)}${seq++}`;

describe("open hub (no config)", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ apiKey: "k3y", config: { limits: { connectTimeoutSeconds: 0.3 } } });
  });
  afterAll(() => hub.dispose());

  it("selects the switchboard.v1 subprotocol, and accepts a client that offers none", async () => {
    const a = await open(hub);
    expect(a.ws.protocol).toBe("switchboard.v1");
    const b = await open(hub, []);
    expect(b.ws.protocol).toBe("");
    b.send({ type: "connect", id: 1 });
    expect((await b.waitFor((f) => f.id === 1)).type).toBe("connected");
  });

  it("answers connect with connected", async () => {
    const c = await open(hub);
    const reply = await c.request({ type: "connect", version: 1, name: "test@1" });
    expect(reply).toMatchObject({
      type: "connected",
      id: 1,
      node: hub.node,
      ping: 25,
      limits: { maxFrameBytes: 65536 },
    });
    expect(reply.client).toMatch(/^c_/);
    const other = await connect(hub);
    expect(other.clientId).not.toBe(reply.client);
  });

  it("closes with 4000 when the first frame is not connect", async () => {
    const c = await open(hub);
    c.send({ type: "subscribe", id: 1, channel: "chat:x" });
    expect(await c.waitClosed()).toBe(4000);
    expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4000, reconnect: false });
  });

  it("closes with 4000 when the first frame is of an unknown type without id", async () => {
    const c = await open(hub);
    c.send({ type: "hello" });
    expect(await c.waitClosed()).toBe(4000);
    expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4000, reconnect: false });
  });

  it("closes with 4000 on bad JSON", async () => {
    const c = await connect(hub);
    c.send("{not json");
    expect(await c.waitClosed()).toBe(4000);
    expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4000, reconnect: false });
  });

  it("closes with 4001 when no connect arrives in time", async () => {
    const c = await open(hub);
    expect(await c.waitClosed(3000)).toBe(4001);
    expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4001, reconnect: false });
  });

  it("handles several NDJSON frames of one message in order and ignores empty lines", async () => {
    const c = await open(hub);
    const ch = channel();
    c.send(
      [
        JSON.stringify({ type: "connect", id: 1 }),
        "",
        JSON.stringify({ type: "subscribe", id: 2, channel: ch }),
        JSON.stringify({ type: "publish", id: 3, channel: ch, data: { n: 1 } }),
        "",
      ].join("\n"),
    );
    await c.waitFor((f) => f.type === "pub");
    const types = c.frames.filter((f) => f.type !== "join").map((f) => f.type);
    expect(types.slice(0, 2)).toEqual(["connected", "subscribed"]);
    expect(types).toContain("published");
  });

  it("answers an unknown type with an id by BAD_REQUEST and ignores one without", async () => {
    const c = await connect(hub);
    c.send({ type: "wat" });
    const reply = await c.request({ type: "frobnicate" });
    expect(reply).toMatchObject({ type: "error", code: "BAD_REQUEST" });
    expect(String(reply.message)).toContain("frobnicate");
    expect(c.frames.filter((f) => f.type === "error")).toHaveLength(1);
  });

  it("names the bad field in BAD_REQUEST and keeps the connection open", async () => {
    const c = await connect(hub);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: "subscribe", channel: "bad channel!" }, "channel"],
      [{ type: "subscribe", channel: "" }, "channel"],
      [{ type: "subscribe", channel: "x".repeat(256) }, "channel"],
      [{ type: "publish", channel: "chat:a" }, "data"],
      [{ type: "publish", channel: "chat:a", data: 1, key: 7 }, "key"],
      [{ type: "history", channel: "chat:a", limit: 0 }, "limit"],
      [{ type: "history", channel: "chat:a", since: { epoch: "e", offset: -1 } }, "since.offset"],
      [{ type: "subscribe", channel: "chat:a", since: "yesterday" }, "since"],
      [{ type: "connect" }, "already connected"],
    ];
    for (const [frame, field] of cases) {
      const reply = await c.request(frame);
      expect(reply, JSON.stringify(frame)).toMatchObject({ type: "error", code: "BAD_REQUEST" });
      expect(String(reply.message)).toContain(field);
    }
    c.send({ type: "publish", id: 0, channel: "chat:a", data: 1 });
    const noId = await c.waitFor((f) => f.type === "error" && f.id === undefined);
    expect(noId.message).toContain("id");
    expect((await c.request({ type: "history", channel: "chat:a" })).type).toBe("history");
  });

  it("subscribes, publishes, delivers pub frames in offset order, including to the publisher", async () => {
    const ch = channel();
    const sub = await connect(hub);
    const pub = await connect(hub, { name: "pub@1" });
    const subscribed = await sub.request({ type: "subscribe", channel: ch });
    expect(subscribed).toMatchObject({
      type: "subscribed",
      channel: ch,
      offset: 0,
      recovered: false,
      publications: [],
    });
    expect(typeof subscribed.epoch).toBe("string");
    await pub.request({ type: "subscribe", channel: ch });
    for (let i = 1; i <= 5; i++) {
      const reply = await pub.request({ type: "publish", channel: ch, data: { i } });
      expect(reply).toMatchObject({ type: "published", channel: ch, epoch: subscribed.epoch, offset: i });
    }
    const got = await sub.waitForCount((f) => f.type === "pub" && f.channel === ch, 5);
    expect(got.map((f) => f.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(got[0]).toMatchObject({ data: { i: 1 }, info: { client: pub.clientId, name: "pub@1" } });
    expect(typeof got[0]?.time).toBe("number");
    const own = await pub.waitForCount((f) => f.type === "pub" && f.channel === ch, 5);
    expect(own.map((f) => f.offset)).toEqual([1, 2, 3, 4, 5]);
  });

  it("recovers with since: every publication after since.offset, never partial", async () => {
    const ch = channel();
    const c = await connect(hub);
    const first = await c.request({ type: "subscribe", channel: ch });
    for (let i = 1; i <= 6; i++) await c.request({ type: "publish", channel: ch, data: i });
    const epoch = first.epoch;
    const r = await connect(hub);
    const recovered = await r.request({ type: "subscribe", channel: ch, since: { epoch, offset: 2 } });
    expect(recovered).toMatchObject({ recovered: true, epoch, offset: 6 });
    expect((recovered.publications as Frame[]).map((p) => p.data)).toEqual([3, 4, 5, 6]);
    const whole = await (await connect(hub)).request({
      type: "subscribe",
      channel: ch,
      since: { epoch, offset: 0 },
    });
    expect((whole.publications as Frame[]).map((p) => p.offset)).toEqual([1, 2, 3, 4, 5, 6]);
    const wrong = await (await connect(hub)).request({
      type: "subscribe",
      channel: ch,
      since: { epoch: "other", offset: 2 },
    });
    expect(wrong).toMatchObject({ recovered: false, publications: [], offset: 6, epoch });
    const ahead = await (await connect(hub)).request({
      type: "subscribe",
      channel: ch,
      since: { epoch, offset: 99 },
    });
    expect(ahead).toMatchObject({ recovered: false, publications: [] });
    await c.request({ type: "publish", channel: ch, data: 7 });
    expect((await r.waitFor((f) => f.type === "pub")).offset).toBe(7);
  });

  it("unsubscribes, and reports ALREADY_SUBSCRIBED / NOT_SUBSCRIBED", async () => {
    const ch = channel();
    const c = await connect(hub);
    await c.request({ type: "subscribe", channel: ch });
    expect(await c.request({ type: "subscribe", channel: ch })).toMatchObject({
      type: "error",
      code: "ALREADY_SUBSCRIBED",
    });
    expect(await c.request({ type: "unsubscribe", channel: ch })).toMatchObject({
      type: "unsubscribed",
      channel: ch,
    });
    expect(await c.request({ type: "unsubscribe", channel: ch })).toMatchObject({
      type: "error",
      code: "NOT_SUBSCRIBED",
    });
    await c.request({ type: "publish", channel: ch, data: "after" });
    await c.request({ type: "presence", channel: ch });
    expect(c.pubs(ch)).toHaveLength(0);
  });

  it("deduplicates publishes by key, from any connection and over HTTP", async () => {
    const ch = channel();
    const a = await connect(hub);
    const b = await connect(hub);
    await a.request({ type: "subscribe", channel: ch });
    const first = await a.request({ type: "publish", channel: ch, data: "once", key: "k-1" });
    const again = await b.request({ type: "publish", channel: ch, data: "once", key: "k-1" });
    expect({ ...again, id: 0 }).toEqual({ ...first, id: 0 });
    const http = await fetch(`${hub.httpUrl}/api/publish`, {
      method: "POST",
      headers: { authorization: "Bearer k3y" },
      body: JSON.stringify({ channel: ch, data: "once", key: "k-1" }),
    });
    expect(await http.json()).toEqual({ epoch: first.epoch, offset: first.offset });
    await a.request({ type: "publish", channel: ch, data: "next" });
    const pubs = await a.waitForCount((f) => f.type === "pub", 2);
    expect(pubs.map((p) => p.data)).toEqual(["once", "next"]);
    expect(pubs[0]?.key).toBe("k-1");
  });

  it("pages history forward with since and returns the newest without", async () => {
    const ch = channel();
    const c = await connect(hub);
    let epoch = "";
    for (let i = 1; i <= 10; i++)
      epoch = String((await c.request({ type: "publish", channel: ch, data: i })).epoch);
    const page = await c.request({ type: "history", channel: ch, since: { epoch, offset: 3 }, limit: 4 });
    expect(page).toMatchObject({ type: "history", channel: ch, epoch, offset: 10 });
    expect((page.publications as Frame[]).map((p) => p.offset)).toEqual([4, 5, 6, 7]);
    const newest = await c.request({ type: "history", channel: ch, limit: 3 });
    expect((newest.publications as Frame[]).map((p) => p.offset)).toEqual([8, 9, 10]);
  });

  it("lists presence and sends join/leave to other subscribers", async () => {
    const ch = channel();
    const a = await connect(hub, { name: "a@1" });
    const b = await connect(hub, { name: "b@1" });
    await a.request({ type: "subscribe", channel: ch });
    await b.request({ type: "subscribe", channel: ch });
    const join = await a.waitFor((f) => f.type === "join");
    expect(join).toMatchObject({ channel: ch, info: { client: b.clientId } });
    expect(b.frames.some((f) => f.type === "join" && (f.info as Frame).client === b.clientId)).toBe(false);
    const presence = await a.request({ type: "presence", channel: ch });
    expect((presence.clients as Frame[]).map((p) => p.client).sort()).toEqual(
      [a.clientId, b.clientId].sort(),
    );
    expect(presence.clients).toContainEqual({ client: b.clientId, name: "b@1" });
    b.close();
    const leave = await a.waitFor((f) => f.type === "leave");
    expect(leave).toMatchObject({ channel: ch, info: { client: b.clientId } });
    const after = await a.request({ type: "presence", channel: ch });
    expect((after.clients as Frame[]).map((p) => p.client)).toEqual([a.clientId]);
  });

  it("coalesces frames for one socket produced in one turn into one WebSocket message", async () => {
    const ch = channel();
    const sub = await connect(hub);
    await sub.request({ type: "subscribe", channel: ch });
    const pub = await connect(hub);
    const before = sub.rawMessages.length;
    // 20 publishes in one message: appended in one batch, fanned out in one turn.
    pub.send(
      Array.from({ length: 20 }, (_, i) =>
        JSON.stringify({ type: "publish", id: i + 1, channel: ch, data: i }),
      ).join("\n"),
    );
    const pubs = await sub.waitForCount((f) => f.type === "pub" && f.channel === ch, 20);
    expect(pubs.map((f) => f.data)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const messages = sub.rawMessages.slice(before).filter((m) => m.includes('"pub"'));
    expect(messages.length).toBeLessThan(5);
    expect(messages[0]?.split("\n").length).toBeGreaterThan(1);
  });

  it("answers a client ping with pong", async () => {
    const c = await connect(hub);
    c.send({ type: "ping" });
    await c.waitFor((f) => f.type === "pong");
  });

  it("closes a message larger than maxFrameBytes with 1009 after a disconnect frame", async () => {
    const c = await connect(hub);
    c.send({ type: "publish", id: 9, channel: "chat:big", data: "x".repeat(70_000) });
    expect(await c.waitClosed()).toBe(1009);
    expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 1009, reconnect: true });
  });

  it("serves the HTTP API behind the key, and health endpoints", async () => {
    const ch = channel();
    const unauthorized = await fetch(`${hub.httpUrl}/api/publish`, { method: "POST", body: "{}" });
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ code: "UNAUTHORIZED" });
    const wrong = await fetch(`${hub.httpUrl}/api/history?channel=${ch}`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
    const headers = { authorization: "Bearer k3y" };
    const published = await fetch(`${hub.httpUrl}/api/publish`, {
      method: "POST",
      headers,
      body: JSON.stringify({ channel: ch, data: { via: "http" } }),
    });
    expect(published.status).toBe(200);
    const { epoch, offset } = (await published.json()) as { epoch: string; offset: number };
    expect(offset).toBe(1);
    const bad = await fetch(`${hub.httpUrl}/api/publish`, { method: "POST", headers, body: "{oops" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "BAD_REQUEST" });
    const history = await fetch(
      `${hub.httpUrl}/api/history?channel=${ch}&limit=10&since_epoch=${epoch}&since_offset=0`,
      { headers },
    );
    expect(await history.json()).toMatchObject({
      epoch,
      offset: 1,
      publications: [{ offset: 1, data: { via: "http" } }],
    });
    expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${hub.httpUrl}/readyz`)).status).toBe(200);
    // An API key is configured: /metrics is behind it too (metrics.public opens it).
    expect((await fetch(`${hub.httpUrl}/metrics`)).status).toBe(401);
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`, { headers })).text();
    expect(metrics).toMatch(/switchboard_publishes_total \d+/);
    expect(metrics).toContain("switchboard_connections");
  });

  it("refuses WebSocket upgrades on other paths", async () => {
    const ws = new WebSocket(hub.url.replace("/ws", "/other"));
    const status = await new Promise<number>((resolve) =>
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(404);
  });
});

describe("configured hub", () => {
  let hub: TestHub;
  const secret = "conformance-secret";
  const token = (claims: Record<string, unknown>, exp = "1h") =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));
  beforeAll(async () => {
    hub = await startTestHub({
      config: {
        auth: { jwt: { secret } },
        limits: {
          maxSubscriptions: 2,
          publishRatePerSecond: 3,
          pingIntervalSeconds: 0.25,
          sendBufferBytes: 65_536,
        },
        namespaces: { chat: { maxPayloadBytes: 100 }, quiet: { presence: false, joinLeave: false } },
      },
    });
  });
  afterAll(() => hub.dispose());

  it("requires a valid token at connect: UNAUTHORIZED then close 4001", async () => {
    for (const fields of [
      {},
      { token: "not-a-jwt" },
      { token: await token({ sub: "u1", channels: ["chat:*"] }, "-1m") },
    ]) {
      const c = await open(hub);
      c.send({ type: "connect", id: 1, ...fields });
      expect(await c.waitClosed()).toBe(4001);
      expect(c.frames[0]).toMatchObject({ type: "error", id: 1, code: "UNAUTHORIZED" });
      expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4001, reconnect: false });
    }
  });

  it("enforces channel permissions, namespaces, subscription and payload limits", async () => {
    const c = await connect(hub, { token: await token({ sub: "u42", channels: ["chat:*", "quiet:*"] }) });
    expect(await c.request({ type: "subscribe", channel: "secret:x" })).toMatchObject({
      code: "UNKNOWN_NAMESPACE",
    });
    expect(await c.request({ type: "subscribe", channel: "bare" })).toMatchObject({
      code: "UNKNOWN_NAMESPACE",
    });
    expect(await c.request({ type: "subscribe", channel: "quiet:a" })).toMatchObject({ type: "subscribed" });
    expect(await c.request({ type: "presence", channel: "quiet:a" })).toMatchObject({ code: "BAD_REQUEST" });
    expect(await c.request({ type: "subscribe", channel: "chat:a" })).toMatchObject({ type: "subscribed" });
    expect(await c.request({ type: "subscribe", channel: "chat:b" })).toMatchObject({
      code: "LIMIT_EXCEEDED",
    });
    expect(await c.request({ type: "publish", channel: "chat:a", data: "y".repeat(200) })).toMatchObject({
      code: "LIMIT_EXCEEDED",
    });
    const ok = await c.request({ type: "publish", channel: "chat:a", data: "hi" });
    expect(ok.type).toBe("published");
    const pub = await c.waitFor((f) => f.type === "pub");
    expect(pub.info).toMatchObject({ user: "u42" });
    const limited = await connect(hub, { token: await token({ sub: "u7", channels: ["quiet:*"] }) });
    expect(await limited.request({ type: "subscribe", channel: "chat:a" })).toMatchObject({
      code: "PERMISSION_DENIED",
    });
    expect(await limited.request({ type: "publish", channel: "chat:a", data: 1 })).toMatchObject({
      code: "PERMISSION_DENIED",
    });
    const chanToken = await token({ sub: "u7", channel: "chat:a" });
    expect(await limited.request({ type: "subscribe", channel: "chat:a", token: chanToken })).toMatchObject({
      type: "subscribed",
    });
    expect(await limited.request({ type: "subscribe", channel: "chat:b", token: chanToken })).toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("rate-limits publishes (RATE_LIMITED), then closes abusers with 4029", async () => {
    const c = await connect(hub, { token: await token({ sub: "u1", channels: ["quiet:*"] }) });
    const replies: Frame[] = [];
    for (let i = 0; i < 5; i++)
      replies.push(await c.request({ type: "publish", channel: "quiet:r", data: i }));
    expect(replies.slice(0, 3).every((r) => r.type === "published")).toBe(true);
    expect(replies[3]).toMatchObject({ type: "error", code: "RATE_LIMITED" });
    for (let i = 0; i < 40; i++) c.send({ type: "publish", id: 100 + i, channel: "quiet:r", data: i });
    expect(await c.waitClosed()).toBe(4029);
    expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4029, reconnect: true });
  });

  it("pings every interval and closes a silent client with 4012", async () => {
    const c = await connect(hub, { token: await token({ sub: "u1", channels: [] }) });
    await c.waitFor((f) => f.type === "ping", 2000);
    // This client never answers: after two silent intervals it is closed.
    expect(await c.waitClosed(3000)).toBe(4012);
    expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4012, reconnect: true });
  });

  it("keeps a client that answers pings", async () => {
    const c = await connect(hub, { token: await token({ sub: "u1", channels: [] }) });
    c.ws.on("message", (data) => {
      if (data.toString().includes('"ping"')) c.send({ type: "pong" });
    });
    await c.waitForCount((f) => f.type === "ping", 4, 3000);
    expect(c.closeCode).toBeUndefined();
  });

  it("keeps a client that answered when the hub's event loop stalls for several intervals", async () => {
    const c = await connect(hub, { token: await token({ sub: "u1", channels: [] }) });
    let pings = 0;
    c.ws.on("message", (data) => {
      if (!data.toString().includes('"ping"')) return;
      c.send({ type: "pong" });
      // The hub runs in this process: block it for six intervals right after answering. Its timers
      // run before the pong is read; the client answered, so it must not be closed for it.
      if (++pings === 2) {
        const until = Date.now() + 1_500;
        while (Date.now() < until) {}
      }
    });
    await c.waitForCount((f) => f.type === "ping", 5, 10_000);
    expect(c.closeCode).toBeUndefined();
  });
});

describe("slow consumers", () => {
  it("closes a slow consumer with 4008 and keeps serving the others", async () => {
    const hub = await startTestHub({ config: { limits: { sendBufferBytes: 65_536 } } });
    try {
      const ch = channel("flood");
      const slow = await connect(hub);
      const fast = await connect(hub);
      for (const c of [slow, fast]) await c.request({ type: "subscribe", channel: ch });
      // Stop reading on the slow client's TCP socket so the kernel buffers, then the hub's, fill up.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const big = "z".repeat(60_000);
      let sent = 0;
      while (hub.sessionCount === 2 && sent < 2000) {
        await fast.request({ type: "publish", channel: ch, data: big });
        sent++;
      }
      expect(hub.sessionCount).toBe(1);
      expect(await (await fetch(`${hub.httpUrl}/metrics`)).text()).toContain(
        'switchboard_closes_total{code="4008"} 1',
      );
      await fast.waitForCount((f) => f.type === "pub", sent);
      expect(fast.closeCode).toBeUndefined();
      const again = await fast.request({ type: "publish", channel: ch, data: "still here" });
      expect(again.type).toBe("published");
    } finally {
      await hub.dispose();
    }
  }, 30_000);
});

describe("origins and public-key tokens", () => {
  it("refuses browsers from origins not in allowedOrigins, and accepts listed ones and non-browser clients", async () => {
    const hub = await startTestHub({ config: { allowedOrigins: ["http://localhost:3000"] } });
    try {
      const status = (origin?: string) =>
        new Promise<number>((resolve) => {
          const ws = new WebSocket(hub.url, ["switchboard.v1"], origin ? { origin } : {});
          ws.once("open", () => {
            ws.terminate();
            resolve(101);
          });
          ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
          ws.once("error", () => undefined);
        });
      expect(await status("http://evil.example")).toBe(403);
      expect(await status("http://localhost:3000")).toBe(101);
      expect(await status()).toBe(101);
    } finally {
      await hub.dispose();
    }
  });

  it("verifies RS256 connect tokens against auth.jwt.publicKeyFile", async () => {
    const { generateKeyPair, exportSPKI } = await import("jose");
    const { writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tempDir } = await import("./test-hub.js");
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const keyFile = join(tempDir(), "pub.pem");
    writeFileSync(keyFile, await exportSPKI(publicKey));
    const hub = await startTestHub({ config: { auth: { jwt: { publicKeyFile: keyFile } } } });
    try {
      const token = await new SignJWT({ sub: "rsa-user", channels: ["chat:*"] })
        .setProtectedHeader({ alg: "RS256" })
        .setExpirationTime("5m")
        .sign(privateKey);
      const c = await connect(hub, { token });
      expect(await c.request({ type: "subscribe", channel: "chat:rsa" })).toMatchObject({
        type: "subscribed",
      });
      const forged = await new SignJWT({ sub: "x", channels: ["*"] })
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode("guess"));
      const bad = await open(hub);
      bad.send({ type: "connect", id: 1, token: forged });
      expect(await bad.waitClosed()).toBe(4001);
    } finally {
      await hub.dispose();
    }
  });
});

describe("draining", () => {
  it("sends 4100 with reconnect: true to every client on drain", async () => {
    const hub = await startTestHub();
    const a = await connect(hub);
    const b = await connect(hub);
    const drained = hub.dispose();
    for (const c of [a, b]) {
      expect(await c.waitClosed()).toBe(4100);
      expect(c.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4100, reconnect: true });
    }
    await drained;
  });

  it("answers UNAVAILABLE when the broker cannot take a publish", async () => {
    const hub = await startTestHub();
    const c = await connect(hub);
    await hub.broker.close();
    expect(await c.request({ type: "publish", channel: "chat:x", data: 1 })).toMatchObject({
      type: "error",
      code: "UNAVAILABLE",
    });
    expect((await fetch(`${hub.httpUrl}/readyz`)).status).toBe(503);
    await hub.dispose();
  });
});

describe("namespaces over both transports", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ apiKey: "k3y", config: { namespaces: { chat: { maxPayloadBytes: 100 } } } });
  });
  afterAll(() => hub.dispose());
  const httpPublish = (channel: string, data: unknown) =>
    fetch(`${hub.httpUrl}/api/publish`, {
      method: "POST",
      headers: { authorization: "Bearer k3y" },
      body: JSON.stringify({ channel, data }),
    });

  it("answers UNKNOWN_NAMESPACE (not INTERNAL) for constructor:, __proto__:, toString: channels", async () => {
    const c = await connect(hub);
    for (const name of ["constructor:x", "__proto__:x", "toString:x"]) {
      for (const type of ["subscribe", "publish", "history"]) {
        const reply = await c.request({ type, channel: name, data: 1, since: { epoch: "e", offset: 0 } });
        expect({ name, type, code: reply.code }).toEqual({ name, type, code: "UNKNOWN_NAMESPACE" });
      }
      expect((await httpPublish(name, 1)).status).toBe(404);
    }
  });

  it("refuses an HTTP publish whose data passes the namespace's maxPayloadBytes (413 LIMIT_EXCEEDED)", async () => {
    const big = await httpPublish("chat:http-limit", "x".repeat(200));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: "LIMIT_EXCEEDED" });
    const small = await httpPublish("chat:http-limit", "ok");
    expect(small.status).toBe(200);
    expect(await small.json()).toMatchObject({ offset: 1 });
  });
});
