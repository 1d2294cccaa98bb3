/**
 * One channel subscription: (re)subscribes with `since` after every reconnect, delivers each
 * publication once and in offset order (Delivery, GapFiller), and surfaces failed recovery as
 * `lost`. Driven by the client (connected / disconnected / handle).
 */
import type {
  ClientInfo,
  JoinFrame,
  LeaveFrame,
  OccupancyFrame,
  PresenceDiffFrame,
  PubFrame,
  Publication,
  StreamPosition,
  SubscribedFrame,
  UnsubscribedFrame,
} from "@switchboard/protocol";
import type { Subscription } from "../api.js";
import { Backoff, type BackoffOptions } from "../connection/backoff.js";
import { Emitter, type Listener, type Unsubscribe } from "../emitter.js";
import { isRetryableCode, SwitchboardError } from "../errors.js";
import type { ReplyFrame, ReplyHandlers, RequestFrame } from "../requests/reply-tracker.js";
import { resolveToken } from "../token.js";
import type {
  HistoryOptions,
  HistoryResult,
  Message,
  SubscribeOptions,
  SubscriptionEvents,
  SubscriptionState,
} from "../types.js";
import { Delivery } from "./delivery.js";
import { GapFiller } from "./gap-filler.js";
import type { OrderedStream } from "./ordered-stream.js";

/** What a subscription needs from its client. */
export interface SubscriptionHost {
  readonly connected: boolean;
  /** A one-shot request on the current connection: its id, undefined when offline, or an error. */
  request(frame: RequestFrame, handlers: ReplyHandlers): number | SwitchboardError | undefined;
  history(channel: string, options?: HistoryOptions): Promise<HistoryResult>;
  presence(channel: string, options?: { timeoutMs?: number }): Promise<ClientInfo[]>;
  presenceCount(channel: string, options?: { timeoutMs?: number }): Promise<number>;
  /** This connection's id (its own join/leave is not an event). */
  readonly clientId: string | undefined;
  /** The hub's copy of an own publish (by key) was delivered at `position`. */
  ownCopy(channel: string, key: string, position: StreamPosition): void;
  /** The subscription ended: forget it. */
  release(subscription: ChannelSubscription): void;
  readonly retry: BackoffOptions;
  readonly gapPageLimit: number;
  /** A subscribe unanswered this long is sent again (after an unsubscribe, in case it did arrive). */
  readonly subscribeTimeoutMs: number;
}

type ChannelFrame =
  | PubFrame
  | JoinFrame
  | LeaveFrame
  | PresenceDiffFrame
  | OccupancyFrame
  | UnsubscribedFrame;
const noop = (): void => {};
const ignoreReply: ReplyHandlers = { reply: noop, fail: noop, lost: noop };

