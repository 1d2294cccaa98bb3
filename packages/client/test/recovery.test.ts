import type { RunningHub } from "@switchboard/hub";
import { afterEach, describe, expect, it } from "vitest";
import type { LostEvent, Message, SubscribedEvent, Subscription } from "../src/index.js";
import {
  client,
  closeClients,
  httpPublish,
  hub,
  nextState,
  removeTempDirs,
  restart,
  tempDir,
  waitFor,
} from "./helpers/hub.js";

const hubs: RunningHub[] = [];
afterEach(async () => {
  closeClients();
  for (const h of hubs.splice(0)) await h.close();
  removeTempDirs();
});

/** A token source that doubles as a gate: connection attempts wait while it is closed. */
function gate() {
  let open: () => void = () => undefined;
  let current: Promise<void> = Promise.resolve();
  return {
    token: async () => {
      await current;
      return undefined;
    },
    close() {
      current = new Promise((resolve) => {
        open = resolve;
      });
    },
    open: () => open(),
  };
}

function record(sub: Subscription) {
  const seen = {
    publications: [] as Message[],
    subscribed: [] as SubscribedEvent[],
    lost: [] as LostEvent[],
  };
  sub.on("publication", (m) => seen.publications.push(m));
  sub.on("subscribed", (e) => seen.subscribed.push(e));
  sub.on("lost", (e) => seen.lost.push(e));
  return seen;
}

describe("reconnect and recovery", () => {
  it("recovers everything published while it was away, with no duplicates", async () => {
    const dataDir = tempDir();
    let running = await hub({ dataDir });
    hubs.push(running);
    const door = gate();
    const c = client(running.url, { token: door.token });
    const sub = c.subscribe("chat:recover");
    const seen = record(sub);
    await waitFor(() => seen.subscribed.length === 1, "subscribed");
    for (let i = 1; i <= 3; i++) await httpPublish(running, "chat:recover", i);
    await waitFor(() => seen.publications.length === 3, "3 live publications");
    const epoch = sub.position?.epoch;

    door.close();
    const dropped = nextState(c, "connecting");
    hubs.pop();
    running = await restart(running, dataDir);
    hubs.push(running);
    expect(await dropped).toMatchObject({ code: 4100 });
    expect(sub.state).toBe("subscribing");
    // Published while the client is away (its reconnect waits at the gate).
    for (let i = 4; i <= 6; i++) await httpPublish(running, "chat:recover", i);
    door.open();
    await waitFor(() => seen.subscribed.length === 2, "resubscribed");
    expect(seen.subscribed[1]).toEqual({ epoch, offset: 6, recovered: true, resumed: true });
    await httpPublish(running, "chat:recover", 7);
    await waitFor(() => seen.publications.length >= 7, "7 publications");
    expect(seen.publications.map((m) => m.data)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.publications.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.lost).toEqual([]);
    expect(sub.position).toEqual({ epoch, offset: 7 });
  });

  it("resumes from an explicit `since` position", async () => {
    const running = await hub();
    hubs.push(running);
    const first = await httpPublish(running, "chat:since", "a");
    await httpPublish(running, "chat:since", "b");
    await httpPublish(running, "chat:since", "c");
    const c = client(running.url);
    const seen = record(c.subscribe("chat:since", { since: first }));
    await waitFor(() => seen.publications.length === 2, "recovered publications");
    expect(seen.publications.map((m) => m.data)).toEqual(["b", "c"]);
    expect(seen.subscribed[0]).toMatchObject({ recovered: true, resumed: true });
  });

  it("surfaces recovered:false as `lost` (new epoch) and continues live", async () => {
    let running = await hub();
    hubs.push(running);
    const c = client(running.url);
    const sub = c.subscribe("chat:lost");
    const seen = record(sub);
    await waitFor(() => seen.subscribed.length === 1, "subscribed");
    await httpPublish(running, "chat:lost", "old-1");
    await httpPublish(running, "chat:lost", "old-2");
    await waitFor(() => seen.publications.length === 2, "2 publications");
    const oldEpoch = sub.position?.epoch;

    // A new, empty data folder: the channel's history is gone and its epoch changes.
    hubs.pop();
    running = await restart(running, tempDir());
    hubs.push(running);
    await waitFor(() => seen.lost.length === 1, "lost");
    const newEpoch = seen.subscribed[1]?.epoch;
    expect(newEpoch).toBeDefined();
    expect(newEpoch).not.toBe(oldEpoch);
    expect(seen.subscribed[1]).toEqual({ epoch: newEpoch, offset: 0, recovered: false, resumed: true });
    expect(seen.lost[0]).toEqual({
      reason: expect.stringContaining("epoch changed"),
      epoch: newEpoch,
      offset: 0,
    });
    expect(sub.position).toEqual({ epoch: newEpoch, offset: 0 });

    await httpPublish(running, "chat:lost", "new-1");
    await waitFor(() => seen.publications.length === 3, "live after lost");
    expect(seen.publications.map((m) => [m.data, m.offset])).toEqual([
      ["old-1", 1],
      ["old-2", 2],
      ["new-1", 1],
    ]);
    expect(seen.lost).toHaveLength(1);
  });

  it("reports `lost` when the history no longer reaches back (same epoch)", async () => {
    const running = await hub({ config: { namespaces: { chat: { history: { size: 2, ttlSeconds: 60 } } } } });
    hubs.push(running);
    const door = gate();
    const c = client(running.url, { token: door.token });
    const sub = c.subscribe("chat:short");
    const seen = record(sub);
    await waitFor(() => seen.subscribed.length === 1, "subscribed");
    await httpPublish(running, "chat:short", 1);
    await waitFor(() => seen.publications.length === 1, "first");
    const epoch = sub.position?.epoch;

    door.close();
    c.close();
    for (let i = 2; i <= 6; i++) await httpPublish(running, "chat:short", i); // only 5 and 6 are kept
    c.connect();
    door.open();
    await waitFor(() => seen.lost.length === 1, "lost");
    expect(seen.lost[0]).toEqual({ reason: expect.stringContaining("offset 1"), epoch, offset: 6 });
    expect(seen.subscribed[1]).toEqual({ epoch, offset: 6, recovered: false, resumed: true });
    expect(sub.position).toEqual({ epoch, offset: 6 });
    await httpPublish(running, "chat:short", 7);
    await waitFor(() => seen.publications.length === 2, "live after lost");
    expect(seen.publications.map((m) => m.data)).toEqual([1, 7]);
  });

  it("resumes after close() and connect() with recovery", async () => {
    const running = await hub();
    hubs.push(running);
    const c = client(running.url);
    const sub = c.subscribe("chat:reopen");
    const seen = record(sub);
    await waitFor(() => seen.subscribed.length === 1, "subscribed");
    await httpPublish(running, "chat:reopen", "a");
    await waitFor(() => seen.publications.length === 1, "a");
    c.close();
    expect(sub.state).toBe("subscribing");
    await httpPublish(running, "chat:reopen", "b");
    c.connect();
    await waitFor(() => seen.publications.length === 2, "b recovered");
    expect(seen.subscribed[1]).toMatchObject({ recovered: true, resumed: true });
    expect(seen.publications.map((m) => m.data)).toEqual(["a", "b"]);
  });
});

