/**
 * In-process presence for a single-node broker: who is in which channel. Entries carry no TTL of
 * their own: they live as long as the node's liveness (`keepAlive`, one write per refresh
 * interval whatever the number of entries), so a node that stops refreshing loses them all at
 * once — the same rule the shared engines keep across nodes (docs/operations.md).
 */
import type { ClientInfo } from "@switchboard/protocol";

export class PresenceMap {
  private readonly channels = new Map<string, Map<string, ClientInfo>>();
  /** Until when (ms) the node's entries count; 0: never kept alive. */
  private aliveUntil = 0;

  /** Renews the node's liveness; true when it had lapsed (its entries were dropped). */
  keepAlive(ttlMs: number, now: number): boolean {
    const lapsed = this.lapsed(now);
    this.aliveUntil = now + ttlMs;
    return lapsed;
  }

  /** Adds or replaces `info.client` in `channel`; the first entry starts the node's liveness. */
  add(channel: string, info: ClientInfo, ttlMs: number, now: number): void {
    if (this.aliveUntil === 0) this.aliveUntil = now + ttlMs;
    else this.lapsed(now);
    let entries = this.channels.get(channel);
    if (!entries) {
      entries = new Map();
      this.channels.set(channel, entries);
    }
    entries.set(info.client, { ...info });
  }

  remove(channel: string, client: string): void {
    const entries = this.channels.get(channel);
    if (!entries) return;
    entries.delete(client);
    if (entries.size === 0) this.channels.delete(channel);
  }

  list(channel: string, now: number): ClientInfo[] {
    if (this.lapsed(now)) return [];
    return [...(this.channels.get(channel)?.values() ?? [])].map((info) => ({ ...info }));
  }

  count(channel: string, now: number): number {
    if (this.lapsed(now)) return 0;
    return this.channels.get(channel)?.size ?? 0;
  }

  /** Drops every entry once the liveness ran out (list and count drop them too). */
  sweep(now: number): void {
    this.lapsed(now);
  }

  clear(): void {
    this.channels.clear();
    this.aliveUntil = 0;
  }

  /** Whether the liveness ran out; if so the entries are gone. */
  private lapsed(now: number): boolean {
    if (this.aliveUntil > now) return false;
    this.channels.clear();
    return true;
  }
}
