/**
 * One channel's live feed for the list UI, over the channel's shared Subscription (taken with
 * `rewind`, so the first publications ARE the recent history: no separate history load, no race
 * between it and live ones). Hands React one snapshot per animation frame: client events only
 * append to a queue (O(1) each); all list work happens in the frame's flush.
 */
import type { Client, Subscription } from "@switchboard/client";
import { DEFAULT_FEED_CAP, type FeedEvent, type FeedItem, FeedStore } from "./feed-store.js";
import { onNotice } from "./notices.js";

export interface FeedSnapshot {
  readonly items: readonly FeedItem[];
  /** "loading" until the subscription's first reply (which carries the rewound messages). */
  readonly history: "loading" | "ready" | "failed";
  readonly historyError?: string | undefined;
}

export interface ChannelFeedOptions {
  /** Messages kept in memory; older ones are dropped (default 5,000). */
  cap?: number;
  /** Recent messages loaded after a failed recovery, or when the channel was already subscribed (default 100). */
  historyLimit?: number;
  /** Longest wait for a flush when no animation frame comes (hidden tabs get none). */
  maxFlushDelayMs?: number;
}

export const FEED_DEFAULTS = { historyLimit: 100, maxFlushDelayMs: 250 } as const;

export class ChannelFeed {
  readonly #store: FeedStore;
  readonly #historyLimit: number;
  readonly #maxFlushDelayMs: number;
  readonly #listeners = new Set<() => void>();
  readonly #offs: Array<() => void> = [];
  #queue: FeedEvent[] = [];
  #snapshot: FeedSnapshot = { items: [], history: "loading" };
  #subscription: Subscription | undefined;
  #frame = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #historyLoading = false;
  #readyOnFlush = false;
  #stopped = true;

  constructor(
    readonly client: Client,
    readonly channel: string,
    options: ChannelFeedOptions = {},
  ) {
    this.#store = new FeedStore(options.cap ?? DEFAULT_FEED_CAP);
    this.#historyLimit = options.historyLimit ?? FEED_DEFAULTS.historyLimit;
    this.#maxFlushDelayMs = options.maxFlushDelayMs ?? FEED_DEFAULTS.maxFlushDelayMs;
  }

  // Arrow properties: React takes them unbound.
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): FeedSnapshot => this.#snapshot;

  /** Listens to `sub` (called before its first reply can arrive); stop() undoes it, start() may follow again. */
  start(sub: Subscription): void {
    this.#stopped = false;
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
        // Ready in the same flush as the rewound messages: no "no messages yet" flash in between.
        if (this.#snapshot.history === "loading" && !this.#historyLoading) {
          this.#readyOnFlush = true;
          this.#schedule();
        }
        if (this.#snapshot.history === "failed") void this.#loadHistory();
      }),
      sub.on("lost", () => {
        // Recovery was impossible (history reset or too old): start over from recent history.
        this.#enqueue({ type: "reset" });
        void this.#loadHistory();
      }),
      onNotice((notice) => this.#enqueue({ type: "notice", ...notice })),
    );
    // Another module already holds this channel: its rewind is long past, so read recent history.
    if (sub.position !== undefined) void this.#loadHistory();
  }

  stop(): void {
    this.#stopped = true;
    for (const off of this.#offs.splice(0)) off();
    this.#subscription = undefined;
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#frame = 0;
    this.#timer = undefined;
  }

  #enqueue(event: FeedEvent): void {
    if (this.#stopped) return;
    this.#queue.push(event);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#frame !== 0) return;
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
    const change: { items?: readonly FeedItem[]; history?: "ready" } = {};
    if (this.#store.apply(batch)) change.items = this.#store.items;
    if (this.#readyOnFlush) {
      this.#readyOnFlush = false;
      change.history = "ready";
    }
    if (change.items || change.history) this.#setSnapshot(change);
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
      this.#setSnapshot({ history: "ready" });
    } catch (error) {
      this.#setSnapshot({
        history: "failed",
        historyError: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.#historyLoading = false;
    }
  }
}
