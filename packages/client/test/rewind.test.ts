/** Late join (`rewind`) over a real hub: the last K first, then live ones — no gap, no duplicate. */
import type { RunningHub } from "@switchboard/hub";
import { afterEach, describe, expect, it } from "vitest";
import type { Message, SubscribedEvent, Subscription } from "../src/index.js";
import { FrameProxy } from "./helpers/frame-proxy.js";
import { client, closeClients, httpPublish, hub, removeTempDirs, waitFor } from "./helpers/hub.js";

const hubs: RunningHub[] = [];
const proxies: FrameProxy[] = [];
afterEach(async () => {
  closeClients();
  for (const p of proxies.splice(0)) await p.close();
  for (const h of hubs.splice(0)) await h.close();
  removeTempDirs();
});

async function started(): Promise<RunningHub> {
  const running = await hub();
  hubs.push(running);
  return running;
}

function record(sub: Subscription) {
  const seen = { publications: [] as Message[], subscribed: [] as SubscribedEvent[] };
  sub.on("publication", (m) => seen.publications.push(m));
  sub.on("subscribed", (e) => seen.subscribed.push(e));
  return seen;
}

const offsets = (messages: Message[]) => messages.map((m) => m.offset);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("subscribe with rewind", () => {
  it("delivers the last K as ordinary publications in order, then the live ones", async () => {
    const running = await started();
    for (let i = 1; i <= 5; i++) await httpPublish(running, "chat:rewind", `old ${i}`);
    const sub = client(running.url).subscribe("chat:rewind", { rewind: 3 });
    const seen = record(sub);
    await waitFor(() => seen.publications.length === 3, "the rewound publications");
    expect(seen.publications.map((m) => m.data)).toEqual(["old 3", "old 4", "old 5"]);
    expect(seen.subscribed).toMatchObject([{ recovered: false, resumed: false, offset: 5 }]);
    expect(sub.position?.offset).toBe(5);

    await httpPublish(running, "chat:rewind", "live");
    await waitFor(() => seen.publications.length === 4, "the live publication");
    expect(offsets(seen.publications)).toEqual([3, 4, 5, 6]);
    expect(seen.publications.every((m) => !m.pending)).toBe(true);
  });

  it("gets fewer when the channel has fewer, and nothing on an empty channel", async () => {
    const running = await started();
    await httpPublish(running, "chat:few", "only");
    const c = client(running.url);
    const few = record(c.subscribe("chat:few", { rewind: 10 }));
    const empty = record(c.subscribe("chat:empty", { rewind: 10 }));
    await waitFor(() => few.subscribed.length === 1 && empty.subscribed.length === 1, "both subscribed");
    await waitFor(() => few.publications.length === 1, "the one publication");
    expect(few.publications.map((m) => m.data)).toEqual(["only"]);
    await httpPublish(running, "chat:empty", "first");
    await waitFor(() => empty.publications.length === 1, "the first live publication");
    expect(offsets(empty.publications)).toEqual([1]);
  });

  it("joins a channel being published to with no gap and no duplicate", async () => {
    const running = await started();
    const total = 60;
    for (let i = 1; i <= 10; i++) await httpPublish(running, "chat:busy", i);
    const publisher = client(running.url);
    let sent = 10;
    const publishing = (async () => {
      while (sent < total) {
        sent++;
        await publisher.publish("chat:busy", sent);
      }
    })();
    await waitFor(() => sent >= 20, "publishing under way");
    const seen = record(client(running.url).subscribe("chat:busy", { rewind: 5 }));
    await publishing;
    await waitFor(() => seen.publications.at(-1)?.offset === total, "every publication");
    const first = seen.publications[0]?.offset ?? 0;
    // Exactly the 5 up to the hub's top when it took the subscribe, then everything after it.
    expect(first).toBe((seen.subscribed[0]?.offset ?? 0) - 4);
    expect(first).toBeGreaterThan(10);
    expect(offsets(seen.publications)).toEqual(range(first, total));
    expect(seen.publications.map((m) => m.data)).toEqual(range(first, total));
  });

  it("asks for rewind on the first subscribe only: after a reconnect it resumes with since", async () => {
    const running = await started();
    const proxy = await FrameProxy.start(running.url);
    proxies.push(proxy);
    for (let i = 1; i <= 4; i++) await httpPublish(running, "chat:again", i);
    const c = client(proxy.url);
    const seen = record(c.subscribe("chat:again", { rewind: 2 }));
    await waitFor(() => seen.publications.length === 2, "the rewound publications");

    proxy.cutAll();
    await waitFor(() => seen.subscribed.length === 2, "the resubscribe");
    await httpPublish(running, "chat:again", 5);
    await waitFor(() => seen.publications.length === 3, "the live publication");
    expect(offsets(seen.publications)).toEqual([3, 4, 5]);
    expect(seen.subscribed.map((e) => [e.resumed, e.recovered])).toEqual([
      [false, false],
      [true, true],
    ]);
    const subscribes = proxy.fromClient.filter((f) => f.type === "subscribe");
    expect(subscribes).toHaveLength(2);
    expect(subscribes[0]).toMatchObject({ rewind: 2 });
    expect(subscribes[0]).not.toHaveProperty("since");
    expect(subscribes[1]).toMatchObject({ since: { offset: 4 } });
    expect(subscribes[1]).not.toHaveProperty("rewind");
  });

  it("is ignored with since: the subscription resumes from the position instead", async () => {
    const running = await started();
    let epoch = "";
    for (let i = 1; i <= 5; i++) epoch = (await httpPublish(running, "chat:since", i)).epoch;
    const seen = record(
      client(running.url).subscribe("chat:since", { since: { epoch, offset: 2 }, rewind: 1 }),
    );
    await waitFor(() => seen.publications.length === 3, "the recovered publications");
    expect(offsets(seen.publications)).toEqual([3, 4, 5]);
    expect(seen.subscribed).toMatchObject([{ resumed: true, recovered: true }]);
  });

  it("refuses a rewind that is not a whole number ≥ 1", async () => {
    const running = await started();
    const c = client(running.url);
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => c.subscribe("chat:bad", { rewind: bad })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT" }),
      );
  });
});
