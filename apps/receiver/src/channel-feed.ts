/**
 * One channel's live feed for the list UI: subscribes through the page's shared client, loads
 * recent history on open, tracks presence, and hands React one snapshot per animation frame.
 * Client events only append to a queue (O(1) each); all list work happens in the frame's flush.
 */
import type { Client, Message, Subscription } from "@switchboard/client";
import { DEFAULT_FEED_CAP, type FeedEvent, type FeedItem, FeedStore } from "./feed-store.js";
import { onNotice } from "./notices.js";

export type PresenceEntry = NonNullable<Message["info"]>;

export interface FeedSnapshot {
  readonly items: readonly FeedItem[];
  readonly presence: readonly PresenceEntry[];
  readonly history: "loading" | "ready" | "failed";
  readonly historyError?: string | undefined;
}

export interface ChannelFeedOptions {
  /** Messages kept in memory; older ones are dropped (default 5,000). */
  cap?: number;
  /** Recent messages loaded on open (default 100). */
  historyLimit?: number;
  /** Longest wait for a flush when no animation frame comes (hidden tabs get none). */
  maxFlushDelayMs?: number;
}

export class ChannelFeed {
  readonly #store: FeedStore;
  readonly #historyLimit: number;
  readonly #maxFlushDelayMs: number;
  readonly #listeners = new Set<() => void>();
  readonly #offs: Array<() => void> = [];
  #queue: FeedEvent[] = [];
  #snapshot: FeedSnapshot = { items: [], presence: [], history: "loading" };
  #subscription: Subscription | undefined;
  #frame = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #historyLoaded = false;
  #historyLoading = false;
  #stopped = false;

  constructor(
    readonly client: Client,
    readonly channel: string,
    options: ChannelFeedOptions = {},
  ) {
    this.#store = new FeedStore(options.cap ?? DEFAULT_FEED_CAP);
    this.#historyLimit = options.historyLimit ?? 100;
    this.#maxFlushDelayMs = options.maxFlushDelayMs ?? 250;
  }

  // Arrow properties: React's useSyncExternalStore takes them unbound.
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): FeedSnapshot => this.#snapshot;

  start(): void {
    const sub = this.client.subscribe(this.channel);
    this.#subscription = sub;
    this.#offs.push(
      sub.on("publication", (message) => {
        const own =
          message.pending ||
          (message.info?.client !== undefined && message.info.client === this.client.clientId);
        this.#enqueue({ type: "publication", message, own });
      }),
      sub.on("confirmed", (message) => this.#enqueue({ type: "confirmed", message })),
      sub.on("failed", (message) => {
        const error = message.error instanceof Error ? message.error.message : String(message.error);
        this.#enqueue({ type: "failed", message, error });
      }),
      sub.on("subscribed", () => {
        if (!this.#historyLoaded) void this.#loadHistory();
        void this.#refreshPresence();
      }),
      sub.on("lost", () => {
        // Recovery was impossible (history reset or too old): start over from recent history.
        this.#enqueue({ type: "reset" });
        this.#historyLoaded = false;
        void this.#loadHistory();
      }),
      sub.on("join", (info) => {
        if (this.#snapshot.presence.some((p) => p.client === info.client)) return;
        this.#setSnapshot({ presence: [...this.#snapshot.presence, info] });
      }),
      sub.on("leave", (info) => {
        this.#setSnapshot({ presence: this.#snapshot.presence.filter((p) => p.client !== info.client) });
      }),
      onNotice((notice) => this.#enqueue({ type: "notice", ...notice })),
    );
    // The page may already hold a live subscription to this channel (same Subscription object).
    if (sub.position !== undefined) {
      void this.#loadHistory();
      void this.#refreshPresence();
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const off of this.#offs.splice(0)) off();
    this.#subscription?.unsubscribe();
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#listeners.clear();
  }

  #enqueue(event: FeedEvent): void {
    if (this.#stopped) return;
    this.#queue.push(event);
    if (this.#frame !== 0) return;
    this.#frame = requestAnimationFrame(this.#flush);
    this.#timer = setTimeout(this.#flush, this.#maxFlushDelayMs);
  }

  readonly #flush = (): void => {
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#frame = 0;
    this.#timer = undefined;
    const batch = this.#queue;
    this.#queue = [];
    if (this.#store.apply(batch)) this.#setSnapshot({ items: this.#store.items });
  };

  #setSnapshot(change: Partial<FeedSnapshot>): void {
    if (this.#stopped) return;
    this.#snapshot = { ...this.#snapshot, ...change };
    for (const listener of this.#listeners) listener();
  }

  async #loadHistory(): Promise<void> {
    const sub = this.#subscription;
    if (!sub || this.#historyLoading) return;
    this.#historyLoading = true;
    this.#setSnapshot({ history: "loading", historyError: undefined });
    try {
      const page = await sub.history({ limit: this.#historyLimit });
      this.#enqueue({ type: "history", messages: page.publications, selfId: this.client.clientId });
      this.#historyLoaded = true;
      this.#setSnapshot({ history: "ready" });
    } catch (error) {
      // Retried on the next `subscribed` (after a reconnect).
      this.#setSnapshot({
        history: "failed",
        historyError: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.#historyLoading = false;
    }
  }

  async #refreshPresence(): Promise<void> {
    const sub = this.#subscription;
    if (!sub) return;
    try {
      this.#setSnapshot({ presence: await sub.presence() });
    } catch {
      // Presence is decoration: a namespace without it, or a hiccup, leaves the last known list.
    }
  }
}
