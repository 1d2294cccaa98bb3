// @vitest-environment happy-dom
/**
 * The hooks in a DOM (happy-dom) against a REAL hub in this process: subscriptions are counted by
 * the hub itself (its switchboard_subscriptions gauge), not by the code under test.
 */
import { request } from "node:http";
import { type Client, createClient } from "@switchboard/client";
import { startTestHub, type TestHub } from "@switchboard/testkit";
import { act, cleanup, render, renderHook, waitFor } from "@testing-library/react";
import { createElement, type ReactNode, StrictMode } from "react";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  type ChannelView,
  SwitchboardProvider,
  useChannel,
  useClient,
  useConnectionState,
  usePresence,
  usePublish,
  useTabRole,
} from "../src/index.js";

const API_KEY = "react-test-key";
let hub: TestHub;
const clients: Client[] = [];
let channelSeq = 0;
const freshChannel = () => `chat:react-${++channelSeq}-${Date.now()}`;

beforeAll(async () => {
  hub = await startTestHub({ apiKey: API_KEY });
});

afterEach(() => {
  cleanup();
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  await hub?.dispose();
});

/** Every WebSocket message our clients sent, to count subscribe/unsubscribe frames on the wire. */
const sent: string[] = [];
class RecordingWebSocket extends WebSocket {
  override send(data: string, ...rest: never[]): void {
    sent.push(String(data));
    super.send(data, ...rest);
  }
}
/** Frames of one type for one channel (a message is one frame or, coalesced, an array of them). */
function framesOf(type: string, channel: string): number {
  const frames = sent.flatMap(
    (m) => [JSON.parse(m) as unknown].flat() as Array<{ type?: string; channel?: string }>,
  );
  return frames.filter((f) => f.type === type && f.channel === channel).length;
}

