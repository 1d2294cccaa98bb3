/**
 * The per-connection, per-user and per-node limits of docs/protocol.md "Bad input and abuse",
 * each over real sockets: connection limits (429 + Retry-After), requestRatePerSecond on every
 * request type, publishRatePerSecond per user across connections, 4029 that still delivers the
 * acks of stored publishes, presence for subscribers only, /metrics behind the API key, and an
 * HTTP body that drips is cut.
 */
import { connect as tcpConnect } from "node:net";
import { waitFor } from "@switchboard/testkit";
import { afterEach, expect, it } from "vitest";
import WebSocket from "ws";
import { type Frame, RawClient, RawClients } from "../raw-client.js";
import { startTestHub, type TestHub } from "../test-hub.js";

let hub: TestHub | undefined;
const clients = new RawClients();
const connect = (url: string) => clients.connect(url);
afterEach(async () => {
  clients.closeAll();
  await hub?.dispose();
  hub = undefined;
});

/** The HTTP status line and headers of an upgrade attempt. */
function upgradeAnswer(url: string): Promise<{ status: number; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["switchboard.v1"]);
    ws.once("unexpected-response", (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string> });
      ws.terminate();
    });
    ws.once("open", () => {
      resolve({ status: 101, headers: {} });
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

it("answers upgrades over maxConnectionsPerIp / maxConnections with 429 and Retry-After", async () => {
  hub = await startTestHub({ config: { limits: { maxConnectionsPerIp: 2, maxConnections: 3 } } });
  const running = hub;
  await connect(running.url);
  const second = await connect(running.url);
  const refused = await upgradeAnswer(running.url);
  expect(refused.status).toBe(429);
  expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
  // A closed connection frees its place.
  second.close();
  await waitFor("a place again", async () => (await upgradeAnswer(running.url)).status === 101);
  // The node total counts every address: 127.0.0.2 is another IP on loopback.
  hub = await running.restart({ config: { limits: { maxConnections: 1 } } });
  const url = hub.url;
  await connect(url);
  expect((await upgradeAnswer(url.replace("127.0.0.1", "localhost"))).status).toBe(429);
});

it("counts every request type against requestRatePerSecond, then closes with 4029", async () => {
  hub = await startTestHub({ config: { limits: { requestRatePerSecond: 5, rateLimitStrikes: 3 } } });
  const c = await connect(hub.url);
  const frames = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({ type: "history", id: 100 + i, channel: "chat:rate" }),
  );
  c.send(frames.join("\n"));
  expect(await c.waitClosed()).toBe(4029);
  const answers = c.frames.filter((f) => typeof f.id === "number" && (f.id as number) >= 100);
  expect(answers.filter((f) => f.type === "history").length).toBeLessThanOrEqual(5);
  expect(answers.filter((f) => f.code === "RATE_LIMITED").length).toBeGreaterThan(0);
});

it("limits publishes per user across connections, and a 4029 close still delivers acks of stored publishes", async () => {
  hub = await startTestHub({ config: { limits: { publishRatePerSecond: 5, rateLimitStrikes: 2 } } });
  const channel = "chat:per-user";
  // Anonymous: one user per IP, so three connections share five publishes per second.
  const conns = [await connect(hub.url), await connect(hub.url), await connect(hub.url)];
  const replies: Frame[] = await Promise.all(
    conns.flatMap((c) => [0, 1].map(() => c.request({ type: "publish", channel, data: 1 }))),
  );
  expect(replies.filter((r) => r.type === "published").length).toBe(5);
  expect(replies.filter((r) => r.code === "RATE_LIMITED").length).toBe(1);

  // One message of publishes: every one the hub stored is acknowledged before the 4029 close.
  // (A restarted hub: fresh limiters, the same store.)
  clients.closeAll();
  hub = await hub.restart();
  const abuser = await connect(hub.url);
  const start = abuser.frames.length;
  abuser.send(
    Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ type: "publish", id: 500 + i, channel, data: i }),
    ).join("\n"),
  );
  expect(await abuser.waitClosed()).toBe(4029);
  const acked = abuser.frames.slice(start).filter((f) => f.type === "published");
  const watcher = await connect(hub.url);
  const page = await watcher.request({ type: "history", channel, limit: 100 });
  const stored = (page.publications as Frame[]).length;
  // Stored: the five of the first round and the five of the message, each acknowledged.
  expect(acked.length).toBeGreaterThan(0);
  expect(acked.length).toBe(5);
  expect(stored).toBe(5 + acked.length);
});

it("answers presence only to subscribers of the channel", async () => {
  hub = await startTestHub();
  const member = await connect(hub.url);
  const outsider = await connect(hub.url);
  await member.request({ type: "subscribe", channel: "chat:room" });
  expect(await outsider.request({ type: "presence", channel: "chat:room" })).toMatchObject({
    type: "error",
    code: "PERMISSION_DENIED",
  });
  const list = await member.request({ type: "presence", channel: "chat:room" });
  expect(list).toMatchObject({ type: "presence", clients: [{ client: member.clientId }] });
});

it("keeps /metrics behind the API key unless metrics.public, and answers /healthz during pipelined scrapes", async () => {
  hub = await startTestHub({ apiKey: "k" });
  expect((await fetch(`${hub.httpUrl}/metrics`)).status).toBe(401);
  expect((await fetch(`${hub.httpUrl}/metrics`, { headers: { authorization: "Bearer k" } })).status).toBe(
    200,
  );
  const scrapes = Array.from({ length: 200 }, () =>
    fetch(`${hub?.httpUrl}/metrics`, { headers: { authorization: "Bearer k" } }).then((r) => r.text()),
  );
  expect((await fetch(`${hub.httpUrl}/healthz`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
  await Promise.all(scrapes);
  const open = await startTestHub({ apiKey: "k", config: { metrics: { public: true } } });
  try {
    expect((await fetch(`${open.httpUrl}/metrics`)).status).toBe(200);
  } finally {
    await open.dispose();
  }
});

it("cuts an HTTP request whose body drips past httpRequestTimeoutSeconds", async () => {
  hub = await startTestHub({
    apiKey: "k",
    config: { limits: { httpRequestTimeoutSeconds: 1, httpHeadersTimeoutSeconds: 1 } },
  });
  const socket = tcpConnect(hub.port, "127.0.0.1");
  let answer = "";
  let closed = false;
  socket.on("data", (chunk) => {
    answer += chunk.toString();
  });
  socket.on("close", () => {
    closed = true;
  });
  socket.on("error", () => undefined);
  socket.write(
    "POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
  );
  const drip = setInterval(() => socket.writable && socket.write(" "), 100);
  try {
    await waitFor("the dripping request cut", () => closed, { timeoutMs: 8_000 });
  } finally {
    clearInterval(drip);
    socket.destroy();
  }
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
});
