/**
 * The message list as data: a capped, ordered, de-duplicated array rebuilt once per batch (once
 * per animation frame), so 10,000 messages in 2 s cost ~120 small array copies, not 10,000 renders.
 * Pure: no DOM, no client — the volume and ordering rules are testable on their own.
 */
import type { Message } from "@switchboard/client";
import { authorOf, textOf } from "./chat-data.js";

export type DeliveryStatus = "pending" | "sent" | "failed";

export interface FeedItem {
  /** Stable across pending → sent (derived from the idempotency key when there is one). */
  readonly id: string;
  readonly kind: "message" | "notice";
  /** Client-chosen display name (data.author, else the connection's name/user/id). */
  readonly author: string;
  /** The identity the hub stamped (`info.user`): verified, unlike `author`. */
  readonly user?: string | undefined;
  readonly text: string;
  readonly time: number;
  readonly offset?: number | undefined;
  readonly key?: string | undefined;
  /** Only on this page's own messages. */
  readonly status?: DeliveryStatus | undefined;
  readonly error?: string | undefined;
}

export type FeedEvent =
  | { type: "publication"; message: Message; own: boolean }
  | { type: "confirmed"; message: Message }
  | { type: "failed"; message: Message; error: string }
  | { type: "history"; messages: readonly Message[]; selfId: string | undefined }
  | { type: "notice"; text: string; author: string; time: number }
  /** The channel's history was reset or could not be recovered: start over (pending sends stay). */
  | { type: "reset" };

/** Keeps the newest `cap` items; older ones leave memory (and the DOM). */
export const DEFAULT_FEED_CAP = 5_000;

export class FeedStore {
  #items: readonly FeedItem[] = [];
  readonly #offsets = new Set<number>();
  readonly #keys = new Set<string>();
  #seq = 0;

  constructor(readonly cap: number = DEFAULT_FEED_CAP) {}

  get items(): readonly FeedItem[] {
    return this.#items;
  }

  /** Applies a batch; returns true when the list changed (then `items` is a new array). */
  apply(events: readonly FeedEvent[]): boolean {
    let next: FeedItem[] | undefined;
    const draft = (): FeedItem[] => {
      next ??= this.#items.slice();
      return next;
    };
    for (const event of events) {
      switch (event.type) {
        case "publication": {
          const m = event.message;
          if (m.key !== undefined && this.#keys.has(m.key)) {
            // The hub's copy of a message already shown (e.g. our own pending one): update in place.
            this.#update(draft(), m.key, (item) => confirm(item, m));
            break;
          }
          if (m.offset !== undefined && this.#offsets.has(m.offset)) break;
          this.#push(draft(), this.#toItem(m, event.own));
          break;
        }
        case "confirmed":
          if (event.message.key !== undefined && this.#keys.has(event.message.key)) {
            this.#update(draft(), event.message.key, (item) => confirm(item, event.message));
          }
          break;
        case "failed":
          if (event.message.key !== undefined && this.#keys.has(event.message.key)) {
            this.#update(draft(), event.message.key, (item) => ({
              ...item,
              status: "failed",
              error: event.error,
            }));
          }
          break;
        case "history":
          next = this.#mergeHistory(draft(), event.messages, event.selfId);
          break;
        case "notice":
          this.#push(draft(), {
            id: `n:${++this.#seq}`,
            kind: "notice",
            author: event.author,
            text: event.text,
            time: event.time,
          });
          break;
        case "reset": {
          const kept = draft().filter((item) => item.status === "pending" || item.kind === "notice");
          this.#offsets.clear();
          this.#keys.clear();
          for (const item of kept) this.#index(item);
          next = kept;
          break;
        }
      }
    }
    if (next === undefined) return false;
    if (next.length > this.cap) {
      for (const removed of next.splice(0, next.length - this.cap)) this.#unindex(removed);
    }
    this.#items = next;
    return true;
  }

  #toItem(m: Message, own: boolean): FeedItem {
    const id =
      m.key !== undefined ? `k:${m.key}` : m.offset !== undefined ? `o:${m.offset}` : `l:${++this.#seq}`;
    return {
      id,
      kind: "message",
      author: authorOf(m.data, m.info),
      user: m.info?.user,
      text: textOf(m.data),
      time: m.time,
      offset: m.offset,
      key: m.key,
      status: own ? (m.pending ? "pending" : "sent") : undefined,
    };
  }

  #push(list: FeedItem[], item: FeedItem): void {
    list.push(item);
    this.#index(item);
  }

  #index(item: FeedItem): void {
    if (item.offset !== undefined) this.#offsets.add(item.offset);
    if (item.key !== undefined) this.#keys.add(item.key);
  }

  #unindex(item: FeedItem): void {
    if (item.offset !== undefined) this.#offsets.delete(item.offset);
    if (item.key !== undefined) this.#keys.delete(item.key);
  }

  /** Own messages sit near the end, so the scan from the end is short. */
  #update(list: FeedItem[], key: string, change: (item: FeedItem) => FeedItem): void {
    for (let i = list.length - 1; i >= 0; i--) {
      const item = list[i];
      if (item?.key === key) {
        const updated = change(item);
        list[i] = updated;
        this.#index(updated);
        return;
      }
    }
  }

  /** History is older than what is shown: slot each new publication in by offset, skip known ones. */
  #mergeHistory(list: FeedItem[], messages: readonly Message[], selfId: string | undefined): FeedItem[] {
    const fresh = messages
      .filter(
        (m) => m.offset !== undefined && !this.#offsets.has(m.offset) && !(m.key && this.#keys.has(m.key)),
      )
      .map((m) => this.#toItem({ ...m, pending: false }, selfId !== undefined && m.info?.client === selfId))
      .sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
    if (fresh.length === 0) return list;
    for (const item of fresh) this.#index(item);
    if (!list.some((item) => item.offset !== undefined)) return [...fresh, ...list];
    const merged: FeedItem[] = [];
    let i = 0;
    for (const item of list) {
      while (i < fresh.length && item.offset !== undefined && (fresh[i]?.offset ?? 0) < item.offset) {
        merged.push(fresh[i++] as FeedItem);
      }
      merged.push(item);
    }
    while (i < fresh.length) merged.push(fresh[i++] as FeedItem);
    return merged;
  }
}

function confirm(item: FeedItem, m: Message): FeedItem {
  return {
    ...item,
    offset: m.offset ?? item.offset,
    time: m.pending ? item.time : m.time,
    status: item.status === undefined ? undefined : m.pending ? item.status : "sent",
  };
}
