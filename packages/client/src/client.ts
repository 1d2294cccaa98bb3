/**
 * The client: wires the connection, the request tracker, the retried requests and the
 * subscriptions together. Everything stateful lives in those parts; this file routes.
 */
import {
  type ClientFrame,
  type ClientInfo,
  encodeFrame,
  type HubFrame,
  isValidChannel,
  type Json,
} from "@switchboard/protocol";
import type { Client, Subscription } from "./api.js";
import type { CloseDecision } from "./connection/close-policy.js";
import { Connection } from "./connection/connection.js";
import { utf8Length } from "./connection/outbox.js";
import type { WebSocketCtor } from "./connection/socket-types.js";
import { clientDefaults } from "./defaults.js";
import { Emitter, type Listener, type Unsubscribe } from "./emitter.js";
import { SwitchboardError } from "./errors.js";
import { generateKey } from "./keys.js";
import { toMessage } from "./message.js";
import { OfflineOutbox } from "./outbox/offline-outbox.js";
import type { OutboxRecord } from "./outbox/outbox-store.js";
import { type ReplyHandlers, ReplyTracker, type RequestFrame } from "./requests/reply-tracker.js";
import { RetryingRequests } from "./requests/retrying-requests.js";
import { ChannelSubscription, type SubscriptionHost } from "./subscription/channel-subscription.js";
import { TabCoordinator } from "./tabs/tab-coordinator.js";
import { tabLocks } from "./tabs/tab-support.js";
import type {
  ClientEvents,
  ClientOptions,
  ClientState,
  HistoryOptions,
  HistoryResult,
  Message,
  OutboxState,
  PublishOptions,
  PublishResult,
  SubscribeOptions,
  TabRole,
} from "./types.js";

export function createClient(options: ClientOptions): Client {
  return new SwitchboardClient(options);
}

class SwitchboardClient implements Client {
  private readonly events = new Emitter<ClientEvents>();
  private readonly tracker = new ReplyTracker();
  private readonly subscriptions = new Map<string, ChannelSubscription>();
  private readonly connection: Connection;
  private readonly pending: RetryingRequests;
  private readonly host: SubscriptionHost;
  private readonly publishTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  /** Set when this client shares one hub connection with the other tabs (docs/client.md, "Tabs"). */
  private readonly tabs: TabCoordinator | undefined;
  /** Every publish until it settles; IndexedDB-backed in a browser (docs/client.md, "Offline"). */
  private readonly outboxStore: OfflineOutbox | undefined;
  /** Until the outbox has adopted what earlier pages left: new publishes queue behind those. */
  private restoring: Promise<void> | undefined;
  /** Adopted entries not yet settled, shown as pending by subscriptions made later. */
  private readonly adopted = new Map<string, Message>();
  private closedByApp = false;
  /** Set when the hub ended the connection for good (4000, 4001, reconnect: false) until connect(). */
  private refusal: string | undefined;

