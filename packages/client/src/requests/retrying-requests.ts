/**
 * Requests that must survive reconnects: publishes (re-sent with the SAME key, so the hub's
 * dedupe makes the retry harmless) and the app's history/presence reads. Each one is sent when
 * connected, re-sent after a reconnect, retried with backoff after UNAVAILABLE / RATE_LIMITED,
 * and rejected on any other error, on its timeout (TIMEOUT), or on client.close() (CLOSED).
 * Publishes of a client with an offline outbox count their timeout only while sent on a
 * connection: offline they wait (docs/client.md, "Offline").
 */
import type { StreamPosition } from "@switchboard/protocol";
import { Backoff, type BackoffOptions } from "../connection/backoff.js";
import { isRetryableCode, SwitchboardError } from "../errors.js";
import type { ReplyFrame, ReplyHandlers, RequestFrame } from "./reply-tracker.js";

export interface RequestSender {
  /** The request's id when sent; undefined when not connected; an error when it can never be sent. */
  send(frame: RequestFrame, handlers: ReplyHandlers): number | SwitchboardError | undefined;
  /** Stop waiting for the reply to `id`. */
  forget(id: number): void;
}

type ReplyOf<T extends ReplyFrame["type"]> = Extract<ReplyFrame, { type: T }>;
type PublishRequest = Extract<RequestFrame, { type: "publish" }>;

interface Entry {
  readonly frame: RequestFrame;
  readonly expect: ReplyFrame["type"];
  readonly backoff: Backoff;
  readonly timeoutMs: number;
  /** Runs only while the request is out on a connection (offline outbox). */
  readonly onlineTimeout: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The hub's reply or the error that ends the request. */
  readonly settle: (outcome: ReplyFrame | SwitchboardError) => void;
  /** Publishes only: resolves with a position learnt without the reply (see proven()). */
  readonly prove: ((position: StreamPosition) => void) | undefined;
  id: number | undefined;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

export class RetryingRequests {
  /** Insertion-ordered: after a reconnect, requests go out in the order the app made them. */
  private readonly entries = new Set<Entry>();

  constructor(
    private readonly sender: RequestSender,
    private readonly retry: BackoffOptions,
  ) {}

  /** Sends `frame` (now or once connected) until it gets a `expect` reply. */
  request<T extends "history" | "presence" | "occupancy">(
    frame: RequestFrame,
    expect: T,
    timeoutMs: number,
  ): Promise<ReplyOf<T>> {
    return new Promise<ReplyOf<T>>((resolve, reject) => {
      this.enqueue(frame, expect, timeoutMs, undefined, (outcome) => {
        if (outcome instanceof SwitchboardError) reject(outcome);
        else resolve(outcome as ReplyOf<T>);
      });
    });
  }

  /**
   * A publish, retried with its key until `published`. `onSettled` runs synchronously with the
   * reply, before the promise settles, so the caller can act on it in frame order (the in-page
   * echo); it does not run when proven() settles the publish.
   */
  publish(
    frame: PublishRequest,
    timeoutMs: number,
    onSettled: (outcome: StreamPosition | SwitchboardError) => void,
    onlineTimeout = false,
  ): Promise<StreamPosition> {
    return new Promise<StreamPosition>((resolve, reject) => {
      const settle = (outcome: ReplyFrame | SwitchboardError): void => {
        if (outcome instanceof SwitchboardError) {
          onSettled(outcome);
          reject(outcome);
        } else if (outcome.type === "published") {
          // (Always: only replies of the expected type settle an entry.)
          const position = { epoch: outcome.epoch, offset: outcome.offset };
          onSettled(position);
          resolve(position);
        }
      };
      this.enqueue(frame, "published", timeoutMs, resolve, settle, onlineTimeout);
    });
  }

  /** After (re)connecting: everything not in flight goes out now, in order. */
  resendAll(): void {
    for (const entry of this.entries) {
      if (entry.id !== undefined) continue;
      clearTimeout(entry.retryTimer);
      entry.retryTimer = undefined;
      this.trySend(entry);
    }
  }

  /**
   * The publish of `key` is proven at `position` another way: its own copy came back, so a lost
   * `published` reply must not end in TIMEOUT. The caller already knows, and may be in the middle
   * of delivering publications, so onSettled does not run.
   */
  proven(channel: string, key: string, position: StreamPosition): void {
    for (const entry of [...this.entries]) {
      const { frame } = entry;
      if (frame.type !== "publish" || frame.channel !== channel || frame.key !== key || !entry.prove)
        continue;
      if (this.remove(entry)) entry.prove({ epoch: position.epoch, offset: position.offset });
    }
  }

  rejectAll(error: SwitchboardError): void {
    for (const entry of [...this.entries]) this.finish(entry, error);
  }

  private trySend(entry: Entry): void {
    if (!this.entries.has(entry)) return;
    const sent = this.sender.send(entry.frame, {
      reply: (frame) => {
        entry.id = undefined;
        if (frame.type === entry.expect) this.finish(entry, frame);
        else
          this.finish(
            entry,
            new SwitchboardError("INTERNAL", `hub answered ${entry.frame.type} with ${frame.type}`),
          );
      },
      fail: (error) => {
        entry.id = undefined;
        if (!isRetryableCode(error.code)) {
          this.finish(entry, error);
          return;
        }
        entry.retryTimer = setTimeout(() => {
          entry.retryTimer = undefined;
          this.trySend(entry);
        }, entry.backoff.next());
      },
      lost: () => {
        entry.id = undefined; // resendAll() picks it up after the reconnect
        if (entry.onlineTimeout) {
          clearTimeout(entry.timer);
          entry.timer = undefined;
        }
      },
    });
    if (sent instanceof SwitchboardError) this.finish(entry, sent);
    else {
      entry.id = sent;
      if (sent !== undefined && entry.timer === undefined) this.arm(entry);
    }
  }

  private arm(entry: Entry): void {
    entry.timer = setTimeout(
      () =>
        this.finish(
          entry,
          new SwitchboardError("TIMEOUT", `${entry.frame.type} timed out after ${entry.timeoutMs} ms`),
        ),
      entry.timeoutMs,
    );
  }

  private enqueue(
    frame: RequestFrame,
    expect: ReplyFrame["type"],
    timeoutMs: number,
    prove: Entry["prove"],
    settle: Entry["settle"],
    onlineTimeout = false,
  ): void {
    const entry: Entry = {
      frame,
      expect,
      backoff: new Backoff(this.retry),
      timeoutMs,
      onlineTimeout,
      timer: undefined,
      settle,
      prove,
      id: undefined,
      retryTimer: undefined,
    };
    this.entries.add(entry);
    if (!onlineTimeout) this.arm(entry);
    this.trySend(entry);
  }

  private finish(entry: Entry, outcome: ReplyFrame | SwitchboardError): void {
    if (this.remove(entry)) entry.settle(outcome);
  }

  /** Stops tracking `entry`; false when it was already settled. */
  private remove(entry: Entry): boolean {
    if (!this.entries.delete(entry)) return false;
    clearTimeout(entry.timer);
    clearTimeout(entry.retryTimer);
    if (entry.id !== undefined) this.sender.forget(entry.id);
    return true;
  }
}
