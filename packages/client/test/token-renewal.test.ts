/**
 * Token lifetime through the SDK over a real hub (docs/client.md "Tokens"): a token function
 * renews the connection token before `expires` (no reconnect), a per-channel token function
 * answers `token_expired`, and a missed renewal (4005) reconnects with a fresh token — and no
 * publication is lost on any of these paths.
 */
import type { RunningHub } from "@switchboard/hub";
import { type JWTPayload, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import type { Message, Subscription } from "../src/index.js";
import { FrameProxy } from "./helpers/frame-proxy.js";
import { client, closeClients, httpPublish, hub, removeTempDirs, waitFor } from "./helpers/hub.js";

const secret = "client-token-secret";
const key = new TextEncoder().encode(secret);
const sign = (claims: JWTPayload, seconds: number) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(key);

const hubs: RunningHub[] = [];
const proxies: FrameProxy[] = [];
afterEach(async () => {
  closeClients();
  for (const p of proxies.splice(0)) await p.close();
  for (const h of hubs.splice(0)) await h.close();
  removeTempDirs();
});

async function setup(): Promise<{ running: RunningHub; proxy: FrameProxy }> {
  const running = await hub({ config: { auth: { jwt: { secret } } } });
  hubs.push(running);
  const proxy = await FrameProxy.start(running.url);
  proxies.push(proxy);
  return { running, proxy };
}

/** Publishes over HTTP every few ms until stopped; resolves with how many were acked. */
function publishThroughout(running: RunningHub, channel: string) {
  let stopped = false;
  let sent = 0;
  const done = (async () => {
    while (!stopped) {
      await httpPublish(running, channel, sent);
      sent++;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return sent;
  })();
  return {
    stop: async () => {
      stopped = true;
      return done;
    },
  };
}

function received(sub: Subscription): Message[] {
  const seen: Message[] = [];
  sub.on("publication", (m) => seen.push(m));
  return seen;
}

const connects = (proxy: FrameProxy) => proxy.fromClient.filter((f) => f.type === "connect").length;
const dataOf = (messages: Message[]) => messages.map((m) => m.data);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("SDK token lifetime", () => {
  it("getToken keeps one connection past three 3 s token lifetimes, losing nothing", async () => {
    const { running, proxy } = await setup();
    let issued = 0;
    const c = client(proxy.url, {
      getToken: () => {
        issued++;
        return sign({ sub: "alice", channels: ["chat:*"] }, 3);
      },
    });
    const seen = received(c.subscribe("chat:life"));
    await waitFor(() => c.state === "connected", "connected");
    const publisher = publishThroughout(running, "chat:life");
    const end = Date.now() + 10_000; // > three lifetimes
    await waitFor(() => Date.now() > end, "three token lifetimes", 20_000);
    const sent = await publisher.stop();
    await waitFor(() => seen.length === sent, `all ${sent} publications`);
    expect(dataOf(seen)).toEqual(range(sent));
    expect(connects(proxy)).toBe(1);
    expect(proxy.fromClient.filter((f) => f.type === "refresh").length).toBeGreaterThanOrEqual(3);
    expect(issued).toBeGreaterThanOrEqual(4);
  }, 40_000);

  it("a per-channel token function answers token_expired: resubscribed with since, nothing lost", async () => {
    const { running, proxy } = await setup();
    const c = client(proxy.url, { token: () => sign({ sub: "bob", channels: [] }, 600) });
    let channelTokens = 0;
    const sub = c.subscribe("private:bob", {
      token: () => {
        channelTokens++;
        return sign({ sub: "bob", channel: "private:bob" }, 2);
      },
    });
    const seen = received(sub);
    await waitFor(() => sub.state === "subscribed", "subscribed");
    const publisher = publishThroughout(running, "private:bob");
    await waitFor(() => channelTokens >= 3, "two channel-token expiries", 15_000);
    const sent = await publisher.stop();
    await waitFor(() => seen.length === sent, `all ${sent} publications`);
    expect(dataOf(seen)).toEqual(range(sent));
    const subscribes = proxy.fromClient.filter((f) => f.type === "subscribe");
    expect(subscribes.slice(1).every((f) => f.since !== undefined)).toBe(true);
    expect(connects(proxy)).toBe(1);
  }, 30_000);

  it("a renewal that never reaches the hub: 4005, then a reconnect with a fresh token, nothing lost", async () => {
    const { running, proxy } = await setup();
    proxy.toHub = (f) => (f.type === "refresh" ? null : f);
    const c = client(proxy.url, { token: () => sign({ sub: "carol", channels: ["chat:*"] }, 2) });
    const closes: number[] = [];
    c.on("state", (e) => {
      if (e.state === "connecting" && e.code !== undefined) closes.push(e.code);
    });
    const seen = received(c.subscribe("chat:expiring"));
    await waitFor(() => c.state === "connected", "connected");
    const publisher = publishThroughout(running, "chat:expiring");
    await waitFor(() => connects(proxy) >= 2 && c.state === "connected", "reconnected after 4005", 10_000);
    const sent = await publisher.stop();
    await waitFor(() => seen.length === sent, `all ${sent} publications`);
    expect(dataOf(seen)).toEqual(range(sent));
    expect(closes).toContain(4005);
  }, 30_000);
});
