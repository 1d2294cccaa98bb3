/**
 * The holding tab's relay in Node over a real hub: riding clients (the ordinary client, over
 * in-memory tab sockets) on one upstream connection. What the browser tests cannot pick apart:
 * a rider's `since` answered from the relay's window or from the hub's history, `rewind`, a
 * wrong epoch told as `lost`, one hub subscription per channel, publishes relayed by key.
 */
import { createHmac } from "node:crypto";
import type { RunningHub } from "@switchboard/hub";
import { waitFor as waitUntil } from "@switchboard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  type Client,
  createClient,
  type Message,
  type SubscribedEvent,
  type Subscription,
} from "../src/index.js";
import type { RelaySession } from "../src/tabs/relay-session.js";
import { TabRelay } from "../src/tabs/tab-relay.js";
import { type SocketRouter, TabSocket } from "../src/tabs/tab-socket.js";
import {
  API_KEY,
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
const relays: TabRelay[] = [];
const riders: Client[] = [];
afterEach(async () => {
  for (const r of riders.splice(0)) r.close();
  for (const r of relays.splice(0)) r.close("test over");
  closeClients();
  for (const h of hubs.splice(0)) await h.close();
  removeTempDirs();
});

async function setup(
  replayWindow = 1_000,
  dataDir = tempDir(),
): Promise<{ running: RunningHub; relay: TabRelay }> {
  const running = await hub({ dataDir });
  hubs.push(running);
  const upstream = createClient({ urls: running.url, WebSocket, tabs: false });
  const relay = new TabRelay(upstream, { replayWindow, historyPageLimit: 2 });
  relays.push(relay);
  return { running, relay };
}

/** A riding client whose sockets are sessions on `relay` (what a TabSocket in the holding tab is). */
function rider(relay: TabRelay): Client {
  const sessions = new Map<TabSocket, RelaySession>();
  const router: SocketRouter = {
    open(socket) {
      const session = relay.attach({
        send: (text) => queueMicrotask(() => socket.deliver(text)),
        close: (code, reason) => queueMicrotask(() => socket.ended(code, reason)),
      });
      sessions.set(socket, session);
      queueMicrotask(() => socket.opened());
    },
    send: (socket, text) => queueMicrotask(() => sessions.get(socket)?.receive(text)),
    close: (socket) => sessions.get(socket)?.linkClosed(),
  };
  const Ctor = class extends TabSocket {
    constructor() {
      super(router, "test-tab");
    }
  };
  const c = createClient({
    urls: "tab://relay",
    WebSocket: Ctor,
    tabs: false,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  riders.push(c);
  return c;
}

function record(sub: Subscription) {
  const seen = {
    publications: [] as Message[],
    subscribed: [] as SubscribedEvent[],
    lost: 0,
    confirmed: [] as Message[],
  };
  sub.on("publication", (m) => seen.publications.push(m));
  sub.on("confirmed", (m) => seen.confirmed.push(m));
  sub.on("subscribed", (e) => seen.subscribed.push(e));
  sub.on("lost", () => seen.lost++);
  return seen;
}
const offsets = (messages: Message[]) => messages.map((m) => m.offset);

async function gauge(running: RunningHub, name: string): Promise<number> {
  const text = await (
    await fetch(`${running.httpUrl}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } })
  ).text();
  return Number(
    text
      .split("\n")
      .find((l) => l.startsWith(`${name} `))
      ?.split(" ")[1] ?? Number.NaN,
  );
}

describe("tab relay", () => {
  it("answers a rider's since from its window when it reaches back, else from the hub's history (paged)", async () => {
    const { running, relay } = await setup(2);
    const channel = "chat:relay-since";
    let epoch = "";
    for (let i = 1; i <= 5; i++) epoch = (await httpPublish(running, channel, `p${i}`)).epoch;
    // The relay's channel is new (empty window): offsets 2..5 come from history, two per page.
    const a = record(rider(relay).subscribe(channel, { since: { epoch, offset: 1 } }));
    await waitFor(() => a.publications.length === 4, "a: recovery from history");
    expect(offsets(a.publications)).toEqual([2, 3, 4, 5]);
    expect(a.subscribed[0]).toMatchObject({ recovered: true, resumed: true, offset: 5 });
    for (let i = 6; i <= 8; i++) await httpPublish(running, channel, `p${i}`);
    await waitFor(() => a.publications.length === 7, "a: live");
    // Window (7, 8) reaches back to 6: answered without history.
    const b = record(rider(relay).subscribe(channel, { since: { epoch, offset: 6 } }));
    // Window does not reach back to 4: history again.
    const c = record(rider(relay).subscribe(channel, { since: { epoch, offset: 3 } }));
    await waitFor(() => b.publications.length === 2 && c.publications.length === 5, "b and c recovered");
    expect(offsets(b.publications)).toEqual([7, 8]);
    expect(offsets(c.publications)).toEqual([4, 5, 6, 7, 8]);
    await httpPublish(running, channel, "p9");
    await waitFor(() => [a, b, c].every((s) => s.publications.at(-1)?.offset === 9), "live after recovery");
    expect(offsets(a.publications)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(offsets(b.publications)).toEqual([7, 8, 9]);
    expect(offsets(c.publications)).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it("answers the subscribe frame itself as the hub would: exactly the publications after since", async () => {
    const { running, relay } = await setup(2);
    const channel = "chat:relay-frames";
    let epoch = "";
    for (let i = 1; i <= 4; i++) epoch = (await httpPublish(running, channel, `p${i}`)).epoch;
    const live = record(rider(relay).subscribe(channel));
    await waitFor(() => live.subscribed.length === 1, "the relay's channel is live");
    for (let i = 5; i <= 7; i++) await httpPublish(running, channel, `p${i}`);
    await waitFor(() => live.publications.length === 3, "window filled (6, 7)");
    const frames: Array<{
      type: string;
      id?: number;
      recovered?: boolean;
      publications?: Array<{ offset: number }>;
    }> = [];
    const session = relay.attach({ send: (text) => frames.push(JSON.parse(text)), close: () => undefined });
    const ask = (id: number, since: number) =>
      session.receive(JSON.stringify({ type: "subscribe", id, channel, since: { epoch, offset: since } }));
    session.receive(JSON.stringify({ type: "connect", id: 1, version: 1 }));
    await waitFor(() => frames.some((f) => f.type === "connected"), "connected");
    ask(2, 5); // the window (6, 7) reaches back
    await waitFor(() => frames.some((f) => f.id === 2), "reply 2");
    session.receive(JSON.stringify({ type: "unsubscribe", id: 3, channel }));
    ask(4, 1); // it does not: history, in pages of two
    await waitFor(() => frames.some((f) => f.id === 4), "reply 4");
    const reply = (id: number) => frames.find((f) => f.id === id && f.type === "subscribed");
    expect(reply(2)?.publications?.map((p) => p.offset)).toEqual([6, 7]);
    expect(reply(2)?.recovered).toBe(true);
    expect(reply(4)?.publications?.map((p) => p.offset)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(reply(4)?.recovered).toBe(true);
    session.linkClosed();
  });

  it("rewind gives the last K; a position of another epoch is lost, never a partial stream", async () => {
    const { running, relay } = await setup();
    const channel = "chat:relay-rewind";
    for (let i = 1; i <= 6; i++) await httpPublish(running, channel, `p${i}`);
    const r = record(rider(relay).subscribe(channel, { rewind: 3 }));
    await waitFor(() => r.publications.length === 3, "rewind");
    expect(offsets(r.publications)).toEqual([4, 5, 6]);
    expect(r.subscribed[0]).toMatchObject({ recovered: false, resumed: false });
    const l = record(rider(relay).subscribe(channel, { since: { epoch: "not-this-one", offset: 2 } }));
    await waitFor(() => l.lost === 1, "lost");
    expect(l.subscribed[0]).toMatchObject({ recovered: false, resumed: true, offset: 6 });
    expect(l.publications).toEqual([]);
  });

  it("one hub subscription per channel for all riders; the last unsubscribe ends it", async () => {
    const { running, relay } = await setup();
    const channel = "chat:relay-count";
    const subs = [rider(relay), rider(relay), rider(relay)].map((c) => c.subscribe(channel));
    await waitFor(() => subs.every((s) => s.state === "subscribed"), "subscribed");
    expect(await gauge(running, "switchboard_connections")).toBe(1);
    expect(await gauge(running, "switchboard_subscriptions")).toBe(1);
    for (const s of subs) s.unsubscribe();
    await waitUntil(
      "the hub subscription to end",
      async () => (await gauge(running, "switchboard_subscriptions")) === 0,
    );
  });

  it("relays publishes under the rider's key: pending then confirmed there, plain elsewhere, one append per key", async () => {
    const { running, relay } = await setup();
    const channel = "chat:relay-publish";
    const [one, two] = [rider(relay), rider(relay)];
    const s1 = record(one.subscribe(channel));
    const s2 = record(two.subscribe(channel));
    await waitFor(() => s1.subscribed.length === 1 && s2.subscribed.length === 1, "subscribed");
    const [p1, p2] = await Promise.all([
      one.publish(channel, "same", { key: "k-1" }),
      two.publish(channel, "same", { key: "k-1" }),
    ]);
    expect(p1).toEqual(p2);
    await waitFor(() => s1.confirmed.length === 1 && s2.confirmed.length === 1, "both confirmed");
    expect((await httpHistory(running, channel)).publications).toHaveLength(1);
    await one.publish(channel, "from one");
    await waitFor(() => s2.publications.some((m) => m.data === "from one"), "two sees it");
    expect(s1.publications.filter((m) => m.data === "from one").map((m) => m.pending)).toEqual([true]);
    expect(s2.publications.filter((m) => m.data === "from one").map((m) => m.pending)).toEqual([false]);
    expect(one.clientId).toBe(two.clientId); // one connection: the holder's
  });

  it("a hub restart under the relay: riders reconnect with it, resume with since, and a publish made meanwhile lands once", async () => {
    const dataDir = tempDir();
    const { running, relay } = await setup(1_000, dataDir);
    const channel = "chat:relay-restart";
    const publisher = rider(relay);
    const a = record(publisher.subscribe(channel));
    const b = record(rider(relay).subscribe(channel));
    await waitFor(() => a.subscribed.length === 1 && b.subscribed.length === 1, "subscribed");
    for (let i = 1; i <= 3; i++) await httpPublish(running, channel, `p${i}`);
    await waitFor(() => a.publications.length === 3 && b.publications.length === 3, "before the restart");
    hubs.splice(hubs.indexOf(running), 1);
    const again = await restart(running, dataDir);
    hubs.push(again);
    // Published while the relay may still be reconnecting: retried under its key until it lands.
    const sent = publisher.publish(channel, "meanwhile");
    for (let i = 4; i <= 5; i++) await httpPublish(again, channel, `p${i}`);
    await sent;
    await waitFor(() => b.publications.length === 6 && a.confirmed.length === 1, "after the restart");
    const texts = (await httpHistory(again, channel)).publications.map((p) => p.data);
    expect(texts.filter((t) => t === "meanwhile")).toHaveLength(1);
    expect(offsets(b.publications)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(b.publications.map((m) => m.data)).toEqual(texts);
    expect(a.subscribed.at(-1)).toMatchObject({ resumed: true, recovered: true });
  });

  it("a hub refusal of the holder's connection (4001) reaches the riders, and their connect() tries the hub again", async () => {
    const secret = "s3cret-s3cret-s3cret-s3cret-s3cret";
    const locked = await hub({ config: { auth: { jwt: { secret } } } });
    hubs.push(locked);
    let token = "not-a-jwt";
    const upstream = createClient({ urls: locked.url, WebSocket, tabs: false, token: () => token });
    upstream.on("error", () => undefined);
    const relay = new TabRelay(upstream, { replayWindow: 10, historyPageLimit: 2 });
    relays.push(relay);
    const c = rider(relay);
    c.on("error", () => undefined);
    // As a client with its own socket would: stopped with the hub's code, not "connecting" forever.
    await expect(nextState(c, "disconnected")).resolves.toMatchObject({ code: 4001 });
    token = hs256({ sub: "u1", channels: ["chat:*"], exp: Math.floor(Date.now() / 1000) + 60 }, secret);
    c.connect();
    await waitFor(() => c.state === "connected", "the rider connected again through the relay");
    await expect(c.publish("chat:refused", "welcome back")).resolves.toMatchObject({ offset: 1 });
  });
});

/** A minimal HS256 JWT (what the hub's `auth.jwt.secret` verifies). */
function hs256(claims: Record<string, unknown>, secret: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}
