/**
 * One channel's live stream on this node. Keeps the node's view of the channel's position and
 * guarantees that every local subscriber sees offsets strictly increasing by one: live events
 * from the broker that skip offsets are held back and the gap is filled from history; a gap
 * that cannot be filled (history lost, epoch changed) ends every local subscription with
 * `insufficient_state` so clients resubscribe with `since` and learn `recovered: false`.
 * Each publication is serialized once and the same bytes go to every subscriber.
 */
import {
  type ClientInfo,
  encodeFrame,
  endedFrame,
  type Publication,
  presenceFrame,
  pubFrame,
  type StreamPosition,
  type SubscribedFrame,
  UnsubscribeReason,
} from "@switchboard/protocol";
import type { Broker, HistoryPolicy } from "./brokers/broker.js";
import { ChannelPresence, type PresenceBatching } from "./channel-presence.js";
import type { FlushScheduler, RunSource } from "./flush-scheduler.js";
import { PublicationRun, SharedFrame } from "./shared-frame.js";

/** What a stream needs from a subscribed connection. */
export interface StreamSubscriber {
  readonly id: string;
  /** The channel's publications of one write pass, in order (see FlushScheduler). */
  deliverRun(run: PublicationRun): void;
  /** The hub ended this subscription (e.g. insufficient_state). */
  ended(channel: string, frame: string): void;
  /** A join/leave of another client. */
  presenceEvent(frame: string): void;
}

type SubscribedBody = Omit<SubscribedFrame, "id" | "type">;

/** Where a join starts: after `since` (recovery), or `rewind` publications back from the top. */
export interface JoinStart {
  since?: StreamPosition | undefined;
  rewind?: number | undefined;
}

/** How many history reads one recovery or gap fill may take before giving up. */
const MAX_CATCH_UP_ROUNDS = 8;

export function encodePub(channel: string, pub: Publication): SharedFrame {
  return new SharedFrame(Buffer.from(encodeFrame(pubFrame(channel, pub))));
}

