/**
 * Requests that must survive reconnects: publishes (re-sent with the SAME key, so the hub's
 * dedupe makes the retry harmless) and the app's history/presence reads. Each one is sent when
 * connected, re-sent after a reconnect, retried with backoff after UNAVAILABLE / RATE_LIMITED,
 * and rejected on any other error, on its timeout (TIMEOUT), or on client.close() (CLOSED).
 */
import { Backoff, type BackoffOptions } from "./connection/backoff.js";
import { isRetryableCode, SwitchboardError } from "./errors.js";
import type { ReplyFrame, ReplyHandlers, RequestFrame } from "./requests.js";

export interface RequestSender {
  /** The request's id when sent; undefined when not connected; an error when it can never be sent. */
  send(frame: RequestFrame, handlers: ReplyHandlers): number | SwitchboardError | undefined;
  /** Stop waiting for the reply to `id`. */
  forget(id: number): void;
}

type ReplyOf<T extends ReplyFrame["type"]> = Extract<ReplyFrame, { type: T }>;

interface Entry {
  readonly frame: RequestFrame;
  readonly expect: ReplyFrame["type"];
  readonly backoff: Backoff;
  readonly timer: ReturnType<typeof setTimeout>;
  /** `notify: false` skips onSettled (the outcome came from the caller: see complete()). */
  readonly done: (outcome: ReplyFrame | SwitchboardError, notify: boolean) => void;
  id: number | undefined;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

export class PendingRequests {
  /** Insertion-ordered: after a reconnect, requests go out in the order the app made them. */
  private readonly entries = new Set<Entry>();

  constructor(
    private readonly sender: RequestSender,
    private readonly retry: BackoffOptions,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Sends `frame` (now or once connected) until it gets a `expect` reply. `onSettled` runs
   * synchronously with the reply, before the promise settles, so the caller can act on it in
   * frame order (the in-page echo of a publish).
   */
  add<T extends ReplyFrame["type"]>(
    frame: RequestFrame,
    expect: T,
    timeoutMs: number,
    onSettled?: (outcome: ReplyOf<T> | SwitchboardError) => void,
  ): Promise<ReplyOf<T>> {
    return new Promise<ReplyOf<T>>((resolve, reject) => {
      const entry: Entry = {
        frame,
        expect,
        backoff: new Backoff(this.retry),
        timer: setTimeout(
          () =>
            this.finish(
              entry,
              new SwitchboardError("TIMEOUT", `${frame.type} timed out after ${timeoutMs} ms`),
            ),
          timeoutMs,
        ),
        id: undefined,
        retryTimer: undefined,
        done: (outcome, notify) => {
          if (notify) onSettled?.(outcome as ReplyOf<T> | SwitchboardError);
          if (outcome instanceof SwitchboardError) reject(outcome);
          else resolve(outcome as ReplyOf<T>);
        },
      };
      this.entries.add(entry);
      this.trySend(entry);
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
   * Settles the matching requests with a reply learnt another way (a publish whose own copy came
   * back proves the append even if its `published` reply was lost). onSettled does not run: the
   * caller already knows, and may be in the middle of delivering publications.
   */
  complete(match: (frame: RequestFrame) => boolean, reply: ReplyFrame): void {
    for (const entry of [...this.entries])
      if (entry.expect === reply.type && match(entry.frame)) this.finish(entry, reply, false);
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
      },
    });
    if (sent instanceof SwitchboardError) this.finish(entry, sent);
    else entry.id = sent;
  }

  private finish(entry: Entry, outcome: ReplyFrame | SwitchboardError, notify = true): void {
    if (!this.entries.delete(entry)) return;
    clearTimeout(entry.timer);
    clearTimeout(entry.retryTimer);
    if (entry.id !== undefined) this.sender.forget(entry.id);
    entry.done(outcome, notify);
  }
}
