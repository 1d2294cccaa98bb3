/**
 * The channels this node has local subscribers for: one ChannelStream each, fed by broker events.
 * A stream starts with its first subscriber and closes (broker unsubscribe) with its last.
 */
import type { SubscribedFrame } from "@switchboard/protocol";
import {
  type Broker,
  type BrokerEvent,
  BrokerUnavailableError,
  type HistoryPolicy,
} from "./brokers/broker.js";
import type { PresenceBatching } from "./channel-presence.js";
import { ChannelStream, type JoinStart, type StreamSubscriber } from "./channel-stream.js";
import type { FlushScheduler } from "./flush-scheduler.js";

type SubscribedBody = Omit<SubscribedFrame, "id" | "type">;

export class ChannelRegistry {
  private readonly streams = new Map<string, ChannelStream>();

  constructor(
    private readonly broker: Broker,
    /** The node's write passes: each stream hands its publications to its subscribers there. */
    private readonly flusher: FlushScheduler,
    private readonly onDelivered: (count: number) => void,
    private readonly joinLeaveMaxSubscribers: number,
    private readonly batching: PresenceBatching,
  ) {}

  readonly handleEvent = (event: BrokerEvent): void => {
    if (event.type === "resync") {
      for (const stream of this.streams.values()) void stream.resync();
      return;
    }
    const stream = this.streams.get(event.channel);
    if (!stream) return;
    if (event.type === "pub") stream.onPublication(event.epoch, event.publication);
    else stream.onPresence(event.type, event.info);
  };

  /** Subscribes; retries on a fresh stream when the one it joined was reset meanwhile. */
  async subscribe(
    sub: StreamSubscriber,
    channel: string,
    start: JoinStart,
    policy: HistoryPolicy,
    /** The subscriber asked for presence diffs (`countable`: the namespace has presence on). */
    presenceDiff?: { countable: boolean },
  ): Promise<SubscribedBody> {
    for (let attempt = 0; ; attempt++) {
      const stream = this.streamFor(channel, policy);
      const body = await stream.join(sub, start);
      if (body) {
        if (presenceDiff) stream.watchPresence(sub.id, presenceDiff.countable);
        return body;
      }
      if (attempt === 3) throw new BrokerUnavailableError(`channel ${channel} keeps resetting`);
    }
  }

  unsubscribe(subscriberId: string, channel: string): void {
    this.streams.get(channel)?.leave(subscriberId);
  }

  private streamFor(channel: string, policy: HistoryPolicy): ChannelStream {
    const existing = this.streams.get(channel);
    if (existing && !existing.closed) return existing;
    const stream = new ChannelStream(
      channel,
      this.broker,
      policy,
      this.flusher,
      this.onDelivered,
      (closed) => {
        if (this.streams.get(channel) !== closed) return;
        this.streams.delete(channel);
        this.broker.unsubscribe(channel).catch(() => {
          // Best effort: a broker that is down has no live subscription to drop.
        });
      },
      this.joinLeaveMaxSubscribers,
      this.batching,
    );
    this.streams.set(channel, stream);
    // A failed start surfaces through join(); keep the rejection from being unhandled here.
    stream.ready.catch(() => undefined);
    return stream;
  }
}
