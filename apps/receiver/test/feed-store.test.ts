/**
 * The receiver's list model (apps/receiver/src/feed-store.ts), without a browser: exactly-once
 * display, pending → sent, history merge, the memory cap. (Here because vitest only collects
 * packages/, e2e/ and docs/; the browser tests cover the same rules end to end.)
 */
import type { Message } from "@switchboard/client";
import { describe, expect, it } from "vitest";
import { FeedStore } from "../src/feed-store.js";

const pub = (offset: number, text = `m${offset}`, extra: Partial<Message> = {}): Message => ({
  channel: "chat:general",
  offset,
  data: { text, author: "ada" },
  time: 1_000 + offset,
  pending: false,
  ...extra,
});
const texts = (store: FeedStore) => store.items.map((item) => item.text);

describe("FeedStore", () => {
  it("shows an own message once: pending, then sent, whatever copies arrive", () => {
    const store = new FeedStore();
    const pending: Message = {
      channel: "chat:general",
      key: "k1",
      data: { text: "hi" },
      time: 5,
      pending: true,
    };
    store.apply([{ type: "publication", message: pending, own: true }]);
    expect(store.items).toMatchObject([{ text: "hi", status: "pending", offset: undefined }]);
    store.apply([
      { type: "confirmed", message: { ...pending, offset: 7, pending: false, time: 9 } },
      { type: "publication", message: { ...pending, offset: 7, pending: false, time: 9 }, own: false },
    ]);
    expect(store.items).toMatchObject([{ text: "hi", status: "sent", offset: 7, time: 9 }]);
    expect(store.items).toHaveLength(1);
  });

  it("marks a rejected publish failed", () => {
    const store = new FeedStore();
    const pending: Message = { channel: "c", key: "k", data: "x", time: 1, pending: true };
    store.apply([{ type: "publication", message: pending, own: true }]);
    store.apply([{ type: "failed", message: pending, error: "RATE_LIMITED" }]);
    expect(store.items[0]).toMatchObject({ status: "failed", error: "RATE_LIMITED" });
  });

  it("drops replays of offsets it already shows and reports no change", () => {
    const store = new FeedStore();
    store.apply([1, 2, 3].map((n) => ({ type: "publication", message: pub(n), own: false }) as const));
    const before = store.items;
    expect(store.apply([{ type: "publication", message: pub(2), own: false }])).toBe(false);
    expect(store.items).toBe(before);
    expect(texts(store)).toEqual(["m1", "m2", "m3"]);
  });

  it("slots older history in by offset without duplicating live messages", () => {
    const store = new FeedStore();
    store.apply([101, 102, 103].map((n) => ({ type: "publication", message: pub(n), own: false }) as const));
    const history = [98, 99, 100, 101, 102].map((n) => pub(n));
    store.apply([{ type: "history", messages: history, selfId: undefined }]);
    expect(store.items.map((item) => item.offset)).toEqual([98, 99, 100, 101, 102, 103]);
  });

  it("puts history before local notices shown while it loaded, and marks own history sent", () => {
    const store = new FeedStore();
    store.apply([{ type: "notice", text: "welcome", author: "notice", time: 1 }]);
    store.apply([
      { type: "history", messages: [pub(1, "mine", { info: { client: "me" } }), pub(2)], selfId: "me" },
    ]);
    expect(texts(store)).toEqual(["mine", "m2", "welcome"]);
    expect(store.items[0]?.status).toBe("sent");
    expect(store.items[1]?.status).toBeUndefined();
  });

  it("keeps only the newest `cap` items", () => {
    const store = new FeedStore(5_000);
    const events = Array.from(
      { length: 6_000 },
      (_, i) => ({ type: "publication", message: pub(i + 1), own: false }) as const,
    );
    store.apply(events.slice(0, 2_500));
    store.apply(events.slice(2_500));
    expect(store.items).toHaveLength(5_000);
    expect(store.items[0]?.offset).toBe(1_001);
    expect(store.items.at(-1)?.offset).toBe(6_000);
  });

  it("starts over on reset, keeping unsent messages and notices", () => {
    const store = new FeedStore();
    const pending: Message = { channel: "c", key: "p", data: "unsent", time: 1, pending: true };
    store.apply([
      { type: "publication", message: pub(1), own: false },
      { type: "publication", message: pending, own: true },
      { type: "notice", text: "note", author: "notice", time: 2 },
    ]);
    store.apply([{ type: "reset" }]);
    expect(texts(store)).toEqual(["unsent", "note"]);
    // Offsets restart with a new epoch: offset 1 is new again.
    store.apply([{ type: "publication", message: pub(1, "new epoch"), own: false }]);
    expect(texts(store)).toEqual(["unsent", "note", "new epoch"]);
  });

  it("renders any payload as text and finds an author", () => {
    const store = new FeedStore();
    store.apply([
      {
        type: "publication",
        message: { ...pub(1), data: "plain", info: { client: "c1", name: "Grace" } },
        own: false,
      },
      { type: "publication", message: { ...pub(2), data: { n: 1 }, info: { client: "c2" } }, own: false },
    ]);
    expect(store.items.map((item) => [item.author, item.text])).toEqual([
      ["Grace", "plain"],
      ["c2", '{"n":1}'],
    ]);
  });
});
