/**
 * In-process presence for a single-node broker: who is in which channel, each entry expiring
 * `ttl` after its last refresh so clients of a node that died without cleaning up disappear.
 */
import type { ClientInfo } from "@switchboard/protocol";

interface Entry {
  info: ClientInfo;
  expires: number;
}

export class PresenceMap {
  private readonly channels = new Map<string, Map<string, Entry>>();

  /** Adds or refreshes `info.client` in `channel`. */
  add(channel: string, info: ClientInfo, ttlMs: number, now: number): void {
    let entries = this.channels.get(channel);
    if (!entries) {
      entries = new Map();
      this.channels.set(channel, entries);
    }
    entries.set(info.client, { info: { ...info }, expires: now + ttlMs });
  }

  remove(channel: string, client: string): void {
    const entries = this.channels.get(channel);
    if (!entries) return;
    entries.delete(client);
    if (entries.size === 0) this.channels.delete(channel);
  }

  list(channel: string, now: number): ClientInfo[] {
    const entries = this.channels.get(channel);
    if (!entries) return [];
    const clients: ClientInfo[] = [];
    for (const [client, entry] of entries) {
      if (entry.expires <= now) entries.delete(client);
      else clients.push({ ...entry.info });
    }
    if (entries.size === 0) this.channels.delete(channel);
    return clients;
  }

  /** Drops expired entries of every channel (list() only cleans the channel it reads). */
  sweep(now: number): void {
    for (const channel of [...this.channels.keys()]) this.list(channel, now);
  }

  clear(): void {
    this.channels.clear();
  }
}