export class ChannelStream implements RunSource {
  epoch = "";
  /** Offset of the last publication delivered to local subscribers. */
  offset = 0;
  readonly subscribers = new Map<string, StreamSubscriber>();
  closed = false;
  /** Publications that arrived ahead of `offset + 1` (or before the stream was live). */
  private readonly held = new Map<number, { epoch: string; publication: Publication }>();
  private live = false;
  private filling = false;
  /**
   * Publications delivered while at least one recovering join is reading history. A join reads
   * history only up to the offset it started at and takes the rest from here in the same tick as
   * it adds its subscriber: chasing the moving top with more reads never ends while a history
   * read is slower than the gap between two publications. Empty when no join is recovering.
   */
  private recent: Publication[] = [];
  private recording = 0;
  /** Publications delivered since the last write pass, handed to every subscriber in the pass. */
  private run: PublicationRun | undefined;
  /** Join/leave of the subscribers that asked for `presenceDiff`; created with the first one. */
  private presence: ChannelPresence | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly channel: string,
    private readonly broker: Broker,
    private readonly policy: HistoryPolicy,
    /** The node's write passes: the stream's publications reach its subscribers there, as one run. */
    private readonly flusher: FlushScheduler,
    private readonly onDelivered: (count: number) => void,
    private readonly onClosed: (stream: ChannelStream) => void,
    /** Above this many local subscribers, join/leave frames are not fanned out (docs/protocol.md). */
    private readonly joinLeaveMaxSubscribers: number,
    private readonly batching: PresenceBatching,
  ) {
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    try {
      await this.broker.subscribe(this.channel);
      const top = await this.broker.position(this.channel);
      this.epoch = top.epoch;
      this.offset = top.offset;
      this.live = true;
      this.drainHeld();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  onPublication(epoch: string, publication: Publication): void {
    if (this.closed) return;
    if (!this.live || this.filling) {
      this.held.set(publication.offset, { epoch, publication });
      return;
    }
    if (epoch !== this.epoch) return this.reset();
    if (publication.offset <= this.offset) return; // already delivered (e.g. via a gap fill)
    if (publication.offset === this.offset + 1) return this.deliver(publication);
    this.held.set(publication.offset, { epoch, publication });
    void this.fill();
  }

  onPresence(type: "join" | "leave", info: ClientInfo): void {
    const diffs = this.presence;
    diffs?.onEvent(type, info);
    // One event to every subscriber makes a mass subscribe O(N²) frames; a large channel's
    // occupancy is read with `presence` (or pushed as `occupancy` to presenceDiff subscribers).
    if (this.subscribers.size > this.joinLeaveMaxSubscribers) return;
    if (diffs && this.subscribers.size === diffs.size) return;
    const frame = encodeFrame(presenceFrame(type, this.channel, info));
    for (const sub of this.subscribers.values())
      if (sub.id !== info.client && !diffs?.has(sub.id)) sub.presenceEvent(frame);
  }

  /**
   * A joined subscriber asked for `presenceDiff`: it gets batched diffs and occupancy counts
   * instead of join/leave (channel-presence.ts). `countable`: the namespace has presence on.
   */
  watchPresence(subscriberId: string, countable: boolean): void {
    if (this.closed || !this.subscribers.has(subscriberId)) return;
    this.presence ??= new ChannelPresence(
      this.channel,
      this.subscribers,
      () => this.subscribers.size > this.joinLeaveMaxSubscribers,
      this.joinLeaveMaxSubscribers,
      () => this.broker.presenceCount(this.channel),
      this.batching,
    );
    this.presence.watch(subscriberId, countable);
  }

  /** After a broker reconnect: the stream may have missed events; compare with the broker's top. */
  async resync(): Promise<void> {
    if (this.closed || !this.live) return;
    try {
      const top = await this.broker.position(this.channel);
      if (top.epoch !== this.epoch) this.reset();
      else if (top.offset > this.offset) await this.fill(top.offset);
    } catch {
      // The broker is still unreachable: the next resync event tries again.
    }
  }

  /**
   * Adds a subscriber and returns the body of its `subscribed` reply. The subscriber is added in
   * the same tick as the reply is built, so no live publication falls between the two.
   * `since` recovers what followed it (never partially); without it, `rewind` K returns the last K
   * publications (fewer if fewer are kept) with `recovered: false`. Both read history only up to
   * the offset the join started at and take the rest from `recent`, so neither leaves a gap or a
   * duplicate before the live frames. Returns undefined when the stream closed meanwhile (the
   * caller retries on a fresh stream).
   */
  async join(sub: StreamSubscriber, start: JoinStart): Promise<SubscribedBody | undefined> {
    await this.ready;
    const { since } = start;
    const rewinding = since === undefined && start.rewind !== undefined;
    let recovered: Publication[] = [];
    // Everything after `target` is delivered live meanwhile and lands in `recent`.
    const target = this.offset;
    let recovering =
      rewinding || (since !== undefined && since.epoch === this.epoch && since.offset <= target);
    let from = rewinding ? Math.max(0, target - (start.rewind ?? 0)) : (since?.offset ?? 0);
    this.recording++;
    try {
      for (let round = 0; recovering && from < target; round++) {
        if (round === MAX_CATCH_UP_ROUNDS) {
          recovering = false;
          break;
        }
        const page = await this.broker.history({
          channel: this.channel,
          since: { epoch: this.epoch, offset: from },
          limit: Math.min(target - from, this.policy.size),
          history: this.policy,
        });
        if (this.closed) return undefined;
        if (!page.complete || page.epoch !== this.epoch) {
          // A rewind asks for what is kept, not for a continuation: the newest ones up to `target`.
          if (rewinding && recovered.length === 0) {
            recovered = await this.newestUpTo(target, target - from);
            if (this.closed) return undefined;
            from = target;
          } else recovering = false;
          break;
        }
        for (const p of page.publications) {
          if (p.offset !== from + 1 || p.offset > target) break;
          recovered.push(p);
          from = p.offset;
        }
        if (page.publications.length === 0 && from < target) recovering = false;
      }
      if (this.closed) return undefined;
      // `recent` holds every publication delivered since `target`, in order (older ones too when
      // another join started first): append what follows `from`, up to the current offset.
      for (const p of this.recent) {
        if (!recovering || p.offset <= from) continue;
        if (p.offset !== from + 1) recovering = false;
        else {
          recovered.push(p);
          from = p.offset;
        }
      }
      if (from !== this.offset) recovering = false;
    } finally {
      if (--this.recording === 0) this.recent = [];
    }
    this.settleRun();
    this.subscribers.set(sub.id, sub);
    return {
      channel: this.channel,
      epoch: this.epoch,
      offset: this.offset,
      recovered: recovering && !rewinding,
      // A rewind counts back from the reply's offset, which moved on while history was read.
      publications: !recovering ? [] : rewinding ? recovered.slice(-(start.rewind ?? 0)) : recovered,
    };
  }

  /** The newest kept publications ending exactly at `target` (at most `limit`), or none. */
  private async newestUpTo(target: number, limit: number): Promise<Publication[]> {
    const page = await this.broker.history({
      channel: this.channel,
      limit: limit + (this.offset - target),
      history: this.policy,
    });
    if (page.epoch !== this.epoch) return [];
    const kept = page.publications.filter((p) => p.offset <= target).slice(-limit);
    const contiguous = kept.every((p, i) => p.offset === target - kept.length + 1 + i);
    return contiguous ? kept : [];
  }

  leave(subscriberId: string): void {
    this.settleRun();
    this.subscribers.delete(subscriberId);
    this.presence?.unwatch(subscriberId);
    if (this.subscribers.size === 0) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.settleRun();
    this.closed = true;
    this.presence?.close();
    this.held.clear();
    this.recent = [];
    this.onClosed(this);
  }

  private deliver(publication: Publication): void {
    this.offset = publication.offset;
    if (this.recording > 0) this.recent.push(publication);
    if (this.subscribers.size === 0) return;
    if (this.run === undefined) {
      this.run = new PublicationRun();
      this.flusher.markRun(this);
    }
    this.run.add(encodePub(this.channel, publication), this.flusher.nextSeq());
    this.onDelivered(this.subscribers.size);
  }

  /** The write pass: every subscriber gets the run (the subscribers of every frame in it). */
  flushRun(): void {
    const run = this.run;
    if (run === undefined) return;
    this.run = undefined;
    for (const sub of this.subscribers.values()) sub.deliverRun(run);
  }

  /** Hands out the pending run before the subscribers change, so it reaches exactly those it was delivered to. */
  private settleRun(): void {
    if (this.run !== undefined) this.flushRun();
  }

  /** Delivers held publications that continue the stream; starts a fill if a gap remains. */
  private drainHeld(): void {
    const state = this.deliverContiguous();
    if (state === "gap") void this.fill();
    else if (state === "reset") this.reset();
  }

  private deliverContiguous(): "done" | "gap" | "reset" {
    for (;;) {
      const next = this.held.get(this.offset + 1);
      if (!next) break;
      this.held.delete(this.offset + 1);
      if (next.epoch !== this.epoch) return "reset";
      this.deliver(next.publication);
    }
    for (const [offset, entry] of this.held) {
      if (entry.epoch !== this.epoch) return "reset";
      if (offset <= this.offset) this.held.delete(offset);
    }
    return this.held.size > 0 ? "gap" : "done";
  }

  /** Reads history until the stream is contiguous up to the held publications (and `upTo`). */
  private async fill(upTo = 0): Promise<void> {
    if (this.filling || this.closed) return;
    this.filling = true;
    let state: "done" | "gap" | "reset" = "gap";
    const behind = () => state === "gap" || (state === "done" && this.offset < upTo);
    try {
      for (let round = 0; round < MAX_CATCH_UP_ROUNDS && behind(); round++) {
        const target = Math.max(this.offset + 1, upTo, ...this.held.keys());
        const page = await this.broker.history({
          channel: this.channel,
          since: { epoch: this.epoch, offset: this.offset },
          limit: Math.min(target - this.offset, this.policy.size),
          history: this.policy,
        });
        if (this.closed) return;
        if (!page.complete || page.epoch !== this.epoch) {
          state = "reset";
          break;
        }
        for (const p of page.publications) if (p.offset === this.offset + 1) this.deliver(p);
        state = this.deliverContiguous();
      }
    } catch {
      // Broker unreachable: continuity cannot be guaranteed; subscribers resubscribe with since.
      state = "reset";
    } finally {
      this.filling = false;
    }
    if ((behind() || state === "reset") && !this.closed) this.reset();
  }

  /** The stream can no longer guarantee continuity: end every local subscription. */
  private reset(): void {
    const frame = encodeFrame(endedFrame(this.channel, UnsubscribeReason.INSUFFICIENT_STATE));
    this.settleRun();
    const subs = [...this.subscribers.values()];
    this.subscribers.clear();
    this.close();
    for (const sub of subs) sub.ended(this.channel, frame);
  }
}
