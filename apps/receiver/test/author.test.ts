/**
 * Who the receiver says wrote a message (apps/receiver/src/chat-data.ts): with authentication on,
 * only the hub-stamped `info.user` is shown as verified and a client-chosen `data.author` never
 * passes for it; on an anonymous hub the chosen name is shown as it is. (The browser test
 * e2e/module-setup.test.ts shows the same over a JWT hub.)
 */
import type { Message } from "@switchboard/client";
import { describe, expect, it } from "vitest";
import { authorLabel } from "../src/chat-data.js";
import { FeedStore } from "../src/feed-store.js";

const item = (data: Message["data"], info?: Message["info"]) => {
  const store = new FeedStore();
  const message: Message = { channel: "chat:general", offset: 1, data, time: 1, pending: false };
  if (info) message.info = info;
  store.apply([{ type: "publication", message, own: false }]);
  const [first] = store.items;
  if (!first) throw new Error("no item");
  return first;
};

describe("receiver author label", () => {
  it("shows the hub-stamped user as verified, a different chosen name apart as unverified", () => {
    const claimed = item({ text: "hi", author: "alice" }, { client: "c1", user: "mallory" });
    expect(authorLabel(claimed, true)).toEqual({ name: "mallory", verified: true, unverified: "alice" });
    const honest = item({ text: "hi", author: "alice" }, { client: "c2", user: "alice" });
    expect(authorLabel(honest, true)).toEqual({ name: "alice", verified: true });
  });

  it("never shows a chosen name as verified on an authenticated hub", () => {
    const noUser = item({ text: "hi", author: "alice" }, { client: "c3", name: "alice" });
    expect(authorLabel(noUser, true)).toEqual({ name: "unverified: alice", verified: false });
    const viaHttp = item({ text: "hi", author: "admin" });
    expect(authorLabel(viaHttp, true)).toMatchObject({ verified: false, name: "unverified: admin" });
  });

  it("anonymous hub: the chosen name as today", () => {
    const anon = item({ text: "hi", author: "alice" }, { client: "c4", name: "tab" });
    expect(authorLabel(anon, false)).toEqual({ name: "alice", verified: false });
    expect(authorLabel(item({ text: "hi" }, { client: "c5", name: "tab" }), false).name).toBe("tab");
  });
});
