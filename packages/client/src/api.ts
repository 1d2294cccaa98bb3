/** The public shape of a client and a subscription (what `createClient` and `subscribe` return). */
import type { ClientInfo, Json, StreamPosition } from "@switchboard/protocol";
import type { Listener, Unsubscribe } from "./emitter.js";
import type {
  ClientEvents,
  ClientState,
  HistoryOptions,
  HistoryResult,
  OutboxState,
  PublishOptions,
  PublishResult,
  SubscribeOptions,
  SubscriptionEvents,
  SubscriptionState,
  TabRole,
} from "./types.js";

export interface Subscription {
  readonly channel: string;
  readonly state: SubscriptionState;
  /** Position of the last delivered publication (or the live start); undefined before the first subscribe. */
  readonly position: StreamPosition | undefined;
  on<K extends keyof SubscriptionEvents>(type: K, listener: Listener<SubscriptionEvents[K]>): Unsubscribe;
  once<K extends keyof SubscriptionEvents>(type: K, listener: Listener<SubscriptionEvents[K]>): Unsubscribe;
  off<K extends keyof SubscriptionEvents>(type: K, listener: Listener<SubscriptionEvents[K]>): void;
  history(options?: HistoryOptions): Promise<HistoryResult>;
  presence(options?: { timeoutMs?: number }): Promise<ClientInfo[]>;
  /** The number of clients subscribed (one small reply, whatever the channel's size). */
  presenceCount(options?: { timeoutMs?: number }): Promise<number>;
  /** Stops delivery; subscribing to the channel again later creates a new Subscription. */
  unsubscribe(): void;
}

export interface Client {
  readonly state: ClientState;
  /** Hub-assigned id of the current connection. */
  readonly clientId: string | undefined;
  /** Name of the hub node of the current connection. */
  readonly node: string | undefined;
  /** Whether this tab holds the browser's connection or rides another tab's ("tab" events). */
  readonly tabRole: TabRole;
  /** The offline outbox now: queued publishes and whether they survive a reload ("outbox" events). */
  readonly outbox: OutboxState;
  on<K extends keyof ClientEvents>(type: K, listener: Listener<ClientEvents[K]>): Unsubscribe;
  once<K extends keyof ClientEvents>(type: K, listener: Listener<ClientEvents[K]>): Unsubscribe;
  off<K extends keyof ClientEvents>(type: K, listener: Listener<ClientEvents[K]>): void;
  /** Starts connecting (no-op when already connecting or connected). */
  connect(): void;
  /**
   * Disconnects and stops reconnecting. In-flight publishes and requests reject with CLOSED.
   * Subscriptions stay registered and resume with recovery if connect() is called again.
   */
  close(): void;
  /** Same channel twice → the same Subscription (options of later calls are ignored). */
  subscribe(channel: string, options?: SubscribeOptions): Subscription;
  /** The subscription of a channel, if any. */
  getSubscription(channel: string): Subscription | undefined;
  publish(channel: string, data: Json, options?: PublishOptions): Promise<PublishResult>;
  history(channel: string, options?: HistoryOptions): Promise<HistoryResult>;
  presence(channel: string, options?: { timeoutMs?: number }): Promise<ClientInfo[]>;
  presenceCount(channel: string, options?: { timeoutMs?: number }): Promise<number>;
}
