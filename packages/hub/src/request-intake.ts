/**
 * Bounded work per connection (docs/protocol.md "Bad input and abuse"). The frames of a message
 * are handled one after another with a yield between batches, never all in one synchronous
 * loop; a request whose reply can be large (history, presence, a recovering or rewinding
 * subscribe) is finished — its reply queued — before the next frame is read, and no frame is
 * read while the connection's unsent replies exceed `sendBufferBytes`. Meanwhile the socket is
 * paused, so a client that sends faster than it reads makes the hub hold about one reply for
 * it, not one per request. Also counts every request against `requestRatePerSecond` and, on
 * abuse, closes with 4029 only after the replies of requests already under way (a stored
 * publish keeps its `published`).
 * Large replies are also built one at a time per node, and the slot stays free for as long as
 * the last one took (a 50 MB page holds the event loop for a second or more): under such an
 * attack the rest of the node — other connections, /healthz — keeps at least half the time.
 */
import { type ClientFrame, CloseCode, type DecodedClientFrame } from "@switchboard/protocol";
import type { HubLimits } from "./config.js";
import { type RateWindow, takeRate } from "./rate-limiter.js";
import type { Session } from "./session.js";

/** Frames handled back to back before yielding to other connections. */
const FRAMES_PER_TURN = 16;
/** How often a paused connection re-checks its unsent bytes when no `drain` event comes. */
const DRAIN_POLL_MS = 20;
/** A 4029 close waits at most this long for the replies of requests under way. */
const CLOSE_AFTER_PENDING_MS = 5_000;
/** Longest pause between two large replies of the node (see the slot). */
const MAX_SLOT_PAUSE_MS = 2_000;

/** Handles one decoded frame; a promise when it started a request (settles once it is answered). */
export type FrameHandler = (session: Session, result: DecodedClientFrame) => Promise<void> | undefined;

/** Shared by every connection with nothing queued (never written to). */
const NO_FRAMES: DecodedClientFrame[] = [];

/** One connection's intake: frames not handled yet and its request-rate window, in one object. */
class IntakeState implements RateWindow {
  /** Frames from `next` on are still to handle; a message's own array is adopted, not copied. */
  queue = NO_FRAMES;
  next = 0;
  pumping = false;
  pending = 0;
  closing = false;
  windowStart = 0;
  count = 0;
  strikes = 0;

  get empty(): boolean {
    return this.next >= this.queue.length;
  }

  take(): DecodedClientFrame | undefined {
    if (this.next >= this.queue.length) return undefined;
    const frame = this.queue[this.next++];
    if (this.next === this.queue.length) this.clear();
    return frame;
  }

  clear(): void {
    this.queue = NO_FRAMES;
    this.next = 0;
  }
}

export class RequestIntake {
  readonly #states = new WeakMap<Session, IntakeState>();
  /** Sessions waiting for the node's one large-reply slot, in arrival order. */
  readonly #slotQueue: Array<() => void> = [];
  #slotTaken = false;
  #slotSince = 0;

  constructor(
    private readonly limits: HubLimits,
    private readonly handle: FrameHandler,
  ) {}

  /** Queues the frames of one message and starts handling them unless already under way. */
  push(session: Session, frames: DecodedClientFrame[]): void {
    const state = this.#state(session);
    if (state.closing || frames.length === 0) return;
    if (state.empty) {
      state.queue = frames;
      state.next = 0;
    } else for (const frame of frames) state.queue.push(frame);
    if (!state.pumping) void this.#pump(session, state);
  }

  /** Rate check of one request: "limited" → answer RATE_LIMITED; "abused" → closing (4029). */
  takeRequest(session: Session): "allowed" | "limited" | "abused" {
    const { requestRatePerSecond, rateLimitStrikes } = this.limits;
    const verdict = takeRate(this.#state(session), requestRatePerSecond, rateLimitStrikes, Date.now());
    if (verdict === "abused") this.closeAfterPending(session);
    return verdict;
  }

  /** Stops reading requests and closes with 4029 once the requests under way are answered. */
  closeAfterPending(session: Session): void {
    const state = this.#state(session);
    if (state.closing) return;
    state.closing = true;
    state.clear();
    const close = () => session.disconnect(CloseCode.RATE_LIMIT_ABUSED);
    if (state.pending === 0) return close();
    const timer = setTimeout(close, CLOSE_AFTER_PENDING_MS);
    timer.unref();
    session.onClosed(() => clearTimeout(timer));
  }

  #state(session: Session): IntakeState {
    let state = this.#states.get(session);
    if (!state) {
      state = new IntakeState();
      this.#states.set(session, state);
    }
    return state;
  }

  async #pump(session: Session, state: IntakeState): Promise<void> {
    state.pumping = true;
    try {
      let handled = 0;
      for (let result = state.take(); result !== undefined; result = state.take()) {
        if (session.isClosed) return;
        if (session.unsentBytes > this.limits.sendBufferBytes) await this.#drained(session);
        if (session.isClosed || state.closing) return;
        const large = result.ok && largeReply(result.frame);
        if (large) await this.#takeSlot();
        if (session.isClosed || state.closing) {
          if (large) this.#releaseSlot();
          return;
        }
        let running: Promise<void> | undefined;
        try {
          running = this.handle(session, result);
        } finally {
          if (large && !running) this.#releaseSlot();
        }
        if (running) {
          state.pending++;
          const settled = running.finally(() => {
            state.pending--;
            if (state.closing && state.pending === 0) session.disconnect(CloseCode.RATE_LIMIT_ABUSED);
          });
          if (large) {
            await this.#paused(
              session,
              settled.finally(() => this.#releaseSlot()),
            );
            handled = 0;
            continue;
          }
        }
        if (++handled % FRAMES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      state.pumping = false;
    }
  }

  #takeSlot(): Promise<void> {
    if (!this.#slotTaken) {
      this.#slotTaken = true;
      this.#slotSince = performance.now();
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.#slotQueue.push(() => {
        this.#slotSince = performance.now();
        resolve();
      }),
    );
  }

  /** Hands the slot on after a yield, so whatever queued meanwhile (an HTTP request) runs first. */
  #releaseSlot(): void {
    const pause = Math.min(performance.now() - this.#slotSince, MAX_SLOT_PAUSE_MS);
    const handOn = () => {
      const next = this.#slotQueue.shift();
      if (next) next();
      else this.#slotTaken = false;
    };
    if (pause < 1) setImmediate(handOn);
    else setTimeout(handOn, pause).unref();
  }

  /** Waits for `work` with the socket paused, then until the unsent replies drained. */
  async #paused(session: Session, work: Promise<void>): Promise<void> {
    session.ws.pause();
    try {
      await work.catch(() => undefined);
      await this.#drained(session);
    } finally {
      if (!session.isClosed) session.ws.resume();
    }
  }

  async #drained(session: Session): Promise<void> {
    const paused = session.ws.isPaused;
    if (!paused) session.ws.pause();
    try {
      while (!session.isClosed && session.unsentBytes > this.limits.sendBufferBytes)
        await session.whenWritable(DRAIN_POLL_MS);
    } finally {
      if (!paused && !session.isClosed) session.ws.resume();
    }
  }
}

/** Requests whose reply may be far larger than the request (history pages, member lists, recovery). */
function largeReply(frame: ClientFrame): boolean {
  switch (frame.type) {
    case "history":
    case "presence":
      return true;
    case "subscribe":
      return frame.since !== undefined || frame.rewind !== undefined;
    default:
      return false;
  }
}
