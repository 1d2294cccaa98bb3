/**
 * Counts every copy a subscriber receives against the per-channel sequence the publisher
 * stamped: duplicates (a sequence seen twice), out-of-order (a sequence below one already seen)
 * and, at the end, lost (published sequences never seen).
 */
import { Samples } from "../histogram.js";
import type { OnMessage } from "./load-clients.js";

interface Track {
  seen: Uint8Array;
  max: number;
  unique: number;
}

export interface CopyTotals {
  copies: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

export class CopyCounter {
  copies = 0;
  duplicated = 0;
  outOfOrder = 0;
  /** Latency samples (ms, publish → receive) are kept only while this is true. */
  measuring = true;
  latency = new Samples();
  private subscriptions: Map<string, Track>[] = [];

  /** A receiver for one subscriber of `channels`. */
  subscriber(channels: string[]): OnMessage {
    const tracks = new Map<string, Track>();
    for (const channel of channels) tracks.set(channel, { seen: new Uint8Array(64), max: -1, unique: 0 });
    this.subscriptions.push(tracks);
    return (channel, data) => {
      this.copies++;
      if (this.measuring) this.latency.add(performance.now() - data.t);
      const track = tracks.get(channel);
      if (!track) return void this.duplicated++; // a copy of a channel never subscribed
      if (data.s >= track.seen.length) {
        const grown = new Uint8Array(Math.max(data.s + 1, track.seen.length * 2));
        grown.set(track.seen);
        track.seen = grown;
      }
      if (track.seen[data.s]) return void this.duplicated++;
      track.seen[data.s] = 1;
      track.unique++;
      if (data.s < track.max) this.outOfOrder++;
      else track.max = data.s;
    };
  }

  /** Copies expected so far: every subscription of a channel × the publications sent to it. */
  expected(published: Map<string, number>): number {
    let total = 0;
    for (const tracks of this.subscriptions)
      for (const channel of tracks.keys()) total += published.get(channel) ?? 0;
    return total;
  }

  unique(): number {
    let total = 0;
    for (const tracks of this.subscriptions) for (const track of tracks.values()) total += track.unique;
    return total;
  }

  totals(published: Map<string, number>): CopyTotals {
    return {
      copies: this.copies,
      lost: this.expected(published) - this.unique(),
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
    };
  }
}
