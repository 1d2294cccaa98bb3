/**
 * NATS JetStream broker. How channels, offsets, epochs and idempotency map onto one stream is in
 * nats-layout.ts; this file holds everything that talks to the engine.
 *
 * Live fan-out: after its PubAck the appender publishes the publication on the core NATS subject
 * `<prefix>.live.<token>`. Interest-based routing sends it only to nodes with subscribers, and the
 * server keeps no per-channel state (a consumer per channel per node does not scale; one firehose
 * consumer would ship every channel to every node). It is not atomic with the append: an appender
 * dying between PubAck and publish leaves a gap that the hub fills from history on the next
 * publication or resync. Nobody subscribes to the stream subjects directly: such subscribers
 * would also see publishes the stream rejected (sequence conflicts, duplicates).
 *
 * Failure behaviour: every operation first checks the connection (down → BrokerUnavailableError
 * at once, nothing is buffered for later), JetStream requests time out after requestTimeoutMs, and
 * a vanished stream or bucket (server back without its data) is recreated once, then retried.
 * After a reconnect the client has re-sent its subscriptions; the hub then gets `resync`.
 */

import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type PubAck,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import {
  connect,
  headers,
  type MsgHdrs,
  type NatsConnection,
  nanos,
  type Subscription,
} from "@nats-io/transport-node";
import type { ClientInfo, Publication, StreamPosition } from "@switchboard/protocol";
import { KeyedSerial } from "../../util/keyed-serial.js";
import {
  type AppendRequest,
  type AppendResult,
  type Broker,
  type BrokerEventHandler,
  BrokerUnavailableError,
  type HistoryRequest,
  type HistoryResult,
} from "../broker.js";
import { historyWindow, settleHistory } from "../shared/history-window.js";
import { NATS_BROKER_DEFAULTS, type NatsBrokerOptions } from "./nats-broker-options.js";
import {
  dedupeRecord,
  type Entry,
  entryOf,
  NatsHeader,
  NatsNames,
  type Tail,
  trimKeep,
  walkBack,
} from "./nats-layout.js";
import {
  decodeBody,
  decodeFanout,
  encodeBody,
  encodeFanoutPresence,
  encodeFanoutPub,
  newEpoch,
} from "../shared/publication-body.js";

export type { NatsBrokerOptions } from "./nats-broker-options.js";

const isConflict = (e: unknown) => e instanceof JetStreamApiError && e.code === 10071;
/** The stream or bucket is missing (deleted, or the server came back without its data). */
const isMissing = (e: unknown) =>
  e instanceof Error && /^(StreamNotFoundError|JetStreamNotEnabled|NoRespondersError)$/.test(e.name);

function unavailable(error: unknown): Error {
  if (error instanceof BrokerUnavailableError) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  // An API error other than "unavailable" is a refused request (bad config, a bug): not a retry case.
  if (e instanceof JetStreamApiError && e.status !== 503 && !isMissing(e)) return e;
  return new BrokerUnavailableError(`nats: ${e.message}`, { cause: e });
}

export class NatsBroker implements Broker {
  readonly kind = "nats";
  readonly #o: Required<NatsBrokerOptions>;
  readonly #names: NatsNames;
  #nc: NatsConnection | undefined;
  #js!: JetStreamClient;
  #jsm!: JetStreamManager;
  #presence!: KV;
  #dedupe!: KV;
  #up = false;
  #window: number;
  #ensuring: Promise<void> | undefined;
  #onEvent: BrokerEventHandler = () => {};
  readonly #tails = new Map<string, Tail>();
  readonly #serial = new KeyedSerial();
  readonly #subs = new Map<string, Subscription>();

  constructor(options: NatsBrokerOptions) {
    this.#o = { ...NATS_BROKER_DEFAULTS, ...options };
    this.#names = new NatsNames(this.#o.prefix);
    this.#window = this.#o.dedupeWindowSeconds;
  }

  async start(onEvent: BrokerEventHandler): Promise<void> {
    this.#onEvent = onEvent;
    try {
      const nc = await connect({
        servers: this.#o.servers.split(","),
        name: `${this.#o.prefix}-hub`,
        timeout: this.#o.connectTimeoutMs,
        maxReconnectAttempts: -1,
        reconnectTimeWait: this.#o.reconnectWaitMs,
        pingInterval: 5000,
        maxPingOut: 2,
      });
      this.#nc = nc;
      this.#jsm = await jetstreamManager(nc, { timeout: this.#o.requestTimeoutMs });
      this.#js = jetstream(nc, { timeout: this.#o.requestTimeoutMs });
      this.#up = true;
      await this.#ensure();
      void this.#watch(nc);
    } catch (error) {
      await this.#nc?.close().catch(() => {});
      this.#up = false;
      throw unavailable(error);
    }
  }

