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
  // Most connections hold one subscription: it is kept in two fields, and a Map is made only
  // for a second one (and dropped again once empty), so insertion order is kept either way.
  #channel: string | undefined;
  #slot: SubscriptionSlot | undefined;
  #slots: Map<string, SubscriptionSlot> | undefined;
  /** Made on the first subscribe: a connection that never subscribes needs none. */
  #order: KeyedSerial | undefined;

  /** Runs a subscribe/unsubscribe of `channel` after the ones that arrived before it. */
  inOrder(channel: string, task: () => Promise<void>): Promise<void> {
    this.#order ??= new KeyedSerial();
    return this.#order.run(channel, task);
  }

  get size(): number {
    if (this.#slots) return this.#slots.size;
    return this.#channel === undefined ? 0 : 1;
  }

  get(channel: string): SubscriptionSlot | undefined {
    if (this.#slots) return this.#slots.get(channel);
    return channel === this.#channel ? this.#slot : undefined;
  }

  /** Channels whose `subscribed` reply went out. */
  *joinedChannels(): Iterable<string> {
    if (this.#slots) {
      for (const [channel, slot] of this.#slots) if (slot.state === "joined") yield channel;
    } else if (this.#channel !== undefined && this.#slot?.state === "joined") yield this.#channel;
  }

  channels(): string[] {
    if (this.#slots) return [...this.#slots.keys()];
    return this.#channel === undefined ? [] : [this.#channel];
  }

  startJoining(channel: string, joined: Promise<unknown>): JoiningSlot {
    const slot: JoiningSlot = { state: "joining", joined };
    this.#set(channel, slot);
    return slot;
  }

  /** Whether `slot` is still the channel's (not removed by a close or replaced meanwhile). */
  isCurrent(channel: string, slot: SubscriptionSlot): boolean {
    return this.get(channel) === slot;
  }

  /** joining → joined. Returns the frame of a stream end that happened while joining, if any. */
  markJoined(channel: string, slot: JoiningSlot): string | undefined {
    this.#set(channel, JOINED);
    return slot.endedFrame;
  }

  /** Removes the channel's slot and returns what it was. */
  remove(channel: string): SubscriptionSlot | undefined {
    const slot = this.get(channel);
    if (this.#slots) {
      this.#slots.delete(channel);
      if (this.#slots.size === 0) this.#slots = undefined;
    } else if (channel === this.#channel) {
      this.#channel = undefined;
      this.#slot = undefined;
    }
    return slot;
  }

  #set(channel: string, slot: SubscriptionSlot): void {
    if (this.#slots) this.#slots.set(channel, slot);
    else if (this.#channel === undefined || this.#channel === channel) {
      this.#channel = channel;
      this.#slot = slot;
    } else {
      this.#slots = new Map<string, SubscriptionSlot>([
        [this.#channel, this.#slot as SubscriptionSlot],
        [channel, slot],
      ]);
      this.#channel = undefined;
      this.#slot = undefined;
    }
  }
}
