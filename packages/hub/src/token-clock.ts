/**
 * When a session's tokens run out (docs/protocol.md "Token lifetime"): the connection token's
 * expiry closes the connection with 4005 unless a `refresh` came first; a channel token's expiry
 * ends that one subscription (`token_expired`, resubscribe). One clock per session; all its
 * timers stop when the session closes.
 */

/** Node timers overflow past 2^31-1 ms (~24.8 days) and would fire at once: re-arm in steps. */
const MAX_TIMER_MS = 2_147_483_647;

class Deadline {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    readonly at: number,
    private readonly onExpired: () => void,
  ) {
    this.arm();
  }
  private arm(): void {
    const wait = this.at - Date.now();
    if (wait <= 0) {
      this.timer = undefined;
      this.onExpired();
      return;
    }
    this.timer = setTimeout(() => this.arm(), Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }
  cancel(): void {
    clearTimeout(this.timer);
  }
}

export class TokenClock {
  private connection: Deadline | undefined;
  /** Channel-token deadlines; made on the first one (most sessions never have any). */
  private channels: Map<string, Deadline> | undefined;

  /** Seconds left until `at`, as the `expires` field of `connected` / `refreshed` carries them. */
  static secondsUntil(at: number): number {
    return Math.max(0, Math.floor((at - Date.now()) / 1000));
  }

  /** Whether the connection token has run out (a request must not be served on it). */
  get connectionExpired(): boolean {
    return this.connection !== undefined && this.connection.at <= Date.now();
  }

  setConnection(at: number, onExpired: () => void): void {
    this.connection?.cancel();
    this.connection = new Deadline(at, onExpired);
  }

  setChannel(channel: string, at: number, onExpired: () => void): void {
    this.channels ??= new Map<string, Deadline>();
    const channels = this.channels;
    channels.get(channel)?.cancel();
    channels.set(
      channel,
      new Deadline(at, () => {
        channels.delete(channel);
        onExpired();
      }),
    );
  }

  hasChannel(channel: string): boolean {
    return this.channels?.has(channel) ?? false;
  }

  clearChannel(channel: string): void {
    if (!this.channels) return;
    this.channels.get(channel)?.cancel();
    this.channels.delete(channel);
  }

  stop(): void {
    this.connection?.cancel();
    if (!this.channels) return;
    for (const deadline of this.channels.values()) deadline.cancel();
    this.channels.clear();
  }
}
