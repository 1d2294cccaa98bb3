/**
 * A poison publication: `data` nested thousands of levels deep. New ones are refused (deeper
 * than limits.maxDepth → BAD_REQUEST / HTTP 400, never stored); one already in the store (an
 * older hub, a lowered maxDepth) never makes history, /api/history or recovery fail, so an SDK
 * subscriber that was offline across it still gets every message.
 */
import { createClient } from "@switchboard/client";
import { stringifyJson } from "@switchboard/protocol";
import { waitFor } from "@switchboard/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { RawClient } from "../raw-client.js";
import { startTestHub, type TestHub } from "../test-hub.js";

const API_KEY = "poison-key";
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub({ apiKey: API_KEY });
});
afterAll(() => hub.dispose());

/** `levels` nested arrays around a string: the top-level array is level 1. */
function nested(levels: number): unknown {
  let value: unknown = "core";
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

function publishHttp(channel: string, data: unknown): Promise<Response> {
  return fetch(`${hub.httpUrl}/api/publish`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ channel, data }),
  });
}

it("refuses data deeper than maxDepth (32) over WebSocket and HTTP and stores nothing", async () => {
  const channel = "chat:depth";
  const c = await RawClient.connect(hub.url);
  try {
    expect(await c.request({ type: "publish", channel, data: nested(32) })).toMatchObject({
      type: "published",
      offset: 1,
    });
    const refused = await c.request({ type: "publish", channel, data: nested(33) });
    expect(refused).toMatchObject({ type: "error", code: "BAD_REQUEST" });
    expect(String(refused.message)).toMatch(/deeper than 32/);
    const deep = await c.request({ type: "publish", channel, data: { a: nested(4_100) } });
    expect(deep).toMatchObject({ type: "error", code: "BAD_REQUEST" });
    const http = await publishHttp(channel, nested(33));
    expect(http.status).toBe(400);
    expect(await http.json()).toMatchObject({ code: "BAD_REQUEST" });
    expect((await publishHttp(channel, nested(32))).status).toBe(200);
    const page = await c.request({ type: "history", channel, limit: 10 });
    expect(page.offset).toBe(2);
    expect(page.publications).toHaveLength(2);
  } finally {
    c.close();
  }
});

it("serves a stored poison publication again: history, /api/history and an SDK subscriber's recovery", async () => {
  const channel = "chat:poison";
  const publisher = await RawClient.connect(hub.url);
  const client = createClient({ urls: hub.url, WebSocket, tabs: false });
  const received: unknown[] = [];
  try {
    const sub = client.subscribe(channel);
    sub.on("publication", (m) => received.push(m.data));
    await waitFor("subscribed", () => sub.state === "subscribed");
    for (let i = 1; i <= 3; i++) await publisher.request({ type: "publish", channel, data: i });
    await waitFor("3 live messages", () => received.length === 3);

    client.close();
    // Stored behind the hub's back, as an older hub without the depth limit did.
    const poison = { deep: nested(20_000) };
    await hub.broker.append({
      channel,
      data: poison as never,
      history: { size: 1_000, ttlSeconds: 3_600 },
      dedupeSeconds: 60,
    });
    for (let i = 5; i <= 8; i++) await publisher.request({ type: "publish", channel, data: i });

    const page = await publisher.request({ type: "history", channel, limit: 100 });
    expect(page).toMatchObject({ type: "history", offset: 8 });
    expect(page.publications).toHaveLength(8);
    const http = await fetch(`${hub.httpUrl}/api/history?channel=${channel}&limit=100`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(http.status).toBe(200);
    expect(((await http.json()) as { publications: unknown[] }).publications).toHaveLength(8);

    client.connect();
    await waitFor("8 messages after recovery", () => received.length === 8, { timeoutMs: 10_000 });
    expect(received.filter((d) => typeof d === "number")).toEqual([1, 2, 3, 5, 6, 7, 8]);
    expect(stringifyJson(received[3])).toBe(stringifyJson(poison));
    expect(sub.state).toBe("subscribed");
  } finally {
    client.close();
    publisher.close();
  }
});
