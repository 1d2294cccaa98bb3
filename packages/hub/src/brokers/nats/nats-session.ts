/**
 * One connection to NATS and everything opened on it: the JetStream client and manager, the
 * history stream and the presence / dedupe buckets. The broker holds one session from start() on,
 * so no handle is ever half-initialized; what a wiped server lost is recreated here (`ensure`).
 */
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";
import type { NatsBrokerConfig } from "./nats-broker-options.js";
import type { NatsNames } from "./nats-layout.js";

interface Buckets {
  presence: KV;
  dedupe: KV;
  /** The history stream's creation time: the store id (a recreated stream is a new store). */
  storeId: string;
}

export class NatsSession {
  #buckets: Buckets;
  #up = true;
  /** Stream duplicate window and dedupe-record TTL, in seconds; only ever widened. */
  #window: number;
  #ensuring: Promise<void> | undefined;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    private readonly o: NatsBrokerConfig,
    private readonly names: NatsNames,
    buckets: Buckets,
  ) {
    this.#buckets = buckets;
    this.#window = o.dedupeWindowSeconds;
  }

  /** Connects and creates (or updates) the stream and buckets; closes again if any of it fails. */
  static async open(o: NatsBrokerConfig, names: NatsNames): Promise<NatsSession> {
    const nc = await connect({
      servers: o.servers.split(","),
      name: `${o.prefix}-hub`,
      timeout: o.connectTimeoutMs,
      maxReconnectAttempts: -1, // forever: operations fail fast meanwhile, the hub stays up
      reconnectTimeWait: o.reconnectWaitMs,
      pingInterval: o.pingIntervalMs,
      maxPingOut: o.maxPingOut,
    });
    try {
      const jsm = await jetstreamManager(nc, { timeout: o.requestTimeoutMs });
      const js = jetstream(nc, { timeout: o.requestTimeoutMs });
      const buckets = await provision(js, jsm, o, names, o.dedupeWindowSeconds);
      return new NatsSession(nc, js, jsm, o, names, buckets);
    } catch (error) {
      await nc.close().catch(() => {});
      throw error;
    }
  }

  /** Connected now (false from a disconnect until the reconnect). */
  get up(): boolean {
    return this.#up && !this.nc.isClosed();
  }

  get presence(): KV {
    return this.#buckets.presence;
  }

  get dedupe(): KV {
    return this.#buckets.dedupe;
  }

  /** Store id for genesis epochs (shared/epoch.ts): changes when the history stream is recreated. */
  get storeId(): string {
    return this.#buckets.storeId;
  }

  /** A round trip within the request timeout. */
  async ready(): Promise<boolean> {
    if (!this.up) return false;
    const late = new Promise<false>((resolve) => setTimeout(resolve, this.o.requestTimeoutMs, false).unref());
    const rtt = this.nc.rtt().then(() => this.#up);
    return Promise.race([rtt.catch(() => false), late]);
  }

  /** Recreates the stream and buckets (they vanished); concurrent callers share one run. */
  ensure(): Promise<void> {
    this.#ensuring ??= provision(this.js, this.jsm, this.o, this.names, this.#window)
      .then((buckets) => {
        this.#buckets = buckets;
      })
      .finally(() => {
        this.#ensuring = undefined;
      });
    return this.#ensuring;
  }

  /** A request asked for a longer dedupe window than the stream has: widen it (never shrinks). */
  async widenWindow(seconds: number): Promise<void> {
    if (seconds <= this.#window) return;
    this.#window = seconds;
    await this.ensure();
    await this.jsm.streams.update(`KV_${this.names.dedupeBucket}`, { max_age: nanos(seconds * 1000) });
  }

  /** Tracks the connection; `onReconnect` runs after each reconnect (subscriptions are re-sent by then). */
  async watch(onReconnect: () => Promise<void>): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === "disconnect" || status.type === "staleConnection") this.#up = false;
      if (status.type === "reconnect") {
        this.#up = true;
        await onReconnect();
      }
    }
  }

  async close(): Promise<void> {
    this.#up = false;
    await this.nc.close().catch(() => {});
  }
}

async function provision(
  js: JetStreamClient,
  jsm: JetStreamManager,
  o: NatsBrokerConfig,
  names: NatsNames,
  windowSeconds: number,
): Promise<Buckets> {
  const config = {
    name: names.stream,
    subjects: [names.historySubjects],
    allow_direct: true,
    max_age: nanos(o.metaTtlSeconds * 1000),
    duplicate_window: nanos(windowSeconds * 1000),
    num_replicas: o.replicas,
  };
  let info: { created: string };
  try {
    info = await jsm.streams.add(config);
  } catch {
    info = await jsm.streams.update(names.stream, config); // exists with other settings
  }
  const kvm = new Kvm(js);
  const opts = { history: 1, replicas: o.replicas };
  // No max age: an entry lives as long as its node's liveness record (nats-broker.ts, presence).
  const presence = await kvm.create(names.presenceBucket, opts);
  const dedupe = await kvm.create(names.dedupeBucket, { ...opts, ttl: windowSeconds * 1000 });
  return { presence, dedupe, storeId: `${names.stream}@${info.created}` };
}
