/**
 * Join/leave for the subscribers of one channel that asked for `presenceDiff` at connect
 * (docs/protocol.md "Presence at scale"). Created by the channel's stream with its first such
 * subscriber, so a channel without one costs nothing and no session carries anything for it.
 *
 * - Small channels: the joins and leaves of one window (`windowMs`) become ONE `presence_diff`
 *   frame, serialized once and shared by every such subscriber; a join and a leave of the same
 *   client in one window cancel. A window holds at most `maxEntries` clients: a mass subscribe
 *   elsewhere turns that window into an occupancy update instead, so memory stays bounded.
 * - Large channels (more local subscribers than the threshold) and overflowing windows: an
 *   `occupancy` frame with the channel's count (one broker read), at most once per
 *   `occupancyIntervalMs`, and only when the count changed.
 * So N clients subscribing at once cost O(N) frames on the wire and O(threshold) queued entries.
 */
import { type ClientInfo, encodeFrame, occupancyFrame, presenceDiffFrame } from "@switchboard/protocol";

export interface PresenceBatching {
  /** How long joins and leaves are collected into one `presence_diff` frame. */
  windowMs: number;
  /** At most one `occupancy` frame per channel per this long. */
  occupancyIntervalMs: number;
}

/** What this needs of a stream's subscribers. */
interface Watcher {
  presenceEvent(frame: string): void;
}

export class ChannelPresence {
  /** Ids of the subscribers that asked for diffs (the subscribers themselves live in the stream). */
  private readonly watchers = new Set<string>();
  private joined = new Map<string, ClientInfo>();
  private left = new Map<string, ClientInfo>();
  /** This window had more than `maxEntries` changes: it ends with an occupancy update. */
  private overflowed = false;
  private diffTimer: NodeJS.Timeout | undefined;
  private occupancyTimer: NodeJS.Timeout | undefined;
  private lastCount = -1;
  private lastOccupancyAt = 0;
  /** Counts were sent since the last diff: the first diff after them is followed by a count too. */
  private counting = false;
  /** Whether counts can be read (the namespace has presence on). */
  private countable = false;

  constructor(
    private readonly channel: string,
    private readonly subscribers: ReadonlyMap<string, Watcher>,
    /** Whether the channel has more local subscribers than the threshold now. */
    private readonly isLarge: () => boolean,
    private readonly maxEntries: number,
    private readonly count: () => Promise<number>,
    private readonly timing: PresenceBatching,
  ) {}

  watch(id: string, countable: boolean): void {
    this.watchers.add(id);
    this.countable = countable;
  }

  unwatch(id: string): void {
    if (this.watchers.delete(id) && this.watchers.size === 0) this.close();
  }

  get size(): number {
    return this.watchers.size;
  }

  has(id: string): boolean {
    return this.watchers.has(id);
  }

  /** One join or leave from the broker. */
  onEvent(type: "join" | "leave", info: ClientInfo): void {
    if (this.watchers.size === 0) return;
    if (this.overflowed || this.isLarge()) return this.changed();
    const client = info.client;
    if (type === "join") {
      if (!this.left.delete(client)) this.joined.set(client, info);
    } else if (!this.joined.delete(client)) this.left.set(client, info);
    if (this.joined.size + this.left.size > this.maxEntries) {
      this.overflowed = true;
      this.joined = new Map();
      this.left = new Map();
      this.changed();
    }
    this.diffTimer ??= unref(setTimeout(() => this.flushDiff(), this.timing.windowMs));
  }

  close(): void {
    this.watchers.clear();
    clearTimeout(this.diffTimer);
    clearTimeout(this.occupancyTimer);
    this.diffTimer = undefined;
    this.occupancyTimer = undefined;
    this.joined = new Map();
    this.left = new Map();
    this.overflowed = false;
    this.counting = false;
    this.lastCount = -1; // a later watcher gets the next count, whatever the last one was
  }

  private flushDiff(): void {
    this.diffTimer = undefined;
    const { joined, left } = this;
    this.joined = new Map();
    this.left = new Map();
    if (this.overflowed || this.isLarge()) {
      this.overflowed = false;
      return this.changed();
    }
    if (joined.size === 0 && left.size === 0) return;
    this.send(encodeFrame(presenceDiffFrame(this.channel, [...joined.values()], [...left.values()])));
    // Back from counts to diffs: one more count, so a client that kept only the count is exact.
    if (this.counting) {
      this.changed();
      this.counting = false;
    }
  }

  /** The count may have changed: one occupancy update, no sooner than the interval allows. */
  private changed(): void {
    if (!this.countable || this.occupancyTimer) return;
    this.counting = true;
    const due = this.lastOccupancyAt + this.timing.occupancyIntervalMs - Date.now();
    // Never at once: the entry of a join announced just now may still be on its way to the broker.
    const delay = Math.max(this.timing.windowMs, due);
    this.occupancyTimer = unref(setTimeout(() => void this.sendOccupancy(), delay));
  }

  private async sendOccupancy(): Promise<void> {
    this.lastOccupancyAt = Date.now();
    let count: number;
    try {
      count = await this.count();
    } catch {
      // The broker is unreachable: the next change tries again.
      this.occupancyTimer = undefined;
      return;
    }
    this.occupancyTimer = undefined;
    if (this.watchers.size === 0 || count === this.lastCount) return;
    this.lastCount = count;
    this.send(encodeFrame(occupancyFrame(this.channel, count)));
  }

  private send(frame: string): void {
    for (const id of this.watchers) this.subscribers.get(id)?.presenceEvent(frame);
  }
}

function unref(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}