  async ready(): Promise<boolean> {
    if (!this.#up || !this.#nc || this.#nc.isClosed()) return false;
    const late = new Promise<false>((resolve) =>
      setTimeout(resolve, this.#o.requestTimeoutMs, false).unref(),
    );
    const rtt = this.#nc.rtt().then(() => this.#up);
    return Promise.race([rtt.catch(() => false), late]);
  }

  async close(): Promise<void> {
    this.#up = false;
    this.#subs.clear();
    await this.#nc?.close().catch(() => {});
  }

  append(request: AppendRequest): Promise<AppendResult> {
    // One append per channel at a time on this node: each needs the previous one's sequence.
    return this.#serial.run(request.channel, () => this.#run(() => this.#append(request)));
  }

  position(channel: string): Promise<StreamPosition> {
    return this.#run(async () => {
      const { epoch, offset } = await this.#touch(channel);
      return { epoch, offset };
    });
  }

  history(request: HistoryRequest): Promise<HistoryResult> {
    return this.#run(async () => {
      const tail = await this.#touch(request.channel);
      const position = { epoch: tail.epoch, offset: tail.offset };
      const window = historyWindow(position, request);
      let stored: Publication[] = [];
      if (window.possible && window.from <= window.to) {
        const entries =
          tail.offset - window.from < this.#o.directReadMax
            ? await walkBack(
                (seq) => this.#entryAt(seq, this.#names.history(request.channel)),
                tail,
                window.from,
              )
            : await this.#scan(request.channel, window.to);
        stored = entries.flatMap((e) => {
          const p = e.epoch === tail.epoch && e.offset > 0 ? decodeBody(e.offset, e.body) : null;
          return p ? [p] : [];
        });
      }
      return settleHistory(position, window, stored, request);
    });
  }

  async subscribe(channel: string): Promise<void> {
    if (this.#subs.has(channel)) return;
    const nc = this.#connected();
    const sub = nc.subscribe(this.#names.live(channel), {
      callback: (_err, msg) => {
        const m = decodeFanout(msg.string());
        if (!m || this.#subs.get(channel) !== sub) return;
        if (m.type === "pub")
          this.#onEvent({ type: "pub", channel, epoch: m.epoch, publication: m.publication });
        else this.#onEvent({ type: m.type, channel, info: m.info });
      },
    });
    this.#subs.set(channel, sub);
    try {
      // Round trip: the server has the interest before we report the subscription live.
      await this.#run(() => nc.flush());
    } catch (error) {
      await this.unsubscribe(channel);
      throw error;
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    const sub = this.#subs.get(channel);
    this.#subs.delete(channel);
    sub?.unsubscribe();
  }

  presenceAdd(channel: string, info: ClientInfo, ttlSeconds: number): Promise<void> {
    const value = JSON.stringify({ info, expires: Date.now() + ttlSeconds * 1000 });
    return this.#run(async () => {
      await this.#presence.put(this.#names.presenceKey(channel, info.client), value);
    });
  }

  presenceRemove(channel: string, info: ClientInfo): Promise<void> {
    return this.#run(() => this.#presence.delete(this.#names.presenceKey(channel, info.client)));
  }

  presenceList(channel: string): Promise<ClientInfo[]> {
    return this.#run(async () => {
      const now = Date.now();
      const clients: ClientInfo[] = [];
      for await (const e of await this.#presence.history({ key: this.#names.presenceFilter(channel) })) {
        if (e.operation !== "PUT") continue;
        const value = e.json<{ info?: ClientInfo; expires?: number }>();
        if (value.info && (value.expires ?? 0) > now) clients.push(value.info);
      }
      return clients;
    });
  }

  announce(event: { type: "join" | "leave"; channel: string; info: ClientInfo }): Promise<void> {
    return this.#run(async () => {
      this.#connected().publish(
        this.#names.live(event.channel),
        encodeFanoutPresence(event.type, event.info),
      );
    });
  }

  async #append(request: AppendRequest): Promise<AppendResult> {
    const { channel, key } = request;
    const subject = this.#names.history(channel);
    const body = encodeBody({ time: Date.now(), data: request.data, info: request.info, key });
    const baseId = key === undefined ? undefined : this.#names.msgId(channel, key);
    if (key !== undefined) await this.#widenWindow(request.dedupeSeconds);
    let msgID = baseId;
    let tail = this.#tails.get(channel) ?? (await this.#readTail(subject));
    for (let attempt = 0; attempt < this.#o.appendAttempts; attempt++) {
      const epoch = tail?.epoch ?? newEpoch();
      const offset = (tail?.offset ?? 0) + 1;
      const prev = tail?.seq ?? 0;
      let ack: PubAck;
      try {
        ack = await this.#js.publish(subject, body, {
          headers: this.#headers(epoch, offset, prev),
          expect: { lastSubjectSequence: prev },
          ...(msgID ? { msgID } : {}),
        });
      } catch (error) {
        if (!isConflict(error)) throw error;
        tail = await this.#readTail(subject);
        continue;
      }
      if (!ack.duplicate) {
        this.#remember(channel, { epoch, offset, seq: ack.seq });
        this.#connected().publish(this.#names.live(channel), encodeFanoutPub(epoch, offset, body));
        if (baseId) this.#dedupe.put(baseId, dedupeRecord.encode(epoch, offset, Date.now())).catch(() => {});
        this.#trim(subject, offset, request.history.size);
        return { epoch, offset, duplicate: false };
      }
      const original = await this.#original(ack.seq, subject, baseId ?? "");
      if (original && Date.now() - original.time < request.dedupeSeconds * 1000) {
        // The live fan-out follows the append, so a node that died in between never announced it;
        // a retry is the moment to announce it again (hubs drop offsets they already delivered).
        if (original.body !== undefined)
          this.#connected().publish(
            this.#names.live(channel),
            encodeFanoutPub(original.epoch, original.offset, original.body),
          );
        return { epoch: original.epoch, offset: original.offset, duplicate: true };
      }
      msgID = `${baseId}.${ack.seq}`; // stale or unknown original: append again, under an id all nodes derive alike
    }
    throw new BrokerUnavailableError(`nats: ${this.#o.appendAttempts} conflicting appends on "${channel}"`);
  }

  /** The first append's epoch/offset/time for a duplicate, from the stream or the dedupe record. */
  async #original(seq: number, subject: string, baseId: string) {
    const entry = await this.#entryAt(seq, subject);
    const time = entry ? decodeBody(entry.offset, entry.body)?.time : undefined;
    if (entry && time !== undefined)
      return { epoch: entry.epoch, offset: entry.offset, time, body: entry.body };
    const record = await this.#dedupe.get(baseId);
    const decoded = record?.operation === "PUT" ? dedupeRecord.decode(record.string()) : null;
    return decoded ? { ...decoded, body: undefined } : null;
  }

  /** The message at a stream sequence, if it still exists and belongs to `subject`. */
  async #entryAt(seq: number, subject: string): Promise<Entry | null> {
    const m = await this.#jsm.direct.getMessage(this.#names.stream, { seq });
    return m && m.subject === subject ? entryOf(m.seq, m.header, m.data) : null;
  }

  /** The channel's tail, writing the genesis record (a new epoch) when it has none. */
  async #touch(channel: string): Promise<Tail> {
    const subject = this.#names.history(channel);
    for (;;) {
      const tail = await this.#readTail(subject);
      if (tail) return this.#remember(channel, tail);
      const epoch = newEpoch();
      try {
        const ack = await this.#js.publish(subject, undefined, {
          headers: this.#headers(epoch, 0, 0),
          expect: { lastSubjectSequence: 0 },
        });
        return this.#remember(channel, { epoch, offset: 0, seq: ack.seq });
      } catch (error) {
        if (!isConflict(error)) throw error; // another node created it first: read theirs
      }
    }
  }

  async #readTail(subject: string): Promise<Entry | null> {
    const m = await this.#jsm.direct.getMessage(this.#names.stream, { last_by_subj: subject });
    if (!m) return null;
    const entry = entryOf(m.seq, m.header, m.data);
    if (!entry) throw new Error(`nats broker: message ${m.seq} on ${subject} has no Switchboard headers`);
    return entry;
  }

  /** Caches the newest tail seen (a hint only: the server's sequence check decides), bounded. */
  #remember(channel: string, tail: Tail): Tail {
    const known = this.#tails.get(channel);
    if (known && known.seq >= tail.seq) return tail;
    this.#tails.delete(channel); // re-insert: Map order is then least recently updated first
    this.#tails.set(channel, { epoch: tail.epoch, offset: tail.offset, seq: tail.seq });
    if (this.#tails.size > this.#o.tailCacheSize) this.#tails.delete(this.#tails.keys().next().value ?? "");
    return tail;
  }

  /** Long reads: an ephemeral consumer over the channel's subject, up to offset `to`. */
  async #scan(channel: string, to: number): Promise<Entry[]> {
    const info = await this.#jsm.consumers.add(this.#names.stream, {
      filter_subject: this.#names.history(channel),
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      inactive_threshold: nanos(30_000),
    });
    const entries: Entry[] = [];
    try {
      const consumer = this.#js.consumers.getConsumerFromInfo(info);
      // Batches: a big history must not arrive as one pull; stop at `to`, or when a pull comes back empty.
      for (let pending = info.num_pending, done = pending === 0; !done; ) {
        const messages = await consumer.fetch({
          max_messages: Math.min(pending, 512),
          expires: this.#o.requestTimeoutMs,
        });
        let received = 0;
        for await (const m of messages) {
          received++;
          const e = entryOf(m.seq, m.headers, m.data);
          if (!e) continue; // not ours: the completeness check sees any hole it leaves
          entries.push(e);
          if (e.offset >= to) break;
        }
        await messages.close();
        pending -= received;
        const last = entries[entries.length - 1];
        done = received === 0 || pending <= 0 || !last || last.offset >= to;
      }
    } finally {
      this.#jsm.consumers.delete(this.#names.stream, info.name).catch(() => {});
    }
    return entries;
  }

  #trim(subject: string, offset: number, size: number): void {
    const keep = trimKeep(offset, size);
    if (keep !== null) this.#jsm.streams.purge(this.#names.stream, { filter: subject, keep }).catch(() => {});
  }

  #headers(epoch: string, offset: number, prev: number): MsgHdrs {
    const h = headers();
    h.set(NatsHeader.Epoch, epoch);
    h.set(NatsHeader.Offset, String(offset));
    h.set(NatsHeader.Prev, String(prev));
    return h;
  }

  #connected(): NatsConnection {
    if (!this.#up || !this.#nc || this.#nc.isClosed())
      throw new BrokerUnavailableError("nats: not connected");
    return this.#nc;
  }

  /** Fails fast while disconnected; recreates the stream/buckets once if they vanished. */
  async #run<T>(operation: () => Promise<T>): Promise<T> {
    this.#connected();
    try {
      return await operation();
    } catch (error) {
      if (!isMissing(error)) throw unavailable(error);
    }
    try {
      this.#tails.clear();
      await this.#ensure();
      return await operation();
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Concurrent callers (every operation that met a missing stream) share one run. */
  #ensure(): Promise<void> {
    this.#ensuring ??= this.#create().finally(() => {
      this.#ensuring = undefined;
    });
    return this.#ensuring;
  }

  async #create(): Promise<void> {
    const config = {
      name: this.#names.stream,
      subjects: [this.#names.historySubjects],
      allow_direct: true,
      max_age: nanos(this.#o.metaTtlSeconds * 1000),
      duplicate_window: nanos(this.#window * 1000),
      num_replicas: this.#o.replicas,
    };
    try {
      await this.#jsm.streams.add(config);
    } catch {
      await this.#jsm.streams.update(this.#names.stream, config); // exists with other settings
    }
    const kvm = new Kvm(this.#js);
    const opts = { history: 1, replicas: this.#o.replicas };
    this.#presence = await kvm.create(this.#names.presenceBucket, {
      ...opts,
      ttl: this.#o.presenceMaxTtlSeconds * 1000,
    });
    this.#dedupe = await kvm.create(this.#names.dedupeBucket, { ...opts, ttl: this.#window * 1000 });
  }

  async #widenWindow(seconds: number): Promise<void> {
    if (seconds <= this.#window) return;
    this.#window = seconds;
    await this.#ensure();
    await this.#jsm.streams.update(`KV_${this.#names.dedupeBucket}`, { max_age: nanos(seconds * 1000) });
  }

  /** Tracks the connection; after a reconnect re-creates what a wiped server lost, then resyncs. */
  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === "disconnect" || status.type === "staleConnection") this.#up = false;
      if (status.type === "reconnect") {
        this.#up = true;
        this.#tails.clear();
        await this.#ensure().catch(() => {});
        // Core subscriptions were re-sent first thing on the new connection.
        this.#onEvent({ type: "resync" });
      }
    }
  }
}
