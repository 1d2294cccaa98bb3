/**
 * One client connection: its protocol phase (connecting → authenticating → open → closed),
 * identity, subscriptions, rate limiter and outgoing queue.
 * Outgoing frames are queued and flushed once per event-loop turn (see FlushScheduler);
 * a socket whose unsent bytes pass `sendBufferBytes` is a slow consumer and is closed (4008)
 * without slowing anyone else.
 */
import { randomFillSync } from "node:crypto";
import type { Duplex } from "node:stream";
import {
  type ClientInfo,
  CloseCode,
  disconnectFrame,
  encodeFrame,
  type HubFrame,
} from "@switchboard/protocol";
import { WebSocket } from "ws";
import type { Identity } from "./auth.js";
import type { StreamSubscriber } from "./channel-stream.js";
import type { Flushable } from "./flush-scheduler.js";
import type { HubContext } from "./hub-context.js";
import { frameLines, type PublicationRun, type SharedFrame } from "./shared-frame.js";
import { Subscriptions } from "./subscriptions.js";

/** How long a closing socket may take to finish its close handshake before it is cut. */
const CLOSE_GRACE_MS = 2_000;
/** Random bytes per client id (12 base64url characters after `c_`). */
const ID_BYTES = 9;
/** Ids are cut from one pool of random bytes, refilled every 512 ids: one RNG call, not one each. */
const idPool = Buffer.allocUnsafe(ID_BYTES * 512);
let idPoolOffset = idPool.length;

