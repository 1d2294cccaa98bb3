/**
 * What `useChannel` shows: the channel's publications in delivery order (the client delivers
 * each once, in offset order; own publishes first arrive pending and are updated in place),
 * capped at `maxMessages`. Events only mutate; the array handed to React is copied at most once
 * per change batch, so a burst of publications costs one copy, not one per message.
 */
import type {
  FailedMessage,
  LostEvent,
  Message,
  SubscribedEvent,
  SubscriptionState,
  SwitchboardError,
} from "@switchboard/client";

export type DeliveryStatus = "pending" | "confirmed" | "failed";

export interface ChannelMessage extends Message {
  /** pending: own publish the hub has not stored yet; confirmed: the hub has it (every other message). */
  readonly status: DeliveryStatus;
  /** Why an own publish failed (status "failed"). */
  readonly error?: SwitchboardError | undefined;
}

export interface ChannelView {
  readonly messages: readonly ChannelMessage[];
  /** "idle" until the component's effect has subscribed (and when `enabled` is false). */
  readonly state: SubscriptionState | "idle";
  /** The last `subscribed` (position, recovered) of this subscription. */
  readonly subscribed: SubscribedEvent | undefined;
  /** Set when recovery was impossible: messages between the last shown and the new position are missing. */
  readonly lost: LostEvent | undefined;
  /** The last error the hub gave for this subscription (e.g. PERMISSION_DENIED); cleared on subscribed. */
  readonly error: SwitchboardError | undefined;
}

export const idleView: ChannelView = {
  messages: [],
  state: "idle",
  subscribed: undefined,
  lost: undefined,
  error: undefined,
};

export class ChannelLog {
  #messages: ChannelMessage[] = [];
  #view: ChannelView;
  #dirty = false;
  #fields: Omit<ChannelView, "messages">;

  constructor(
    readonly maxMessages: number,
    state: SubscriptionState,
  ) {
    this.#fields = { ...idleView, state };
    this.#view = { ...this.#fields, messages: [] };
  }

  get view(): ChannelView {
    if (this.#dirty) {
      this.#dirty = false;
      this.#view = { ...this.#fields, messages: this.#messages.slice() };
    }
    return this.#view;
  }

  publication(message: Message): void {
    if (message.key !== undefined && !message.pending && this.#replace(message.key, confirmedOf(message)))
      return;
    this.#messages.push(message.pending ? { ...message, status: "pending" } : confirmedOf(message));
    if (this.#messages.length > this.maxMessages)
      this.#messages.splice(0, this.#messages.length - this.maxMessages);
    this.#dirty = true;
  }

  confirmed(message: Message): void {
    if (message.key !== undefined) this.#replace(message.key, confirmedOf(message));
  }

  failed(message: FailedMessage): void {
    if (message.key !== undefined) this.#replace(message.key, { ...message, status: "failed" });
  }

  set(change: Partial<Omit<ChannelView, "messages">>): void {
    this.#fields = { ...this.#fields, ...change };
    this.#dirty = true;
  }

  /** Own messages sit near the end: the scan from the end is short. */
  #replace(key: string, next: ChannelMessage): boolean {
    for (let i = this.#messages.length - 1; i >= 0; i--) {
      if (this.#messages[i]?.key === key) {
        this.#messages[i] = next;
        this.#dirty = true;
        return true;
      }
    }
    return false;
  }
}

function confirmedOf(message: Message): ChannelMessage {
  return { ...message, pending: false, status: "confirmed" };
}
