/**
 * NATS JetStream broker. How channels, offsets, epochs and idempotency map onto one stream is in
 * nats-layout.ts, the connection and what is opened on it in nats-session.ts, reads of a
 * channel's log in nats-reads.ts; this file holds the broker operations.
 *
 * Live fan-out (protocol in ../shared/fanout.ts): after its PubAck the appender publishes the
 * publication on the core NATS subject `<prefix>.live.<token>`. Interest-based routing sends it
 * only to nodes with subscribers, and the server keeps no per-channel state (a consumer per channel per node does not scale; one firehose
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

import { randomBytes } from "node:crypto";
import { JetStreamApiCodes, JetStreamApiError, type PubAck } from "@nats-io/jetstream";
import { headers, type MsgHdrs, type Subscription } from "@nats-io/transport-node";
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
import { genesisEpoch, genesisPeriod } from "../shared/epoch.js";
import { Fanout, type FanoutTransport } from "../shared/fanout.js";
import { historyWindow, settleHistory } from "../shared/history-window.js";
import { decodeBody, encodeBody } from "../shared/publication-body.js";
import { unavailable } from "../shared/unavailable.js";
import {
  NATS_BROKER_DEFAULTS,
  type NatsBrokerConfig,
  type NatsBrokerOptions,
} from "./nats-broker-options.js";
import { dedupeRecord, NatsHeader, NatsNames, type Tail, trimKeep, walkBack } from "./nats-layout.js";
import { entryAt, readTail, scan } from "./nats-reads.js";
import { NatsSession } from "./nats-session.js";

export type { NatsBrokerOptions } from "./nats-broker-options.js";

/** Another append got to the channel first (Nats-Expected-Last-Subject-Sequence failed). */
const isConflict = (e: unknown) =>
  e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamWrongLastSequence;
/** The stream or bucket is missing (deleted, or the server came back without its data). */
const isMissing = (e: unknown) =>
  e instanceof Error && /^(StreamNotFoundError|JetStreamNotEnabled|NoRespondersError)$/.test(e.name);
/** JetStream's "try later" status (no quorum, leader election): the one API status worth a retry. */
const SERVICE_UNAVAILABLE = 503;
/** Any other API error is a refused request (bad config, a bug): not a retry case. */
const isRefusal = (e: Error) =>
  e instanceof JetStreamApiError && e.status !== SERVICE_UNAVAILABLE && !isMissing(e);

export class NatsBroker implements Broker {
  readonly kind = "nats";
  readonly #o: NatsBrokerConfig;
  readonly #names: NatsNames;
  #session: NatsSession | undefined;
  #onEvent: BrokerEventHandler = () => {};
  readonly #tails = new Map<string, Tail>();
  readonly #serial = new KeyedSerial();
  /** Live topic → its core subscription (fan-out transport). */
  readonly #subs = new Map<string, Subscription>();
  readonly #fanout: Fanout;
  /** This node's id in its presence keys and liveness record. */
  readonly #node = randomBytes(9).toString("base64url");
  /** Whether this node has written its liveness record (the first presenceAdd does). */
  #alive = false;
  /** The first liveness write under way (concurrent first adds share it). */
  #starting: Promise<boolean> | undefined;