  constructor(options: ClientOptions) {
    const urls = typeof options.urls === "string" ? [options.urls] : [...options.urls];
    if (urls.length === 0)
      throw new SwitchboardError("INVALID_ARGUMENT", "options.urls: at least one hub URL is required");
    const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!WebSocket)
      throw new SwitchboardError(
        "INVALID_ARGUMENT",
        "no WebSocket implementation: pass options.WebSocket (e.g. `ws`)",
      );
    this.publishTimeoutMs = options.publishTimeoutMs ?? clientDefaults.publishTimeoutMs;
    this.requestTimeoutMs = options.requestTimeoutMs ?? clientDefaults.requestTimeoutMs;
    this.tabs = this.createTabs(options, urls);
    this.outboxStore = this.createOutbox(options, urls);
    this.connection = new Connection(
      {
        urls,
        name: options.name,
        presenceDiff: options.presenceDiff ?? clientDefaults.presenceDiff,
        token: options.getToken ?? options.token,
        // Sharing: the "socket" leads to the holding tab's relay, whose own client has the real one.
        WebSocket: this.tabs ? this.tabs.WebSocket : WebSocket,
        connectTimeoutMs: options.connectTimeoutMs ?? clientDefaults.connectTimeoutMs,
        backoff: { ...clientDefaults.backoff, ...options.backoff },
        coalesce: options.coalesce ?? clientDefaults.coalesce,
        maxFrameBytes: clientDefaults.maxFrameBytes,
        minSessionForImmediateMs: clientDefaults.minSessionForImmediateMs,
      },
      {
        connected: () => this.onConnected(),
        frame: (frame) => this.onFrame(frame),
        disconnected: () => this.onDisconnected(),
        stopped: (decision) => this.onStopped(decision),
        state: (event) => this.events.emit("state", event),
        error: (error) => this.events.emit("error", error),
        nextId: () => this.tracker.allocate(),
      },
    );
    this.pending = new RetryingRequests(
      { send: (frame, handlers) => this.send(frame, handlers), forget: (id) => this.tracker.forget(id) },
      clientDefaults.retry,
    );
    const connection = this.connection;
    this.host = {
      get connected() {
        return connection.state === "connected";
      },
      request: (frame, handlers) => this.send(frame, handlers),
      history: (channel, opts) => this.history(channel, opts),
      presence: (channel, opts) => this.presence(channel, opts),
      presenceCount: (channel, opts) => this.presenceCount(channel, opts),
      get clientId() {
        return connection.clientId;
      },
      // The copy proves the append: a lost `published` reply must not end in TIMEOUT.
      ownCopy: (channel, key, position) => this.pending.proven(channel, key, position),
      release: (sub) => {
        if (this.subscriptions.get(sub.channel) === sub) this.subscriptions.delete(sub.channel);
      },
      retry: clientDefaults.retry,
      gapPageLimit: clientDefaults.gapPageLimit,
      subscribeTimeoutMs: this.requestTimeoutMs,
    };
    if (this.outboxStore?.restores) {
      const restoring = this.outboxStore.start().catch(() => undefined);
      this.restoring = restoring;
      void restoring.then(() => {
        if (this.restoring === restoring) this.restoring = undefined;
      });
    }
    if (options.autoConnect ?? clientDefaults.autoConnect)
      // A microtask, so listeners added right after createClient() see the first events.
      queueMicrotask(() => {
        if (this.closedByApp) return;
        this.tabs?.start();
        this.connection.connect();
      });
  }

  get state(): ClientState {
    return this.connection.state;
  }

  get clientId(): string | undefined {
    return this.connection.clientId;
  }

  get node(): string | undefined {
    return this.connection.node;
  }

  get tabRole(): TabRole {
    return this.tabs ? this.tabs.currentRole : "off";
  }

  get outbox(): OutboxState {
    return this.outboxStore ? this.outboxStore.state : { queued: 0, bytes: 0, persistent: false };
  }

  on<K extends keyof ClientEvents>(type: K, listener: Listener<ClientEvents[K]>): Unsubscribe {
    return this.events.on(type, listener);
  }

  once<K extends keyof ClientEvents>(type: K, listener: Listener<ClientEvents[K]>): Unsubscribe {
    return this.events.once(type, listener);
  }

  off<K extends keyof ClientEvents>(type: K, listener: Listener<ClientEvents[K]>): void {
    this.events.off(type, listener);
  }

  connect(): void {
    this.closedByApp = false;
    this.refusal = undefined;
    this.tabs?.start();
    this.connection.connect();
  }

  close(): void {
    this.closedByApp = true;
    this.connection.close();
    this.tabs?.stop();
    this.pending.rejectAll(new SwitchboardError("CLOSED", "the client was closed"));
    this.outboxStore?.close();
  }

  subscribe(channel: string, options: SubscribeOptions = {}): Subscription {
    const existing = this.subscriptions.get(channel);
    if (existing) return existing;
    if (!isValidChannel(channel))
      throw new SwitchboardError("INVALID_ARGUMENT", `invalid channel name "${channel}"`);
    const { rewind } = options;
    if (rewind !== undefined && !(Number.isSafeInteger(rewind) && rewind >= 1))
      throw new SwitchboardError("INVALID_ARGUMENT", `rewind: a whole number ≥ 1 expected, got ${rewind}`);
    const sub = new ChannelSubscription(channel, this.host, options);
    this.subscriptions.set(channel, sub);
    // In a microtask: the app adds its listeners right after subscribe() returns.
    if (this.adopted.size > 0)
      queueMicrotask(() => {
        if (this.subscriptions.get(channel) !== sub) return;
        for (const message of this.adopted.values())
          if (message.channel === channel && message.key !== undefined)
            sub.localPublish(message.key, message);
      });
    if (this.connection.state === "connected") sub.connected();
    return sub;
  }

  getSubscription(channel: string): Subscription | undefined {
    return this.subscriptions.get(channel);
  }

  publish(channel: string, data: Json, options: PublishOptions = {}): Promise<PublishResult> {
    if (!isValidChannel(channel))
      return Promise.reject(new SwitchboardError("INVALID_ARGUMENT", `invalid channel name "${channel}"`));
    if (data === undefined)
      return Promise.reject(new SwitchboardError("INVALID_ARGUMENT", "data: required (any JSON value)"));
    const closed = this.closedError();
    if (closed) return Promise.reject(closed);
    const key = options.key ?? generateKey();
    const time = Date.now();
    const full = this.outboxStore?.hold(channel, key, data, time);
    if (full) return Promise.reject(full);
    const echo: Message = { channel, key, data, time, pending: true };
    if (this.clientId !== undefined) echo.info = { client: this.clientId };
    this.subscriptions.get(channel)?.localPublish(key, echo);
    const timeoutMs = options.timeoutMs ?? this.publishTimeoutMs;
    const restoring = this.restoring;
    if (!restoring) return this.sendPublish(channel, key, data, timeoutMs);
    return restoring.then(() => {
      const closed = this.closedError();
      if (!closed) return this.sendPublish(channel, key, data, timeoutMs);
      this.outboxStore?.release(channel, key);
      this.subscriptions.get(channel)?.publishSettled(key, closed);
      throw closed;
    });
  }

  /** Hands a publish to the retrying requests; it leaves the outbox when it settles. */
  private sendPublish(channel: string, key: string, data: Json, timeoutMs: number): Promise<PublishResult> {
    const frame = { type: "publish", channel, data, key } as const;
    const done = this.pending.publish(
      frame,
      timeoutMs,
      (outcome) => this.subscriptions.get(channel)?.publishSettled(key, outcome),
      this.outboxStore !== undefined,
    );
    const outbox = this.outboxStore;
    if (outbox) {
      const release = (): void => {
        this.adopted.delete(`${channel}\n${key}`);
        outbox.release(channel, key);
      };
      done.then(release, release);
    }
    return done;
  }

  async history(channel: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    this.assertOpen();
    const frame: RequestFrame = { type: "history", channel };
    if (options.since) frame.since = { epoch: options.since.epoch, offset: options.since.offset };
    if (options.limit !== undefined) frame.limit = options.limit;
    const reply = await this.pending.request(frame, "history", options.timeoutMs ?? this.requestTimeoutMs);
    return {
      epoch: reply.epoch,
      offset: reply.offset,
      publications: reply.publications.map((p) => toMessage(channel, p)),
    };
  }

  async presence(channel: string, options: { timeoutMs?: number } = {}): Promise<ClientInfo[]> {
    this.assertOpen();
    const frame: RequestFrame = { type: "presence", channel };
    const reply = await this.pending.request(frame, "presence", options.timeoutMs ?? this.requestTimeoutMs);
    return reply.clients;
  }

  /** The number of clients in `channel` (cheap for any size; the list is `presence`). */
  async presenceCount(channel: string, options: { timeoutMs?: number } = {}): Promise<number> {
    this.assertOpen();
    const frame: RequestFrame = { type: "presence", channel, count: true };
    const reply = await this.pending.request(frame, "occupancy", options.timeoutMs ?? this.requestTimeoutMs);
    return reply.count;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private createTabs(options: ClientOptions, urls: string[]): TabCoordinator | undefined {
    const shared = tabLocks(options);
    if (!shared) return undefined;
    const { settings } = shared;
    const defaults = clientDefaults.tabs;
    return new TabCoordinator({
      group: settings.group ?? urls.join(" "),
      heartbeatMs: settings.heartbeatMs ?? defaults.heartbeatMs,
      leaderTimeoutMs: settings.leaderTimeoutMs ?? defaults.leaderTimeoutMs,
      riderTimeoutMs: settings.riderTimeoutMs ?? defaults.riderTimeoutMs,
      replayWindow: settings.replayWindow ?? defaults.replayWindow,
      historyPageLimit: clientDefaults.gapPageLimit,
      locks: shared.locks,
      // The one real connection, made only in the holding tab. It serves the relay alone: the
      // riding clients (this tab's too) keep their own publishes while it is down and re-send
      // them under the same keys, so state such as an offline outbox belongs to them, not here.
      // Its outbox is off: each tab's own client keeps its publishes (riders have no link offline).
      createUpstream: () => createClient({ ...options, tabs: false, outbox: false, autoConnect: true }),
      onRole: (role) => this.events.emit("tab", { role }),
    });
  }

  private createOutbox(options: ClientOptions, urls: string[]): OfflineOutbox | undefined {
    if (options.outbox === false) return undefined;
    const settings = typeof options.outbox === "object" ? options.outbox : {};
    const defaults = clientDefaults.outbox;
    const tabs = typeof options.tabs === "object" ? options.tabs : undefined;
    return new OfflineOutbox(
      {
        group: tabs?.group ?? urls.join(" "),
        maxEntries: settings.maxEntries ?? defaults.maxEntries,
        maxBytes: settings.maxBytes ?? defaults.maxBytes,
        storage: settings.storage ?? defaults.storage,
      },
      {
        changed: (state) => this.events.emit("outbox", state),
        error: (error) => this.events.emit("error", error),
        adopted: (records) => this.adopt(records),
      },
    );
  }

  /** Publishes a gone page left in the outbox: shown pending, sent under their keys, in order. */
  private adopt(records: OutboxRecord[]): void {
    for (const record of records) {
      const { channel, key, data, time } = record;
      if (this.closedByApp || this.outboxStore?.hold(channel, key, data, time, record.id)) continue;
      const echo: Message = { channel, key, data, time, pending: true };
      this.adopted.set(`${channel}\n${key}`, echo);
      this.subscriptions.get(channel)?.localPublish(key, echo);
      this.sendPublish(channel, key, data, this.publishTimeoutMs).catch(() => undefined);
    }
  }

  private assertOpen(): void {
    const closed = this.closedError();
    if (closed) throw closed;
  }

  /** CLOSED when nothing would ever send a request (no reconnect is coming): waiting would only time out. */
  private closedError(): SwitchboardError | undefined {
    if (this.closedByApp) return new SwitchboardError("CLOSED", "the client was closed");
    if (this.refusal !== undefined) return new SwitchboardError("CLOSED", this.refusal);
    return undefined;
  }

  /** Sends a request on the current connection, or says why not. */
  private send(frame: RequestFrame, handlers: ReplyHandlers): number | SwitchboardError | undefined {
    if (this.connection.state !== "connected") return undefined;
    const id = this.tracker.allocate();
    let encoded: string;
    try {
      encoded = encodeFrame({ ...frame, id } as ClientFrame);
    } catch (err) {
      // Circular data, BigInt, …: refuse instead of throwing out of the client's bookkeeping.
      const reason = err instanceof Error ? err.message : String(err);
      return new SwitchboardError("INVALID_ARGUMENT", `${frame.type} frame is not serializable: ${reason}`);
    }
    const bytes = utf8Length(encoded);
    // Sending it would get the socket closed with 1009, and a retry would loop: refuse it here.
    if (bytes > this.connection.maxFrameBytes)
      return new SwitchboardError(
        "LIMIT_EXCEEDED",
        `${frame.type} frame of ${bytes} bytes exceeds the hub's maxFrameBytes (${this.connection.maxFrameBytes})`,
      );
    this.tracker.track(id, handlers);
    this.connection.sendEncoded(encoded);
    return id;
  }

  private onConnected(): void {
    for (const sub of this.subscriptions.values()) sub.connected();
    this.pending.resendAll();
  }

  private onDisconnected(): void {
    for (const sub of this.subscriptions.values()) sub.disconnected();
    this.tracker.dropAll();
  }

  private onStopped(decision: CloseDecision): void {
    const code = decision.code === undefined ? "" : ` (${decision.code})`;
    this.refusal = `the hub refused the connection: ${decision.reason}${code}; call connect() to try again`;
    this.pending.rejectAll(
      new SwitchboardError("CLOSED", `the hub closed the connection: ${decision.reason}${code}`),
    );
  }

  private onFrame(frame: HubFrame): void {
    if (this.tracker.settle(frame)) return;
    switch (frame.type) {
      case "pub":
      case "join":
      case "leave":
      case "presence_diff":
      case "occupancy":
        this.subscriptions.get(frame.channel)?.handle(frame);
        return;
      case "unsubscribed":
        // Only the hub's own unsubscribe has no id; a late reply to ours is not for a live subscription.
        if (frame.id === undefined) this.subscriptions.get(frame.channel)?.handle(frame);
        return;
      case "error":
        if (frame.id === undefined)
          this.events.emit("error", new SwitchboardError(frame.code, frame.message));
        return;
      default:
      // A late reply to a request we stopped waiting for (timeout): nothing to do.
    }
  }
}
