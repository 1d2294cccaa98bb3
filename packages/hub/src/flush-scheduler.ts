/**
 * Coalesces writes: frames queued for a socket before its flush leave as ONE WebSocket message
 * (NDJSON), written in a single pass over the dirty sockets.
 *
 * Normally a pass runs at the end of the event-loop turn (setImmediate). Under load a pass itself
 * takes milliseconds (one socket write per dirty socket). When work piles up — the first mark
 * after a pass comes sooner than that pass took — the next pass waits as long as the last one
 * took (capped by `maxDelayMs`), so the publications arriving meanwhile share each socket's write
 * instead of costing a write each. A publication arriving after a quiet gap (a fixed rate slower
 * than the passes) is written at once, however long the last pass took: waiting would only add
 * latency, there is nothing to coalesce it with.
 *
 * Publications reach the pass as one run per channel (ChannelStream.flushRun): each subscriber
 * with nothing else queued gets the run's frame, built once, written at once; others get the run
 * merged into their queue by sequence number (`nextSeq`), so each socket's frames keep the order
 * they were produced in. Sockets whose queues hold the same publications share one pre-built
 * frame for them too (see `sharedBatch`).
 */
import { frameLines, type SharedFrame } from "./shared-frame.js";

export interface Flushable {
  flushScheduled: boolean;
  flush(): void;
}

/** A channel stream holding publications for the pass (its subscribers get them all at once). */
export interface RunSource {
  flushRun(): void;
}

/** A delay shorter than this is not worth a timer: flush at the end of the turn. */
const BUSY_PASS_MS = 1;

export class FlushScheduler {
  private dirty: Flushable[] = [];
  private runs: RunSource[] = [];
  /** Orders every frame queued for a socket and every publication of a run (see PublicationRun). */
  private seq = 0;
  private scheduled = false;
  private lastPassMs = 0;
  private lastPassEnd = 0;
  /** The last batch `sharedBatch` framed in this pass: its publications and its frame. */
  private batchItems: readonly SharedFrame[] | undefined;
  private batchFrame: Buffer | undefined;

  constructor(private readonly maxDelayMs: number) {}

  /** The next sequence number: frames of one socket leave in the order of theirs. */
  nextSeq(): number {
    return ++this.seq;
  }

  mark(target: Flushable): void {
    if (target.flushScheduled) return;
    target.flushScheduled = true;
    this.dirty.push(target);
    this.schedule();
  }

  /** A stream has a run for the next pass (it calls this once per run). */
  markRun(source: RunSource): void {
    this.runs.push(source);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const delay = Math.min(this.maxDelayMs, this.lastPassMs);
    if (delay < BUSY_PASS_MS || performance.now() - this.lastPassEnd >= delay) setImmediate(this.run);
    else setTimeout(this.run, delay);
  }

  /**
   * The complete WebSocket frame (NDJSON of the payloads) of a run of publications, built once
   * per pass for every socket that was sent exactly the same run.
   */
  sharedBatch(items: readonly SharedFrame[]): Buffer {
    const last = this.batchItems;
    if (last !== undefined && this.batchFrame !== undefined && sameFrames(last, items))
      return this.batchFrame;
    const frame = frameLines(items);
    this.batchItems = items;
    this.batchFrame = frame;
    return frame;
  }

  /**
   * Hands every pending run to its subscribers now. The pass does this first; a session closing
   * does it before its last flush, so the publications delivered before the close go out with it.
   */
  settleRuns(): void {
    if (this.runs.length === 0) return;
    const runs = this.runs;
    this.runs = [];
    for (const source of runs) source.flushRun();
  }

  private readonly run = (): void => {
    const started = performance.now();
    // Runs first: a subscriber with nothing else queued gets its run written at once; one with
    // frames of its own gets the run merged into its queue (and marked: still `scheduled`, so it
    // joins this pass).
    this.settleRuns();
    this.scheduled = false;
    const batch = this.dirty;
    this.dirty = [];
    for (const target of batch) {
      target.flushScheduled = false;
      target.flush();
    }
    this.batchItems = undefined;
    this.batchFrame = undefined;
    this.lastPassEnd = performance.now();
    this.lastPassMs = this.lastPassEnd - started;
  };
}

function sameFrames(a: readonly SharedFrame[], b: readonly SharedFrame[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
