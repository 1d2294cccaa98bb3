/**
 * limits.maxConnections (node total) and limits.maxConnectionsPerIp: an upgrade over either is
 * refused with 429 and Retry-After (docs/protocol.md "Bad input and abuse"), so one address
 * cannot exhaust the node's descriptors. 0 means no limit. A connection counts from its
 * upgrade request until its TCP socket closes.
 */
import type { Duplex } from "node:stream";

/** What a refused client is told to wait before trying again. */
export const CONNECTION_RETRY_AFTER_SECONDS = 5;

export class ConnectionLimits {
  #total = 0;
  readonly #perIp = new Map<string, number>();

  readonly #onClose: (this: Duplex) => void;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerIp: number,
  ) {
    const limits = this;
    this.#onClose = function (this: Duplex) {
      limits.#release(this);
    };
  }

  /** Counts `socket` against the limits of its address until it closes; false when one is reached. */
  admit(socket: Duplex): boolean {
    // No limit, nothing to count (the default): no close listener, and the address is not
    // asked for (a getpeername call per connection).
    if (this.maxTotal === 0 && this.maxPerIp === 0) return true;
    if (this.maxTotal > 0 && this.#total >= this.maxTotal) return false;
    if (this.maxPerIp > 0) {
      const ip = addressOf(socket);
      const fromIp = this.#perIp.get(ip) ?? 0;
      if (fromIp >= this.maxPerIp) return false;
      this.#perIp.set(ip, fromIp + 1);
    }
    this.#total++;
    // One listener for every socket, not a closure each: it reads the address again, which Node
    // cached on the socket when it was read above. `on`, not `once`: a socket closes once, and
    // `once` costs a wrapper per socket.
    socket.on("close", this.#onClose);
    return true;
  }

  #release(socket: Duplex): void {
    this.#total--;
    if (this.maxPerIp === 0) return;
    const ip = addressOf(socket);
    const left = (this.#perIp.get(ip) ?? 1) - 1;
    if (left > 0) this.#perIp.set(ip, left);
    else this.#perIp.delete(ip);
  }

  /** Connections counted now (while a limit is set). */
  get total(): number {
    return this.#total;
  }
}

/** The TCP peer address (per-IP limits), "unknown" when the socket has none. */
function addressOf(socket: Duplex): string {
  return (socket as { remoteAddress?: string }).remoteAddress ?? "unknown";
}
