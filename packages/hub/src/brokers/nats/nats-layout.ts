/**
 * How the NATS broker lays channels out in JetStream. Pure: no engine client here (the broker
 * passes in the reads this file needs).
 *
 * Offsets. JetStream sequences are per stream, the protocol (docs/protocol.md) wants 1, 2, 3… per channel, and NATS
 * 2.9 has no multi-message atomicity. So ONE stream (`<prefix>_history`, subjects
 * `<prefix>.ch.<token>`) holds every channel, and each channel's subject is its own log: every
 * message carries Sb-Epoch, Sb-Offset and Sb-Prev (the stream sequence of the previous message on
 * that subject) and is published with `Nats-Expected-Last-Subject-Sequence` = Sb-Prev. The server
 * appends only if nobody appended to the channel in between (else error 10071: re-read the tail,
 * retry), so offset n+1 can only follow offset n: contiguous, with no separate counter that could
 * drift from the log (a KV counter + publish would leave a hole when a node dies in between).
 *
 * Epoch. The channel's last message carries it. A channel without messages (never published, or
 * aged out by the stream's max_age) reports its genesis epoch (shared/epoch.ts; the store id is
 * the stream's creation time) and writes nothing; its first append, published with
 * expected-last-subject-sequence 0 (create-if-absent), keeps that epoch, so every node agrees.
 * Purges always keep the last message, so trimming never loses the epoch; a recreated stream (server
 * back without its data) is a new store id: a new epoch exactly when history was lost. Streams
 * written before may still hold genesis records (offset 0, no body); they read as a tail at 0.
 *
 * Idempotency. `Nats-Msg-Id` = channel token + hash(key). The server checks it BEFORE the sequence
 * expectation (verified on 2.9.10) and answers a duplicate with the original's sequence, whose
 * headers hold the SAME epoch/offset. When trimming already removed the original, the
 * `<prefix>_dedupe` KV record (written after each keyed append) answers. A duplicate older than
 * the request's dedupeSeconds (shorter than the stream window) is appended again under
 * `<id>.<original seq>`, an id every node derives alike, so concurrent retries still collapse.
 *
 * Channel names may hold `.` (the subject separator), `#`, `@`, `=`…, so each channel is ONE
 * subject token: base64url of its UTF-8 bytes (valid in subjects, KV keys and message IDs).
 */
import { createHash } from "node:crypto";
import type { StreamPosition } from "@switchboard/protocol";

export const NatsHeader = {
  Epoch: "Sb-Epoch",
  /** 1, 2, … (0: a genesis record written by older versions) */
  Offset: "Sb-Offset",
  Prev: "Sb-Prev",
} as const;

export interface Tail extends StreamPosition {
  /** Stream sequence of the channel's last message. */
  seq: number;
}

export interface Entry extends Tail {
  prev: number;
  /** Publication body JSON (empty for an old genesis record). */
  body: string;
}

/** What entryOf needs from a message's headers (MsgHdrs fits). */
export interface HeaderReader {
  get(key: string): string;
}

export function entryOf(seq: number, hdrs: HeaderReader | undefined, data: Uint8Array): Entry | null {
  const epoch = hdrs?.get(NatsHeader.Epoch);
  const offset = Number(hdrs?.get(NatsHeader.Offset));
  if (!epoch || !Number.isSafeInteger(offset)) return null;
  const prev = Number(hdrs?.get(NatsHeader.Prev) || 0);
  return { seq, epoch, offset, prev, body: new TextDecoder().decode(data) };
}

/**
 * Short continuations: follow Sb-Prev back from the tail (one direct get each) until offset
 * `from`. Stops at a trimmed message; the caller's completeness check sees the hole.
 */
export async function walkBack(
  read: (seq: number) => Promise<Entry | null>,
  tail: Tail,
  from: number,
): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (let seq = tail.seq; seq > 0; ) {
    const entry = await read(seq);
    if (!entry) break;
    entries.push(entry);
    if (entry.offset <= from) break;
    seq = entry.prev;
  }
  return entries.reverse();
}

/** A channel is purged this many times per history size of appends (every ~10% of it). */
const PURGES_PER_HISTORY = 10;

/**
 * How many messages a purge after appending `offset` keeps, or null for "not now": trims to the
 * history size every ~1/PURGES_PER_HISTORY of it, and always keeps ≥ 1 (the last message holds
 * the epoch).
 */
export function trimKeep(offset: number, size: number): number | null {
  const keep = Math.max(1, size);
  const every = Math.max(1, Math.ceil(keep / PURGES_PER_HISTORY));
  return offset > keep && offset % every === 0 ? keep : null;
}

/** The dedupe KV record: `<epoch> <offset> <time>`. */
export const dedupeRecord = {
  encode: (epoch: string, offset: number, time: number): string => `${epoch} ${offset} ${time}`,
  decode(text: string): { epoch: string; offset: number; time: number } | null {
    const [epoch, offset, time] = text.split(" ");
    return epoch && offset && time ? { epoch, offset: Number(offset), time: Number(time) } : null;
  },
};

export function channelToken(channel: string): string {
  return Buffer.from(channel, "utf8").toString("base64url");
}

/** Idempotency keys are client-chosen and unbounded: hash them to a fixed-size token. */
export function keyToken(key: string): string {
  return createHash("sha256").update(key).digest("base64url");
}

const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;

export class NatsNames {
  readonly stream: string;
  readonly presenceBucket: string;
  readonly dedupeBucket: string;
  readonly historySubjects: string;

  constructor(readonly prefix: string) {
    // The prefix is a subject token and part of stream and bucket names: keep it to the safe set.
    if (!PREFIX.test(prefix)) throw new Error(`nats broker: prefix must match ${PREFIX}, got "${prefix}"`);
    this.stream = `${prefix}_history`;
    this.presenceBucket = `${prefix}_members`;
    this.dedupeBucket = `${prefix}_dedupe`;
    this.historySubjects = `${prefix}.ch.>`;
  }

  history(channel: string): string {
    return `${this.prefix}.ch.${channelToken(channel)}`;
  }

  /** Core NATS subject of the channel's live events (outside the stream). */
  live(channel: string): string {
    return `${this.prefix}.live.${channelToken(channel)}`;
  }

  /** Nats-Msg-Id base (and dedupe KV key) for an idempotency key, scoped to the channel. */
  msgId(channel: string, key: string): string {
    return `${channelToken(channel)}.${keyToken(key)}`;
  }

  /** A presence entry: `<channel>.<node>.<client>`, so a key names the node it belongs to. */
  presenceKey(channel: string, node: string, client: string): string {
    return `${channelToken(channel)}.${node}.${channelToken(client)}`;
  }

  presenceFilter(channel: string): string {
    return `${channelToken(channel)}.*.*`;
  }

  /** A node's liveness record: `=` is no base64url character, so no channel's keys start so. */
  nodeKey(node: string): string {
    return `=node.${node}`;
  }

  readonly nodeFilter = "=node.*";
}
