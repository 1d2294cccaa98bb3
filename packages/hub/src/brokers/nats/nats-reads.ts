/**
 * Reads of a channel's log in the history stream (layout in nats-layout.ts): one message by
 * sequence, the channel's tail, and long ranges through an ephemeral consumer.
 */
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { NatsBrokerConfig } from "./nats-broker-options.js";
import { type Entry, entryOf } from "./nats-layout.js";
import type { NatsSession } from "./nats-session.js";

type ScanOptions = Pick<NatsBrokerConfig, "scanBatch" | "scanInactiveMs" | "requestTimeoutMs">;

/** The message at a stream sequence, if it still exists and belongs to `subject`. */
export async function entryAt(
  s: NatsSession,
  stream: string,
  seq: number,
  subject: string,
): Promise<Entry | null> {
  const m = await s.jsm.direct.getMessage(stream, { seq });
  return m && m.subject === subject ? entryOf(m.seq, m.header, m.data) : null;
}

/** The channel's last message, null when its subject holds none. */
export async function readTail(s: NatsSession, stream: string, subject: string): Promise<Entry | null> {
  const m = await s.jsm.direct.getMessage(stream, { last_by_subj: subject });
  if (!m) return null;
  const entry = entryOf(m.seq, m.header, m.data);
  if (!entry) throw new Error(`nats broker: message ${m.seq} on ${subject} has no Switchboard headers`);
  return entry;
}

/** Long reads: an ephemeral consumer over the channel's subject, up to offset `to`. */
export async function scan(
  s: NatsSession,
  stream: string,
  subject: string,
  to: number,
  o: ScanOptions,
): Promise<Entry[]> {
  const info = await s.jsm.consumers.add(stream, {
    filter_subject: subject,
    deliver_policy: DeliverPolicy.All,
    ack_policy: AckPolicy.None,
    mem_storage: true,
    inactive_threshold: nanos(o.scanInactiveMs),
  });
  const entries: Entry[] = [];
  try {
    const consumer = s.js.consumers.getConsumerFromInfo(info);
    // Batches: a big history must not arrive as one pull; stop at `to`, or when a pull comes back empty.
    for (let pending = info.num_pending, done = pending === 0; !done; ) {
      const messages = await consumer.fetch({
        max_messages: Math.min(pending, o.scanBatch),
        expires: o.requestTimeoutMs,
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
    s.jsm.consumers.delete(stream, info.name).catch(() => {});
  }
  return entries;
}
