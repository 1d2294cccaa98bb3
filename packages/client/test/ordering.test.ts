import type { RunningHub } from "@switchboard/hub";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Message, Subscription } from "../src/index.js";
import { FrameProxy } from "./helpers/frame-proxy.js";
import { client, closeClients, httpPublish, hub, removeTempDirs, waitFor } from "./helpers/hub.js";

let running: RunningHub;
const proxies: FrameProxy[] = [];

beforeAll(async () => {
  running = await hub();
});
afterEach(async () => {
  closeClients();
  for (const p of proxies.splice(0)) await p.close();
});
afterAll(async () => {
  await running.close();
  removeTempDirs();
});

function collect(sub: Subscription): Message[] {
  const got: Message[] = [];
  sub.on("publication", (m) => got.push(m));
  sub.on("confirmed", (m) => got.push(m));
  return got;
}

function subscribed(sub: Subscription): Promise<unknown> {
  return new Promise((resolve) => sub.once("subscribed", resolve));
}

describe("ordering and gap fill", () => {
  it("delivers exactly 1..N in order under concurrent publishers", async () => {
    const receiver = client(running.url);
    const sub = receiver.subscribe("chat:order");
    const got = collect(sub);
    await subscribed(sub);
    const publishers = [client(running.url), client(running.url), client(running.url)];
    const perPublisher = 40;
    await Promise.all([
      ...publishers.map(async (p, i) => {
        for (let n = 0; n < perPublisher; n++) await p.publish("chat:order", { from: i, n });
      }),
      (async () => {
        for (let n = 0; n < perPublisher; n++) await httpPublish(running, "chat:order", { from: "http", n });
      })(),
    ]);
    const total = perPublisher * (publishers.length + 1);
    await waitFor(() => got.length >= total, `${total} publications`);
    expect(got.map((m) => m.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // Each publisher's own messages keep their order too.
    for (const from of [0, 1, 2, "http"]) {
      const ns = got.map((m) => m.data as { from: unknown; n: number }).filter((d) => d.from === from);
      expect(ns.map((d) => d.n)).toEqual(Array.from({ length: perPublisher }, (_, i) => i));
    }
  });

  it("holds back publications after a gap and fills it from history", async () => {
    const proxy = await FrameProxy.start(running.url);
    proxies.push(proxy);
    // The network "loses" two live publications on the way to this subscriber.
    proxy.toClient = (frame) =>
      frame.type === "pub" && (frame.offset === 3 || frame.offset === 5) ? null : frame;
    const receiver = client(proxy.url);
    const sub = receiver.subscribe("chat:gap");
    const got = collect(sub);
    await subscribed(sub);
    for (let i = 1; i <= 7; i++) await httpPublish(running, "chat:gap", i);
    await waitFor(() => got.length >= 7, "7 publications");
    expect(got.map((m) => [m.offset, m.data])).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => [n, n]));
    const histories = proxy.fromClient.filter((f) => f.type === "history");
    expect(histories.length).toBeGreaterThanOrEqual(1);
    expect(histories[0]).toMatchObject({ channel: "chat:gap", since: { offset: 2 } });
  });

  it("resubscribes and reports `lost` when history cannot fill a gap", async () => {
    const small = await hub({ config: { namespaces: { chat: { history: { size: 1, ttlSeconds: 60 } } } } });
    const proxy = await FrameProxy.start(small.url);
    proxies.push(proxy);
    try {
      proxy.toClient = (frame) => (frame.type === "pub" && frame.offset === 2 ? null : frame);
      const receiver = client(proxy.url);
      const sub = receiver.subscribe("chat:unfillable");
      const got = collect(sub);
      const lost: unknown[] = [];
      sub.on("lost", (e) => lost.push(e));
      await subscribed(sub);
      await httpPublish(small, "chat:unfillable", 1);
      await waitFor(() => got.length === 1, "first");
      await httpPublish(small, "chat:unfillable", 2); // dropped on the way
      await httpPublish(small, "chat:unfillable", 3); // held: offset 2 is gone from a 1-entry history
      await waitFor(() => lost.length === 1, "lost");
      expect(lost[0]).toMatchObject({ offset: 3 });
      await httpPublish(small, "chat:unfillable", 4);
      await waitFor(() => got.length === 2, "live after lost");
      expect(got.map((m) => m.data)).toEqual([1, 4]);
      const sent = proxy.fromClient.map((f) => f.type);
      expect(sent.slice(sent.indexOf("history"))).toEqual(["history", "unsubscribe", "subscribe"]);
    } finally {
      await proxy.close();
      await small.close();
    }
  });

  it("drops duplicate and stale publications (dedupe by offset)", async () => {
    const proxy = await FrameProxy.start(running.url);
    proxies.push(proxy);
    // The network delivers every publication twice.
    proxy.toClient = (frame, link) => {
      if (frame.type === "pub") setTimeout(() => link.toClient(frame), 5);
      return frame;
    };
    const receiver = client(proxy.url);
    const sub = receiver.subscribe("chat:dupes");
    const got = collect(sub);
    await subscribed(sub);
    for (let i = 1; i <= 5; i++) await httpPublish(running, "chat:dupes", i);
    await waitFor(() => got.length >= 5, "5 publications");
    await httpPublish(running, "chat:dupes", "last");
    await waitFor(() => got.length >= 6, "the last one");
    expect(got.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("resubscribes with since when the hub ends a subscription with resubscribe: true", async () => {
    const proxy = await FrameProxy.start(running.url);
    proxies.push(proxy);
    const receiver = client(proxy.url);
    const sub = receiver.subscribe("chat:kicked");
    const got = collect(sub);
    const events: unknown[] = [];
    sub.on("subscribed", (e) => events.push(e));
    await waitFor(() => events.length === 1, "subscribed");
    await httpPublish(running, "chat:kicked", 1);
    await waitFor(() => got.length === 1, "first");

    // Make the hub drop the subscription behind the client's back (as after a gap it cannot fill)…
    let dropped = false;
    proxy.toClient = (frame) => {
      if (frame.id !== 900_001) return frame;
      dropped = true;
      return null;
    };
    const [link] = proxy.links;
    if (!link) throw new Error("no proxied connection");
    link.toHub({ type: "unsubscribe", id: 900_001, channel: "chat:kicked" });
    await waitFor(() => dropped, "hub-side unsubscribe");
    await httpPublish(running, "chat:kicked", 2); // missed: the hub has no subscription now
    // …then tell the client the way the hub does.
    link.toClient({
      type: "unsubscribed",
      channel: "chat:kicked",
      reason: "insufficient_state",
      resubscribe: true,
    });
    await waitFor(() => events.length === 2 && got.length === 2, "resubscribed and recovered");
    expect(events[1]).toMatchObject({ offset: 2, recovered: true, resumed: true });
    expect(got.map((m) => m.data)).toEqual([1, 2]);
    expect(proxy.fromClient.filter((f) => f.type === "subscribe").at(-1)).toMatchObject({
      since: { offset: 1 },
    });
  });

  it("ends the subscription when the hub unsubscribes it without resubscribe", async () => {
    const proxy = await FrameProxy.start(running.url);
    proxies.push(proxy);
    const receiver = client(proxy.url);
    const sub = receiver.subscribe("chat:ended");
    await subscribed(sub);
    const ended = new Promise((resolve) => sub.once("unsubscribed", resolve));
    for (const link of proxy.links)
      link.toClient({ type: "unsubscribed", channel: "chat:ended", reason: "kicked" });
    await expect(ended).resolves.toEqual({ reason: "kicked" });
    expect(sub.state).toBe("unsubscribed");
    expect(receiver.getSubscription("chat:ended")).toBeUndefined();
  });

  it("sends a subscribe again when its reply never comes, and then delivers normally", async () => {
    const proxy = await FrameProxy.start(running.url);
    proxies.push(proxy);
    let dropped = 0;
    // The network loses the first `subscribed` reply: the hub did subscribe us, we never heard.
    proxy.toClient = (frame) => (frame.type === "subscribed" && dropped++ === 0 ? null : frame);
    const receiver = client(proxy.url, { requestTimeoutMs: 300 });
    const sub = receiver.subscribe("chat:lost-reply");
    const got = collect(sub);
    await subscribed(sub);
    expect(dropped).toBe(2);
    const subscribes = proxy.fromClient.filter(
      (f) => f.type === "subscribe" && f.channel === "chat:lost-reply",
    );
    expect(subscribes).toHaveLength(2);
    // The retry unsubscribes first, in case the first subscribe did arrive (it did here).
    expect(proxy.fromClient.some((f) => f.type === "unsubscribe" && f.channel === "chat:lost-reply")).toBe(
      true,
    );
    for (let i = 1; i <= 3; i++) await httpPublish(running, "chat:lost-reply", i);
    await waitFor(() => got.length >= 3, "3 publications");
    expect(got.map((m) => m.offset)).toEqual([1, 2, 3]);
  });
});

describe("gap fill on a lossy path", () => {
  it("asks again when a gap-fill history reply never comes, instead of holding everything back", async () => {
    const proxy = await FrameProxy.start(running.url);
    proxies.push(proxy);
    let droppedReplies = 0;
    // The path loses publication 2 and then the reply to the history request that would fill it.
    proxy.toClient = (frame) => {
      if (frame.type === "pub" && frame.offset === 2) return null;
      if (frame.type === "history" && droppedReplies === 0) {
        droppedReplies++;
        return null;
      }
      return frame;
    };
    const receiver = client(proxy.url, { requestTimeoutMs: 300 });
    const sub = receiver.subscribe("chat:lossy-gap");
    const got = collect(sub);
    await subscribed(sub);
    for (let i = 1; i <= 4; i++) await httpPublish(running, "chat:lossy-gap", i);
    await waitFor(() => got.length >= 4, "4 publications", 5_000);
    expect(droppedReplies).toBe(1);
    expect(got.map((m) => m.offset)).toEqual([1, 2, 3, 4]);
  });
});
