/**
 * Coalesces writes: frames queued for a socket during one turn of the event loop leave as ONE
 * WebSocket message (NDJSON), written in a single pass over the dirty sockets.
 */
export interface Flushable {
  flushScheduled: boolean;
  flush(): void;
}

export class FlushScheduler {
  private dirty: Flushable[] = [];
  private scheduled = false;

  mark(target: Flushable): void {
    if (target.flushScheduled) return;
    target.flushScheduled = true;
    this.dirty.push(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    this.scheduled = false;
    const batch = this.dirty;
    this.dirty = [];
    for (const target of batch) {
      target.flushScheduled = false;
      target.flush();
    }
  };
}