  constructor(options: NatsBrokerOptions) {
    this.#o = { ...NATS_BROKER_DEFAULTS, ...options };
    this.#names = new NatsNames(this.#o.prefix);
    this.#fanout = new Fanout(
      this.#transport(),
      (c) => this.#names.live(c),
      (e) => this.#onEvent(e),
    );
  }

  async start(onEvent: BrokerEventHandler): Promise<void> {
    this.#onEvent = onEvent;
    let session: NatsSession;
    try {
      session = await NatsSession.open(this.#o, this.#names);
    } catch (error) {
      throw unavailable("nats", error, isRefusal);
    }
    this.#session = session;
    void session.watch(async () => {
      // After a reconnect: re-create what a wiped server lost, then resync.
      this.#tails.clear();
      await session.ensure().catch(() => {});
      this.#fanout.resync();
    });
  }

  async ready(): Promise<boolean> {
    return (await this.#session?.ready()) ?? false;
  }

  async close(): Promise<void> {
    this.#subs.clear();
    this.#fanout.clear();
    // A clean stop ends this node's presence at once (readers drop its entries), not after the TTL.
    if (this.#alive)
      await this.#run((s) => s.presence.delete(this.#names.nodeKey(this.#node))).catch(() => {});
    this.#alive = false;
    await this.#session?.close();
  }

  append(request: AppendRequest): Promise<AppendResult> {
    // One append per channel at a time on this node: each needs the previous one's sequence.
    return this.#serial.run(request.channel, () => this.#run((s) => this.#append(s, request)));
  }

  position(channel: string): Promise<StreamPosition> {
    return this.#run(async (s) => {
      const { epoch, offset } = await this.#touch(s, channel);
      return { epoch, offset };
    });
  }

  history(request: HistoryRequest): Promise<HistoryResult> {
    return this.#run(async (s) => {
      const tail = await this.#touch(s, request.channel);
      const position = { epoch: tail.epoch, offset: tail.offset };
      const window = historyWindow(position, request);
      let stored: Publication[] = [];
      if (window.possible && window.from <= window.to) {
        const subject = this.#names.history(request.channel);
        const entries =
          tail.offset - window.from < this.#o.directReadMax
            ? await walkBack((seq) => entryAt(s, this.#names.stream, seq, subject), tail, window.from)
            : await scan(s, this.#names.stream, subject, window.to, this.#o);
        stored = entries.flatMap((e) => {
          const p = e.epoch === tail.epoch && e.offset > 0 ? decodeBody(e.offset, e.body) : null;
          return p ? [p] : [];
        });
      }
      return settleHistory(position, window, stored, request);
    });
  }

  subscribe(channel: string): Promise<void> {
    return this.#fanout.subscribe(channel);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.#fanout.unsubscribe(channel);
  }

  presenceAdd(channel: string, info: ClientInfo, ttlSeconds: number): Promise<void> {
    return this.#run(async (s) => {
      if (!this.#alive) {
        this.#starting ??= this.#keepAlive(s, ttlSeconds).finally(() => {
          this.#starting = undefined;
        });
        await this.#starting;
      }
      await s.presence.put(this.#names.presenceKey(channel, this.#node, info.client), JSON.stringify(info));
    });
  }

  presenceRemove(channel: string, info: ClientInfo): Promise<void> {
    return this.#run((s) => s.presence.delete(this.#names.presenceKey(channel, this.#node, info.client)));
  }

  presenceList(channel: string): Promise<ClientInfo[]> {
    return this.#run(async (s) => {
      const live = await this.#liveNodes(s);
      const clients: ClientInfo[] = [];
      const dead: string[] = [];
      for await (const e of await s.presence.history({ key: this.#names.presenceFilter(channel) })) {
        if (e.operation !== "PUT") continue;
        if (!live.has(nodeOf(e.key))) dead.push(e.key);
        else clients.push(e.json<ClientInfo>());
      }
      await this.#drop(s, dead);
      return clients;
    });
  }

  presenceCount(channel: string): Promise<number> {
    return this.#run(async (s) => {
      const live = await this.#liveNodes(s);
      let count = 0;
      const dead: string[] = [];
      for await (const key of await s.presence.keys(this.#names.presenceFilter(channel))) {
        if (live.has(nodeOf(key))) count++;
        else dead.push(key);
      }
      await this.#drop(s, dead);
      return count;
    });
  }

  presenceKeepAlive(ttlSeconds: number): Promise<boolean> {
    return this.#run((s) => this.#keepAlive(s, ttlSeconds));
  }

  /** One put of the node's record; true when it had lapsed or did not exist. */
  async #keepAlive(s: NatsSession, ttlSeconds: number): Promise<boolean> {
    const key = this.#names.nodeKey(this.#node);
    const now = Date.now();
    const prev = await s.presence.get(key);
    await s.presence.put(key, JSON.stringify({ expires: now + ttlSeconds * 1000 }));
    this.#alive = true;
    return !(prev?.operation === "PUT" && expiresOf(prev.string()) > now);
  }

  /** The nodes whose liveness record has not run out. */
  async #liveNodes(s: NatsSession): Promise<Set<string>> {
    const now = Date.now();
    const live = new Set<string>();
    for await (const e of await s.presence.history({ key: this.#names.nodeFilter })) {
      if (e.operation === "PUT" && expiresOf(e.string()) > now) live.add(e.key.slice(e.key.indexOf(".") + 1));
    }
    return live;
  }

  /** Deletes the entries of dead nodes a read came across (once: then they are gone). */
  async #drop(s: NatsSession, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 256)
      await Promise.all(keys.slice(i, i + 256).map((k) => s.presence.delete(k).catch(() => {})));
  }

  announce(event: { type: "join" | "leave"; channel: string; info: ClientInfo }): Promise<void> {
    return this.#run(() => this.#fanout.announce(event));
  }

  async #append(s: NatsSession, request: AppendRequest): Promise<AppendResult> {
    const { channel, key } = request;
    const subject = this.#names.history(channel);
    const body = encodeBody({ time: Date.now(), data: request.data, info: request.info, key });
    const baseId = key === undefined ? undefined : this.#names.msgId(channel, key);
    if (key !== undefined) await s.widenWindow(request.dedupeSeconds);
    let msgID = baseId;
    let tail = this.#tails.get(channel) ?? (await readTail(s, this.#names.stream, subject));
    for (let attempt = 0; attempt < this.#o.appendAttempts; attempt++) {
      const epoch = tail?.epoch ?? this.#genesis(s, channel);
      const offset = (tail?.offset ?? 0) + 1;
      const prev = tail?.seq ?? 0;
      let ack: PubAck;
      try {
        ack = await s.js.publish(subject, body, {
          headers: this.#headers(epoch, offset, prev),
          expect: { lastSubjectSequence: prev },
          ...(msgID ? { msgID } : {}),
        });
      } catch (error) {
        if (!isConflict(error)) throw error;
        tail = await readTail(s, this.#names.stream, subject);
        continue;
      }
      if (!ack.duplicate) {
        this.#remember(channel, { epoch, offset, seq: ack.seq });
        await this.#fanout.publish(channel, epoch, offset, body);
        if (baseId) s.dedupe.put(baseId, dedupeRecord.encode(epoch, offset, Date.now())).catch(() => {});
        this.#trim(s, subject, offset, request.history.size);
        return { epoch, offset, duplicate: false };
      }
      const original = await this.#original(s, ack.seq, subject, baseId ?? "");
      if (original && Date.now() - original.time < request.dedupeSeconds * 1000) {
        // The live fan-out follows the append, so a node that died in between never announced it;
        // a retry is the moment to announce it again (hubs drop offsets they already delivered).
        if (original.body !== undefined)
          await this.#fanout.publish(channel, original.epoch, original.offset, original.body);
        return { epoch: original.epoch, offset: original.offset, duplicate: true };
      }
      msgID = `${baseId}.${ack.seq}`; // stale or unknown original: append again, under an id all nodes derive alike
    }
    throw new BrokerUnavailableError(`nats: ${this.#o.appendAttempts} conflicting appends on "${channel}"`);
  }

  /** The first append's epoch/offset/time for a duplicate, from the stream or the dedupe record. */
  async #original(s: NatsSession, seq: number, subject: string, baseId: string) {
    const entry = await entryAt(s, this.#names.stream, seq, subject);
    const time = entry ? decodeBody(entry.offset, entry.body)?.time : undefined;
    if (entry && time !== undefined)
      return { epoch: entry.epoch, offset: entry.offset, time, body: entry.body };
    const record = await s.dedupe.get(baseId);
    const decoded = record?.operation === "PUT" ? dedupeRecord.decode(record.string()) : null;
    return decoded ? { ...decoded, body: undefined } : null;
  }

  /**
   * The channel's tail; for a channel with no message (never published, or every message aged
   * out) its genesis epoch at offset 0, writing nothing — the first append keeps that epoch.
   */
  async #touch(s: NatsSession, channel: string): Promise<Tail> {
    const tail = await readTail(s, this.#names.stream, this.#names.history(channel));
    return tail ? this.#remember(channel, tail) : { epoch: this.#genesis(s, channel), offset: 0, seq: 0 };
  }

  #genesis(s: NatsSession, channel: string): string {
    return genesisEpoch(s.storeId, genesisPeriod(Date.now(), this.#o.metaTtlSeconds), channel);
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

  #trim(s: NatsSession, subject: string, offset: number, size: number): void {
    const keep = trimKeep(offset, size);
    if (keep !== null) s.jsm.streams.purge(this.#names.stream, { filter: subject, keep }).catch(() => {});
  }

  #headers(epoch: string, offset: number, prev: number): MsgHdrs {
    const h = headers();
    h.set(NatsHeader.Epoch, epoch);
    h.set(NatsHeader.Offset, String(offset));
    h.set(NatsHeader.Prev, String(prev));
    return h;
  }

  /** The session while connected; BrokerUnavailableError at once otherwise (nothing is buffered). */
  #connected(): NatsSession {
    const s = this.#session;
    if (!s?.up) throw new BrokerUnavailableError("nats: not connected");
    return s;
  }

  /** Fails fast while disconnected; recreates the stream/buckets once if they vanished. */
  async #run<T>(operation: (s: NatsSession) => Promise<T>): Promise<T> {
    const s = this.#connected();
    try {
      return await operation(s);
    } catch (error) {
      if (!isMissing(error)) throw unavailable("nats", error, isRefusal);
    }
    try {
      this.#tails.clear();
      await s.ensure();
      return await operation(s);
    } catch (error) {
      throw unavailable("nats", error, isRefusal);
    }
  }

  /** Live events over core NATS subjects (interest-routed; see top). */
  #transport(): FanoutTransport {
    return {
      listen: async (topic) => {
        const nc = this.#connected().nc;
        const sub = nc.subscribe(topic, {
          // A message that was already in flight when the subscription was replaced is not ours.
          callback: (_err, msg) => {
            if (this.#subs.get(topic) === sub) this.#fanout.receive(topic, msg.string());
          },
        });
        this.#subs.set(topic, sub);
        // Round trip: the server has the interest before we report the subscription live.
        await this.#run(() => nc.flush());
      },
      unlisten: async (topic) => {
        const sub = this.#subs.get(topic);
        this.#subs.delete(topic);
        sub?.unsubscribe();
      },
      send: async (topic, text) => {
        this.#connected().nc.publish(topic, text);
      },
    };
  }
}

/** The node token of a presence key `<channel>.<node>.<client>`. */
function nodeOf(key: string): string {
  const first = key.indexOf(".");
  return key.slice(first + 1, key.indexOf(".", first + 1));
}

function expiresOf(text: string): number {
  try {
    const value: unknown = JSON.parse(text);
    const expires =
      typeof value === "object" && value !== null ? (value as { expires?: unknown }).expires : 0;
    return typeof expires === "number" ? expires : 0;
  } catch {
    return 0;
  }
}
