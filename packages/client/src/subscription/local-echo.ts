/**
 * In-page delivery of this client's own publishes: the subscription shows them at once as
 * pending, then turns the hub's copy (same key) into a `confirmed` event instead of a second
 * `publication`, so an app never shows a message twice.
 */
import type { Publication, StreamPosition } from "@switchboard/protocol";
import type { SwitchboardError } from "../errors.js";
import { toMessage } from "../message.js";
import type { FailedMessage, Message } from "../types.js";

interface EchoEntry {
  message: Message;
  /** The hub's `published` answer, once known. */
  result?: StreamPosition;
}

export class LocalEcho {
  private readonly byKey = new Map<string, EchoEntry>();

  add(key: string, message: Message): void {
    this.byKey.set(key, { message });
  }

  /** The hub's copy of a publication is being delivered: the confirmed message if it is ours. */
  claim(channel: string, publication: Publication, epoch: string | undefined): Message | undefined {
    let key = publication.key;
    if (key === undefined || !this.byKey.has(key)) {
      // A hub that does not echo keys: fall back to the offset from our `published` reply.
      key = undefined;
      for (const [k, e] of this.byKey)
        if (e.result && e.result.offset === publication.offset && e.result.epoch === epoch) key = k;
    }
    if (key === undefined) return undefined;
    this.byKey.delete(key);
    return { ...toMessage(channel, publication), key };
  }

  resolved(key: string, result: StreamPosition): void {
    const entry = this.byKey.get(key);
    if (entry) entry.result = result;
  }

  /**
   * Own publishes the hub has that the stream already passed without showing them (e.g. a
   * subscribe without `since` started above them): confirm them now. With `all`, every resolved
   * one the stream will never deliver (after recovery failed, old positions are skipped — but one
   * above the new position in its epoch still arrives live, and is claimed then).
   */
  settle(position: StreamPosition | undefined, all = false): Message[] {
    const out: Message[] = [];
    for (const [key, entry] of this.byKey) {
      const r = entry.result;
      if (!r) continue;
      const sameEpoch = position !== undefined && r.epoch === position.epoch;
      const passed = sameEpoch && r.offset <= position.offset;
      if (!passed && !(all && !sameEpoch)) continue;
      this.byKey.delete(key);
      out.push({ ...entry.message, offset: r.offset, pending: false });
    }
    return out;
  }

  fail(key: string, error: SwitchboardError): FailedMessage | undefined {
    const entry = this.byKey.get(key);
    if (!entry) return undefined;
    this.byKey.delete(key);
    return { ...entry.message, error };
  }
}
