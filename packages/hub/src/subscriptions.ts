/**
 * One connection's subscriptions: a slot per channel, `joining` while the subscribe is in flight
 * (its `subscribed` reply not sent yet), then `joined`. Subscribe and unsubscribe of one channel
 * run one at a time in arrival order (a subscribe pipelined behind an unsubscribe of a
 * still-joining subscription — the SDK's retry — must not meet it); other channels run freely.
 */
import { KeyedSerial } from "./util/keyed-serial.js";

export interface JoiningSlot {
  readonly state: "joining";
  /** Settles when the join does (either way). */
  readonly joined: Promise<unknown>;
  /** The stream ended while joining: this `unsubscribed` frame goes out right after the reply. */
  endedFrame?: string;
}
export interface JoinedSlot {
  readonly state: "joined";
}
export type SubscriptionSlot = JoiningSlot | JoinedSlot;

const JOINED: JoinedSlot = { state: "joined" };

export class Subscriptions {
  readonly #slots = new Map<string, SubscriptionSlot>();
  /** Made on the first subscribe: a connection that never subscribes needs none. */
  #order: KeyedSerial | undefined;

  /** Runs a subscribe/unsubscribe of `channel` after the ones that arrived before it. */
  inOrder(channel: string, task: () => Promise<void>): Promise<void> {
    this.#order ??= new KeyedSerial();
    return this.#order.run(channel, task);
  }

  get size(): number {
    return this.#slots.size;
  }

  get(channel: string): SubscriptionSlot | undefined {
    return this.#slots.get(channel);
  }

  /** Channels whose `subscribed` reply went out. */
  *joinedChannels(): Iterable<string> {
    for (const [channel, slot] of this.#slots) if (slot.state === "joined") yield channel;
  }

  channels(): string[] {
    return [...this.#slots.keys()];
  }

  startJoining(channel: string, joined: Promise<unknown>): JoiningSlot {
    const slot: JoiningSlot = { state: "joining", joined };
    this.#slots.set(channel, slot);
    return slot;
  }

  /** Whether `slot` is still the channel's (not removed by a close or replaced meanwhile). */
  isCurrent(channel: string, slot: SubscriptionSlot): boolean {
    return this.#slots.get(channel) === slot;
  }

  /** joining → joined. Returns the frame of a stream end that happened while joining, if any. */
  markJoined(channel: string, slot: JoiningSlot): string | undefined {
    this.#slots.set(channel, JOINED);
    return slot.endedFrame;
  }

  /** Removes the channel's slot and returns what it was. */
  remove(channel: string): SubscriptionSlot | undefined {
    const slot = this.#slots.get(channel);
    this.#slots.delete(channel);
    return slot;
  }
}