describe("close() from a listener", () => {
  it("close() in a publication listener mid-batch, then connect(), still delivers the rest once", async () => {
    const running = await hub();
    hubs.push(running);
    const c = client(running.url);
    const sub = c.subscribe("chat:midbatch");
    const seen = record(sub);
    await waitFor(() => seen.subscribed.length === 1, "subscribed");
    c.close();
    for (const n of [1, 2, 3]) await httpPublish(running, "chat:midbatch", n);
    // The recovered batch [1, 2, 3] is delivered in one go; the app closes on the first one.
    const off = sub.on("publication", () => {
      off();
      c.close();
    });
    c.connect();
    await waitFor(() => seen.publications.length === 1 && c.state === "disconnected", "closed mid-batch");
    c.connect();
    await waitFor(() => seen.subscribed.length === 3, "resubscribed");
    await httpPublish(running, "chat:midbatch", 4);
    await waitFor(() => seen.publications.some((m) => m.offset === 4), "publication 4");
    expect(seen.publications.map((m) => m.offset)).toEqual([1, 2, 3, 4]);
    expect(seen.lost).toEqual([]);
  });

  it("close() in a `subscribed` listener before a `lost`, then connect(), still reports `lost`", async () => {
    const running = await hub({ config: { namespaces: { chat: { history: { size: 2, ttlSeconds: 60 } } } } });
    hubs.push(running);
    const c = client(running.url);
    const sub = c.subscribe("chat:lost-close");
    const seen = record(sub);
    await waitFor(() => seen.subscribed.length === 1, "subscribed");
    await httpPublish(running, "chat:lost-close", 1);
    await waitFor(() => seen.publications.length === 1, "first");
    c.close();
    for (let i = 2; i <= 6; i++) await httpPublish(running, "chat:lost-close", i); // only 5 and 6 are kept
    const off = sub.on("subscribed", () => {
      off();
      c.close();
    });
    c.connect();
    await waitFor(() => seen.subscribed.length === 2 && c.state === "disconnected", "closed on subscribed");
    c.connect();
    await waitFor(() => seen.subscribed.length === 3, "resubscribed");
    expect(seen.subscribed[2]).toMatchObject({ recovered: false, resumed: true });
    expect(seen.lost).toHaveLength(1);
  });
});