function client(name: string): Client {
  const c = createClient({
    urls: hub.url,
    WebSocket: RecordingWebSocket,
    name,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  clients.push(c);
  return c;
}

/** The hub's own count of live subscriptions (all channels). */
function hubSubscriptions(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${hub.httpUrl}/metrics`,
      { agent: false, headers: { authorization: `Bearer ${API_KEY}` } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          const line = text.split("\n").find((l) => l.startsWith("switchboard_subscriptions "));
          if (!line) reject(new Error(`no switchboard_subscriptions in /metrics (${res.statusCode})`));
          else resolve(Number(line.split(" ")[1]));
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/**
 * Waits until the gauge reads `n`. (/metrics renders at most once a second, so a second read right
 * after would only repeat the first: a brief extra subscription is caught by the frame counts.)
 */
async function expectHubSubscriptions(n: number): Promise<void> {
  await waitFor(async () => expect(await hubSubscriptions()).toBe(n), { timeout: 5_000 });
}

function wrapper(c: Client, strict: boolean) {
  return ({ children }: { children: ReactNode }) => {
    const inner = createElement(SwitchboardProvider, { client: c }, children);
    return strict ? createElement(StrictMode, null, inner) : inner;
  };
}

function Feed({ id, channel, seen }: { id: string; channel: string; seen: Record<string, ChannelView> }) {
  seen[id] = useChannel(channel);
  return null;
}

function Presence({ channel }: { channel: string }) {
  usePresence(channel);
  return null;
}

const texts = (view: ChannelView) => view.messages.map((m) => (m.data as { text: string }).text);

describe("@switchboard/react hooks over a real hub", () => {
  it("useChannel in StrictMode: one subscription on the hub, each publication once, in order", async () => {
    const channel = freshChannel();
    const c = client("strict");
    const other = client("other");
    // Connected first: frames of the double effect would go straight to the wire.
    await waitFor(() => expect(c.state).toBe("connected"));
    const { result } = renderHook(() => useChannel(channel), { wrapper: wrapper(c, true) });
    await waitFor(() => expect(result.current.state).toBe("subscribed"));
    await expectHubSubscriptions(1);
    for (let i = 1; i <= 5; i++) await other.publish(channel, { text: `m${i}` });
    await waitFor(() => expect(texts(result.current)).toEqual(["m1", "m2", "m3", "m4", "m5"]));
    expect(result.current.messages.every((m) => m.status === "confirmed")).toBe(true);
    await expectHubSubscriptions(1);
    // StrictMode's effect → cleanup → effect never reached the wire.
    expect(framesOf("subscribe", channel)).toBe(1);
    expect(framesOf("unsubscribe", channel)).toBe(0);
  });

  it("unmount ends the subscription on the hub; remount makes exactly one again", async () => {
    const channel = freshChannel();
    const c = client("remount");
    const first = renderHook(() => useChannel(channel), { wrapper: wrapper(c, true) });
    await waitFor(() => expect(first.result.current.state).toBe("subscribed"));
    await expectHubSubscriptions(1);
    first.unmount();
    await expectHubSubscriptions(0);
    expect(c.getSubscription(channel)).toBeUndefined();
    expect([framesOf("subscribe", channel), framesOf("unsubscribe", channel)]).toEqual([1, 1]);

    const second = renderHook(() => useChannel(channel), { wrapper: wrapper(c, true) });
    await waitFor(() => expect(second.result.current.state).toBe("subscribed"));
    await expectHubSubscriptions(1);
    await client("other").publish(channel, { text: "after remount" });
    await waitFor(() => expect(texts(second.result.current)).toEqual(["after remount"]));
  });

  it("components sharing a channel share one subscription; it outlives all but the last", async () => {
    const channel = freshChannel();
    const c = client("shared");
    const seen: Record<string, ChannelView> = {};
    const tree = (ids: string[]) =>
      createElement(
        StrictMode,
        null,
        createElement(
          SwitchboardProvider,
          { client: c },
          createElement(Presence, { channel }),
          ...ids.map((id) => createElement(Feed, { key: id, id, channel, seen })),
        ),
      );
    const view = render(tree(["a", "b"]));
    await waitFor(() => expect(seen.b?.state).toBe("subscribed"));
    await expectHubSubscriptions(1);
    view.rerender(tree(["b"]));
    await client("other").publish(channel, { text: "still here" });
    await waitFor(() => expect(seen.b && texts(seen.b)).toEqual(["still here"]));
    await expectHubSubscriptions(1);
    view.unmount();
    await expectHubSubscriptions(0);
  });

  it("rewind: opens with the last K publications, then live ones with no gap or duplicate", async () => {
    const channel = freshChannel();
    const other = client("writer");
    for (let i = 1; i <= 6; i++) await other.publish(channel, { text: `old${i}` });
    const c = client("late");
    const { result } = renderHook(() => useChannel(channel, { rewind: 3 }), { wrapper: wrapper(c, true) });
    await waitFor(() => expect(texts(result.current)).toEqual(["old4", "old5", "old6"]));
    expect(result.current.subscribed?.recovered).toBe(false);
    await other.publish(channel, { text: "live1" });
    await waitFor(() => expect(texts(result.current)).toEqual(["old4", "old5", "old6", "live1"]));
    const offsets = result.current.messages.map((m) => m.offset ?? -1);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(4);
  });

  it("usePublish: own message shows pending, then confirmed in place", async () => {
    const channel = freshChannel();
    const c = client("author");
    const statuses: string[] = [];
    const { result } = renderHook(
      () => {
        const view = useChannel(channel);
        const publish = usePublish(channel);
        const status = view.messages[0]?.status;
        if (status && statuses.at(-1) !== status) statuses.push(status);
        return { view, publish };
      },
      { wrapper: wrapper(c, false) },
    );
    await waitFor(() => expect(result.current.view.state).toBe("subscribed"));
    let sent: Promise<{ offset: number }> | undefined;
    // The act ends after the microtasks of publish (local echo) but before any network reply.
    await act(async () => {
      sent = result.current.publish({ text: "mine" });
      await Promise.resolve();
    });
    expect(result.current.view.messages[0]?.status).toBe("pending");
    const position = await sent;
    await waitFor(() => expect(result.current.view.messages[0]?.status).toBe("confirmed"));
    expect(statuses).toEqual(["pending", "confirmed"]);
    expect(result.current.view.messages).toHaveLength(1);
    expect(result.current.view.messages[0]?.offset).toBe(position?.offset);
  });

  it("usePresence and useConnectionState follow the hub", async () => {
    const channel = freshChannel();
    const c = client("present");
    const { result } = renderHook(() => ({ presence: usePresence(channel), conn: useConnectionState() }), {
      wrapper: wrapper(c, true),
    });
    await waitFor(() => expect(result.current.conn.state).toBe("connected"));
    expect(result.current.conn.clientId).toBe(c.clientId);
    await waitFor(() => expect(result.current.presence.members.map((m) => m.name)).toEqual(["present"]));
    const other = client("visitor");
    other.subscribe(channel);
    await waitFor(() =>
      expect(result.current.presence.members.map((m) => m.name).sort()).toEqual(["present", "visitor"]),
    );
    other.close();
    await waitFor(() => expect(result.current.presence.members.map((m) => m.name)).toEqual(["present"]));
    c.close();
    await waitFor(() => expect(result.current.conn.state).toBe("disconnected"));
    expect(result.current.conn.wasConnected).toBe(true);
  });

  it("usePresence keeps the list up to membersMax, the count above it, and the list again below", async () => {
    const channel = freshChannel();
    const c = client("present");
    const { result } = renderHook(() => usePresence(channel, { membersMax: 2 }), {
      wrapper: wrapper(c, true),
    });
    await waitFor(() => expect(result.current.members.map((m) => m.name)).toEqual(["present"]));
    expect(result.current).toMatchObject({ count: 1, large: false, status: "ready" });
    const first = client("first");
    first.subscribe(channel);
    await waitFor(() =>
      expect(result.current.members.map((m) => m.name).sort()).toEqual(["first", "present"]),
    );
    const second = client("second");
    second.subscribe(channel);
    await waitFor(() => expect(result.current).toMatchObject({ members: [], count: 3, large: true }));
    // The hub answers the count on its own (presence {count: true}), whatever the size.
    expect(await c.getSubscription(channel)?.presenceCount()).toBe(3);
    second.close();
    await waitFor(() =>
      expect(result.current.members.map((m) => m.name).sort()).toEqual(["first", "present"]),
    );
    expect(result.current).toMatchObject({ count: 2, large: false });
    first.close();
  });

  it("useTabRole: off where the page cannot share a connection across tabs (no Web Locks here)", async () => {
    const c = client("tab-role");
    const { result } = renderHook(() => ({ role: useTabRole(), conn: useConnectionState() }), {
      wrapper: wrapper(c, true),
    });
    await waitFor(() => expect(result.current.conn.state).toBe("connected"));
    expect(result.current.role).toBe("off");
    expect(c.tabRole).toBe("off");
  });

  it("useClient without a provider throws a clear error", () => {
    expect(() => renderHook(() => useClient())).toThrow(/no <SwitchboardProvider/);
  });
});
