/**
 * Coalesces writes: frames queued for a socket before its flush leave as ONE WebSocket message
 * (NDJSON), written in a single pass over the dirty sockets.
 *
 * Normally a pass runs at the end of the event-loop turn (setImmediate). Under load a pass itself
 * takes milliseconds (one socket write per dirty socket); the next pass then waits as long as the
 * last one took (capped by `maxDelayMs`), so the publications arriving meanwhile share each
 * socket's write instead of costing a write each. Idle hubs keep the immediate path.
 */
export interface Flushable {
  flushScheduled: boolean;
  flush(): void;
}

/** A pass shorter than this counts as idle: flush at the end of the turn. */
const BUSY_PASS_MS = 1;

export class FlushScheduler {
  private dirty: Flushable[] = [];
  private scheduled = false;
  private lastPassMs = 0;

  constructor(private readonly maxDelayMs: number) {}

  mark(target: Flushable): void {
    if (target.flushScheduled) return;
    target.flushScheduled = true;
    this.dirty.push(target);
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.lastPassMs < BUSY_PASS_MS || this.maxDelayMs === 0) setImmediate(this.run);
    else setTimeout(this.run, Math.min(this.maxDelayMs, this.lastPassMs));
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const batch = this.dirty;
    this.dirty = [];
    const started = performance.now();
    for (const target of batch) {
      target.flushScheduled = false;
      target.flush();
    }
    this.lastPassMs = performance.now() - started;
  };
}
