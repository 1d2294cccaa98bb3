/**
 * Batched presence through the SDK (docs/client.md "History and presence"), over a real hub whose
 * join/leave threshold is 2 local subscribers: diffs become `join` / `leave` events (never the
 * client's own), a larger channel sends `occupancy` events, and `presenceCount` answers any size.
 */
import type { RunningHub } from "@switchboard/hub";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ClientInfo } from "../src/index.js";
import { client, closeClients, hub, removeTempDirs, waitFor } from "./helpers/hub.js";

let running: RunningHub;

beforeAll(async () => {
  running = await hub({ config: { limits: { joinLeaveMaxSubscribers: 2 } } });
});
afterEach(() => closeClients());
afterAll(async () => {
  await running.close();
  removeTempDirs();
});

const subscribed = (sub: { once(type: "subscribed", l: () => void): unknown }) =>
  new Promise<void>((resolve) => sub.once("subscribed", () => resolve()));

describe("presence with presenceDiff (the default)", () => {
  it("turns diffs into join/leave events, counts above the threshold, and counts on request", async () => {
    const channel = `chat:sdk-diff-${Date.now().toString(36)}`;
    const a = client(running.url);
    const subA = a.subscribe(channel);
    const joins: ClientInfo[] = [];
    const leaves: ClientInfo[] = [];
    const counts: number[] = [];
    subA.on("join", (info) => joins.push(info));
    subA.on("leave", (info) => leaves.push(info));
    subA.on("occupancy", ({ count }) => counts.push(count));
    await subscribed(subA);

    const b = client(running.url, { name: "b@1.0.0" });
    const subB = b.subscribe(channel);
    await subscribed(subB);
    await waitFor(() => joins.length === 1, "b's join");
    expect(joins).toEqual([{ client: b.clientId, name: "b@1.0.0" }]);

    // A third local subscriber: above the threshold, counts instead of member events.
    const c = client(running.url);
    await subscribed(c.subscribe(channel));
    await waitFor(() => counts.includes(3), "an occupancy of 3");
    expect(await subA.presenceCount()).toBe(3);
    expect(await a.presenceCount(channel)).toBe(3);
    expect(joins.map((j) => j.client)).not.toContain(a.clientId);
    // Back at the threshold: c's leave comes as a diff again, and a last count follows it.
    const cId = c.clientId;
    c.close();
    await waitFor(() => leaves.length === 1 && counts.at(-1) === 2, "c's leave and an occupancy of 2");
    expect(leaves.map((l) => l.client)).toEqual([cId]);
    expect((await subA.presence()).map((p) => p.client).sort()).toEqual([a.clientId, b.clientId].sort());
  });

  it("gets plain join/leave with presenceDiff: false", async () => {
    const channel = `chat:sdk-plain-${Date.now().toString(36)}`;
    const a = client(running.url, { presenceDiff: false });
    const subA = a.subscribe(channel);
    const counts: number[] = [];
    subA.on("occupancy", ({ count }) => counts.push(count));
    await subscribed(subA);
    const joined = new Promise<ClientInfo>((resolve) => subA.once("join", resolve));
    const b = client(running.url);
    await subscribed(b.subscribe(channel));
    expect((await joined).client).toBe(b.clientId);
    expect(await subA.presenceCount()).toBe(2);
    expect(counts).toEqual([]);
  });
});
