/**
 * Dead-hub detection. The hub pings every `ping` seconds; a hub we have heard nothing from for
 * two intervals is gone (a half-open TCP connection can stay "open" for minutes otherwise).
 * Any message counts as a sign of life. One coarse timer checks a timestamp instead of re-arming
 * a timer on every message, which matters at high message rates.
 */
export class Heartbeat {
  private lastSeen = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly onDead: () => void) {}

  start(intervalSeconds: number): void {
    this.stop();
    if (!(intervalSeconds > 0)) return;
    const limitMs = intervalSeconds * 2000;
    this.lastSeen = Date.now();
    this.timer = setInterval(
      () => {
        if (Date.now() - this.lastSeen > limitMs) {
          this.stop();
          this.onDead();
        }
      },
      Math.max(50, limitMs / 4),
    );
  }

  seen(): void {
    this.lastSeen = Date.now();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