function newClientId(): string {
  if (idPoolOffset === idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const id = `c_${idPool.toString("base64url", idPoolOffset, idPoolOffset + ID_BYTES)}`;
  idPoolOffset += ID_BYTES;
  return id;
}

/** Shared by every session with nothing held: the backlog array exists only while one is. */
const NOTHING_HELD: readonly string[] = [];

/**
 * What a node does when a session's subscription or the session itself ends: one object per
 * node, so no session carries closures of its own for it.
 */
export interface SessionHooks {
  /** The hub ended a subscription on its own: presence and join/leave follow. */
  ended(session: Session, channel: string): void;
  /** The session closed, whoever closed it; called once. */
  closed(session: Session): void;
}

/** limits.connectTimeoutSeconds passed without the session opening: 4001. */
function connectTimedOut(session: Session): void {
  if (session.phase === "connecting" || session.phase === "authenticating")
    session.disconnect(CloseCode.UNAUTHORIZED, "no connect frame in time");
}

export type SessionPhase = "connecting" | "authenticating" | "open" | "closed";

export class Session implements StreamSubscriber, Flushable {
  readonly id = newClientId();
  #phase: SessionPhase = "connecting";
  #identity: Identity = {};
  #info: ClientInfo = { client: this.id };
  readonly subscriptions = new Subscriptions();
  lastSeen = Date.now();
  flushScheduled = false;
  /** Asked at connect for batched join/leave and counts (docs/protocol.md "Presence at scale"). */
  presenceDiff = false;
  /** Raw messages that arrived while `connect` was being verified; handled in order after it. */
  #backlog: readonly string[] = NOTHING_HELD;
  private queue: Array<string | SharedFrame> = [];
  private queuedBytes = 0;
  /** The socket's unsent bytes after the last flush (see enqueue). */
  private socketBacklog = 0;
  /** FlushScheduler sequence number of each queued frame (its place among runs, see deliverRun). */
  private seqs: number[] = [];
  /** Cleanups registered with onClosed (rare: most sessions never register one). */
  #onClosed: Array<() => void> | undefined;
  /** Closes the session with 4001 unless it opens in time; cleared once it opens or closes. */
  #connectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly ws: WebSocket,
    /** The connection's TCP socket (from the upgrade): pre-framed publications go straight to it. */
    private readonly socket: Duplex,
    private readonly ctx: HubContext,
    private readonly hooks: SessionHooks,
  ) {
    // The session is the timer's argument: no closure per session.
    this.#connectTimer = setTimeout(connectTimedOut, ctx.limits.connectTimeoutSeconds * 1000, this);
  }

  /** Getters, not fields: TypeScript's narrowing would miss changes made across awaits. */
  get phase(): SessionPhase {
    return this.#phase;
  }
  get isClosed(): boolean {
    return this.#phase === "closed";
  }
  get isAuthenticating(): boolean {
    return this.#phase === "authenticating";
  }
  get identity(): Identity {
    return this.#identity;
  }
  /** Who this connection is, as other clients see it (publications, presence). */
  get info(): ClientInfo {
    return this.#info;
  }

  /** connecting → authenticating: frames that arrive meanwhile are held (see hold). */
  startAuthenticating(): void {
    if (this.#phase === "connecting") this.#phase = "authenticating";
  }

  /** authenticating → open; returns the frames held meanwhile, to be handled in order. */
  open(identity: Identity, name: string | undefined): string[] {
    this.#phase = "open";
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#identity = identity;
    this.#info = clientInfo(this.id, identity.user, name);
    const backlog = this.#backlog;
    this.#backlog = NOTHING_HELD;
    return backlog as string[];
  }

  /** Replies queued or buffered but not yet sent (request-intake.ts reads no more while over the limit). */
  get unsentBytes(): number {
    return this.queuedBytes + this.ws.bufferedAmount;
  }

  /** Resolves on the socket's next `drain`, or after `maxWaitMs` (queued frames flush without one). */
  whenWritable(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.socket.off("drain", done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      this.socket.once("drain", done);
    });
  }

  /** The client's IP as the TCP socket sees it (per-IP limits). */
  get remoteAddress(): string {
    return (this.socket as { remoteAddress?: string }).remoteAddress ?? "unknown";
  }

  /** Keeps a raw message that arrived while `connect` is being verified. */
  hold(text: string): void {
    if (this.#backlog === NOTHING_HELD) this.#backlog = [text];
    else (this.#backlog as string[]).push(text);
  }

  send(frame: HubFrame): void {
    this.enqueue(encodeFrame(frame));
  }

  deliverRun(run: PublicationRun): void {
    if (this.#phase === "closed" || this.slow()) return;
    // Nothing else queued and no other channel's run to interleave with: written at once.
    if (this.queue.length === 0 && this.subscriptions.size <= 1) {
      if (this.ws.readyState === WebSocket.OPEN) this.socket.write(run.framed);
      this.socketBacklog = this.socket.writableLength;
      return;
    }
    // Otherwise merged into the queue by sequence number, so every frame keeps its place.
    const { frames, seqs } = run;
    const queue = this.queue;
    const own = this.seqs;
    if (own.length !== queue.length || own.length === 0 || (own.at(-1) as number) < (seqs[0] as number)) {
      for (let i = 0; i < frames.length; i++) {
        queue.push(frames[i] as SharedFrame);
        own.push(seqs[i] as number);
      }
    } else {
      const merged: Array<string | SharedFrame> = [];
      const mergedSeqs: number[] = [];
      for (let i = 0, j = 0; i < queue.length || j < frames.length; ) {
        if (j === frames.length || (i < queue.length && (own[i] as number) < (seqs[j] as number))) {
          merged.push(queue[i] as string | SharedFrame);
          mergedSeqs.push(own[i++] as number);
        } else {
          merged.push(frames[j] as SharedFrame);
          mergedSeqs.push(seqs[j++] as number);
        }
      }
      this.queue = merged;
      this.seqs = mergedSeqs;
    }
    this.queuedBytes += run.bytes;
    this.ctx.flusher.mark(this);
  }

  /** A frame built once for many sessions (the heartbeat's ping), queued like a publication. */
  sendShared(frame: SharedFrame): void {
    this.enqueue(frame);
  }

  presenceEvent(frame: string): void {
    this.enqueue(frame);
  }

  ended(channel: string, frame: string): void {
    const slot = this.subscriptions.get(channel);
    if (slot === undefined) return;
    // Still joining: the `subscribed` reply must go out first; the subscribe handler ends it right after.
    if (slot.state === "joining") {
      slot.endedFrame = frame;
      return;
    }
    this.subscriptions.remove(channel);
    this.ctx.metrics.subscriptions.dec();
    this.enqueue(frame);
    this.hooks.ended(this, channel);
  }

  /** Runs `handler` when the session closes (after the node's own cleanup, SessionHooks.closed). */
  onClosed(handler: () => void): void {
    if (this.#onClosed) this.#onClosed.push(handler);
    else this.#onClosed = [handler];
  }

  private enqueue(frame: string | SharedFrame): void {
    if (this.#phase === "closed" || this.slow()) return;
    this.queue.push(frame);
    this.seqs.push(this.ctx.flusher.nextSeq());
    this.queuedBytes += frame.length;
    this.ctx.flusher.mark(this);
  }

  /**
   * Slow means already behind by more than the limit before this frame: then the connection is
   * closed (4008). The frame itself does not count: one reply the client asked for (a history
   * page, a recovering subscribe) may be larger than the limit, and closing for it makes a
   * reconnecting client ask again, forever. The socket's backlog as of the last flush is an upper
   * bound (it only drains meanwhile), so the socket itself is asked only when that bound says
   * the limit may be passed.
   */
  private slow(): boolean {
    const limit = this.ctx.limits.sendBufferBytes;
    if (this.queuedBytes + this.socketBacklog <= limit) return false;
    this.socketBacklog = this.ws.bufferedAmount;
    if (this.queuedBytes + this.socketBacklog <= limit) return false;
    this.disconnect(CloseCode.SLOW_CONSUMER, undefined, true);
    return true;
  }

  flush(): void {
    const queue = this.queue;
    const count = queue.length;
    if (count === 0 || this.#phase === "closed") return;
    // One frame (the common case): the array is kept for the next one; a run is handed on
    // (sharedBatch compares the runs of the pass).
    if (count > 1) {
      this.queue = [];
      this.seqs.length = 0;
    }
    this.queuedBytes = 0;
    // The whole WebSocket frame is built here and written to the TCP socket in one write:
    // publications only (one alone, or a run every subscriber of the channel got alike) reuse the
    // frame built once for every socket; anything else is framed once. ws writes each of its own
    // messages synchronously too (no compression, no fragments), so frames never interleave.
    let frame: Buffer;
    if (count === 1) {
      const only = queue[0] as string | SharedFrame;
      queue.length = 0;
      this.seqs.length = 0;
      frame = typeof only === "string" ? frameLines([only]) : only.framed;
    } else frame = onlyPublications(queue) ? this.ctx.flusher.sharedBatch(queue) : frameLines(queue);
    if (this.ws.readyState === WebSocket.OPEN) this.socket.write(frame);
    this.socketBacklog = this.socket.writableLength;
  }

  /**
   * Hub-initiated close: tells the client why (`disconnect` frame), then closes with `code`.
   * `drop` skips the queued frames (a slow consumer would not read them anyway).
   */
  disconnect(code: CloseCode, reason?: string, drop = false): void {
    if (this.#phase === "closed") return;
    // Publications delivered before the close still waiting for the write pass come first.
    if (!drop) {
      this.ctx.flusher.settleRuns();
      if (this.isClosed) return;
    }
    const frame = disconnectFrame(code, reason);
    if (drop) {
      this.queue = [];
      this.queuedBytes = 0;
    }
    this.queue.push(encodeFrame(frame));
    this.flush();
    this.ctx.metrics.closes.inc({ code: String(code) });
    this.markClosed();
    this.ws.close(code, frame.reason.slice(0, 120));
    const timer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    this.ws.once("close", () => clearTimeout(timer));
  }

  /** Runs cleanup once, whether the hub or the client closed the connection. */
  markClosed(): void {
    if (this.#phase === "closed") return;
    this.#phase = "closed";
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#backlog = NOTHING_HELD;
    this.queue = [];
    this.queuedBytes = 0;
    this.hooks.closed(this);
    const handlers = this.#onClosed;
    this.#onClosed = undefined;
    if (handlers) for (const handler of handlers) handler();
  }
}

/** One object literal per shape, so the fields stay in-object (no properties array each). */
function clientInfo(client: string, user: string | undefined, name: string | undefined): ClientInfo {
  if (user === undefined) return name === undefined ? { client } : { client, name };
  return name === undefined ? { client, user } : { client, user, name };
}

function onlyPublications(queue: Array<string | SharedFrame>): queue is SharedFrame[] {
  for (const item of queue) if (typeof item === "string") return false;
  return true;
}