export class ChannelSubscription implements Subscription {
  private readonly events = new Emitter<SubscriptionEvents>();
  private readonly delivery: Delivery;
  private readonly stream: OrderedStream;
  private readonly retry: Backoff;
  private readonly gaps: GapFiller;
  private current: SubscriptionState = "subscribing";
  /** Bumped whenever in-flight work becomes moot: replies of an older generation are ignored. */
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly channel: string,
    private readonly host: SubscriptionHost,
    private readonly options: SubscribeOptions,
  ) {
    this.retry = new Backoff(host.retry);
    this.delivery = new Delivery(channel, this.events, (key, position) =>
      host.ownCopy(channel, key, position),
    );
    this.stream = this.delivery.stream;
    this.gaps = new GapFiller({
      channel,
      stream: this.stream,
      retry: this.retry,
      pageLimit: host.gapPageLimit,
      timeoutMs: host.subscribeTimeoutMs,
      request: (frame, handlers) => host.request(frame, handlers),
      live: () => this.current === "subscribed",
      deliver: (publications) => this.deliver(publications),
      resubscribe: () => this.subscribe(true),
    });
  }

  get state(): SubscriptionState {
    return this.current;
  }

  get position(): StreamPosition | undefined {
    return this.stream.position;
  }

  on<K extends keyof SubscriptionEvents>(type: K, listener: Listener<SubscriptionEvents[K]>): Unsubscribe {
    return this.events.on(type, listener);
  }

  once<K extends keyof SubscriptionEvents>(type: K, listener: Listener<SubscriptionEvents[K]>): Unsubscribe {
    return this.events.once(type, listener);
  }

  off<K extends keyof SubscriptionEvents>(type: K, listener: Listener<SubscriptionEvents[K]>): void {
    this.events.off(type, listener);
  }

  history(options?: HistoryOptions): Promise<HistoryResult> {
    return this.host.history(this.channel, options);
  }

  presence(options?: { timeoutMs?: number }): Promise<ClientInfo[]> {
    return this.host.presence(this.channel, options);
  }

  presenceCount(options?: { timeoutMs?: number }): Promise<number> {
    return this.host.presenceCount(this.channel, options);
  }

  unsubscribe(): void {
    if (this.current === "unsubscribed") return;
    this.end();
    this.host.release(this);
    // Harmless if the subscribe never reached the hub (NOT_SUBSCRIBED is ignored).
    if (this.host.connected) this.host.request({ type: "unsubscribe", channel: this.channel }, ignoreReply);
  }

  // ---- driven by the client ---------------------------------------------------------------

  /** The connection is up: subscribe, resuming from the last delivered position. */
  connected(): void {
    if (this.current !== "unsubscribed") this.subscribe(false);
  }

  disconnected(): void {
    if (this.current === "unsubscribed") return;
    this.current = "subscribing";
    this.invalidate();
    this.stream.clearHeld(); // the resubscribe recovers them
  }

  handle(frame: ChannelFrame): void {
    if (this.current === "unsubscribed") return;
    switch (frame.type) {
      case "pub":
        this.onPub(frame);
        return;
      case "join":
      case "leave":
        this.events.emit(frame.type, frame.info);
        return;
      case "presence_diff": {
        // One frame per window for the whole channel: it may name this connection itself.
        const own = this.host.clientId;
        for (const info of frame.left) if (info.client !== own) this.events.emit("leave", info);
        for (const info of frame.joined) if (info.client !== own) this.events.emit("join", info);
        return;
      }
      case "occupancy":
        this.events.emit("occupancy", { count: frame.count });
        return;
      case "unsubscribed":
        if (frame.resubscribe) {
          this.stream.clearHeld();
          this.subscribe(false);
          return;
        }
        this.end();
        this.host.release(this);
        this.events.emit("unsubscribed", { reason: frame.reason ?? "unsubscribed by the hub" });
    }
  }

  /** This client publishes to the channel: show it at once, pending. */
  localPublish(key: string, message: Message): void {
    if (this.current !== "unsubscribed") this.delivery.localPublish(key, message);
  }

  publishSettled(key: string, outcome: StreamPosition | SwitchboardError): void {
    this.delivery.publishSettled(key, outcome, this.current === "subscribed");
  }

  // ---- internals --------------------------------------------------------------------------

  private subscribe(unsubscribeFirst: boolean): void {
    this.invalidate();
    const gen = this.generation;
    this.current = "subscribing";
    if (unsubscribeFirst) this.stream.clearHeld();
    if (!this.host.connected) return;
    if (unsubscribeFirst) this.host.request({ type: "unsubscribe", channel: this.channel }, ignoreReply);
    const since = this.stream.position ?? this.options.since;
    // Only until the first `subscribed`: from then on the position exists and resubscribes resume.
    const rewind = since ? undefined : this.options.rewind;
    const send = (token: string | undefined): void => {
      if (gen !== this.generation || !this.host.connected) return;
      const frame: RequestFrame = { type: "subscribe", channel: this.channel };
      if (since) frame.since = { epoch: since.epoch, offset: since.offset };
      else if (rewind !== undefined) frame.rewind = rewind;
      if (token !== undefined) frame.token = token;
      const sent = this.host.request(frame, {
        reply: (reply) => gen === this.generation && this.onSubscribed(reply, since),
        fail: (error) => gen === this.generation && this.onSubscribeError(error),
        lost: noop,
      });
      if (sent instanceof SwitchboardError) return this.onSubscribeError(sent);
      if (sent === undefined) return; // offline: the next connect subscribes
      // A hub that takes the frame but never answers must not leave us "subscribing" forever.
      this.retryTimer = setTimeout(() => {
        if (gen === this.generation && this.current === "subscribing") this.subscribe(true);
      }, this.host.subscribeTimeoutMs);
    };
    resolveToken(this.options.token).then(send, (err: unknown) => {
      if (gen !== this.generation) return;
      const message = err instanceof Error ? err.message : String(err);
      this.events.emit(
        "error",
        new SwitchboardError("UNAUTHORIZED", `channel token source failed: ${message}`),
      );
    });
  }

  private onSubscribed(reply: ReplyFrame, since: StreamPosition | undefined): void {
    if (reply.type !== "subscribed") {
      this.onSubscribeError(new SwitchboardError("INTERNAL", `hub answered subscribe with ${reply.type}`));
      return;
    }
    this.retry.reset();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.current = "subscribed";
    const gen = this.generation;
    const resumed = since !== undefined;
    const recovered = resumed && reply.recovered;
    // Recovery continues from where we were; a rewind from just before the last K (the reply holds
    // them, and live pubs continue after them); anything else starts at the hub's top.
    const rewound = !resumed ? reply.publications[0] : undefined;
    if (recovered && since) this.stream.reset({ epoch: reply.epoch, offset: since.offset });
    else if (rewound) this.stream.reset({ epoch: reply.epoch, offset: rewound.offset - 1 });
    else this.stream.reset({ epoch: reply.epoch, offset: reply.offset });
    this.stream.noteTop(reply.offset);
    this.events.emit("subscribed", {
      epoch: reply.epoch,
      offset: reply.offset,
      recovered: reply.recovered,
      resumed,
    });
    if (gen !== this.generation) {
      // Ended in the listener (close()): the next subscribe must ask for the old position
      // again, or the `lost` it owes the app would turn into a quiet `recovered: true`.
      if (resumed && !recovered && since) this.stream.reset(since);
      return;
    }
    if (resumed && !recovered) {
      this.events.emit("lost", {
        reason: lostReason(since, reply),
        epoch: reply.epoch,
        offset: reply.offset,
      });
      if (gen !== this.generation) return;
      this.delivery.settle(true);
    }
    if (recovered || rewound) this.deliver(reply.publications);
    this.deliver([]);
    this.delivery.settle(false);
    this.gaps.check();
  }

  private onSubscribeError(error: SwitchboardError): void {
    clearTimeout(this.retryTimer);
    const again = error.code === "ALREADY_SUBSCRIBED";
    if (isRetryableCode(error.code) || again) {
      const gen = this.generation;
      this.retryTimer = setTimeout(() => gen === this.generation && this.subscribe(again), this.retry.next());
      return;
    }
    // Refused for good on this connection; the next reconnect tries again (tokens may change).
    this.events.emit("error", error);
  }

  private onPub(frame: PubFrame): void {
    const { type: _type, channel: _channel, ...publication } = frame;
    if (this.current !== "subscribed") {
      this.stream.hold(publication);
      return;
    }
    this.deliver([publication]);
    this.gaps.check();
  }

  private deliver(publications: readonly Publication[]): void {
    const gen = this.generation;
    this.delivery.deliver(publications, () => gen === this.generation);
  }

  private invalidate(): void {
    this.generation++;
    this.gaps.reset();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private end(): void {
    this.current = "unsubscribed";
    this.invalidate();
    this.stream.clearHeld();
  }
}

function lostReason(since: StreamPosition | undefined, reply: SubscribedFrame): string {
  if (since && since.epoch !== reply.epoch)
    return `epoch changed (${since.epoch} → ${reply.epoch}): history was reset`;
  return `history no longer reaches back to offset ${since?.offset ?? 0}`;
}
