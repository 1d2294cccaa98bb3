/**
 * Client-side gap fill for one subscription. The hub promises offsets without holes, but a
 * client that trusts that blindly shows a hole forever when it is broken (or when the network
 * path drops a frame): publications after a gap are held back (OrderedStream) and the missing
 * ones are read from history; when history cannot supply them, the subscription resubscribes
 * and the hub's `recovered` answer tells the app the truth.
 */
import type { Publication, StreamPosition } from "@switchboard/protocol";
import type { Backoff } from "../connection/backoff.js";
import { isRetryableCode, SwitchboardError } from "../errors.js";
import type { ReplyFrame, ReplyHandlers, RequestFrame } from "../requests/reply-tracker.js";
import type { OrderedStream } from "./ordered-stream.js";

export interface GapFillContext {
  readonly channel: string;
  readonly stream: OrderedStream;
  readonly retry: Backoff;
  readonly pageLimit: number;
  /** A history request unanswered this long is sent again (a lossy path may drop the reply). */
  readonly timeoutMs: number;
  request(frame: RequestFrame, handlers: ReplyHandlers): number | SwitchboardError | undefined;
  /** Whether the subscription is live (gap fill only makes sense then). */
  live(): boolean;
  deliver(publications: readonly Publication[]): void;
  /** Give up on the stream: unsubscribe + subscribe with `since`. */
  resubscribe(): void;
}

export class GapFiller {
  private generation = 0;
  private filling = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ctx: GapFillContext) {}

  /** Requests the missing publications, if any are missing and no request is in flight. */
  check(): void {
    const { ctx } = this;
    if (!ctx.live() || this.filling) return;
    const missing = ctx.stream.missing();
    const from = ctx.stream.position;
    if (missing === 0 || !from) return;
    const gen = this.generation;
    this.filling = true;
    const frame: RequestFrame = {
      type: "history",
      channel: ctx.channel,
      since: from,
      limit: Math.min(missing, ctx.pageLimit),
    };
    const sent = ctx.request(frame, {
      reply: (reply) => {
        if (gen !== this.generation) return;
        this.settled();
        this.onHistory(reply, from);
      },
      fail: (error) => {
        if (gen !== this.generation) return;
        this.settled();
        if (!isRetryableCode(error.code)) ctx.resubscribe();
        else this.timer = setTimeout(() => gen === this.generation && this.check(), ctx.retry.next());
      },
      lost: () => undefined, // the resubscribe after the reconnect recovers
    });
    if (sent instanceof SwitchboardError) {
      this.filling = false;
      ctx.resubscribe();
    } else if (sent === undefined) this.filling = false;
    // Without an answer nothing after the gap is ever delivered: ask again (a late reply of
    // this request is then ignored).
    else
      this.timer = setTimeout(() => {
        if (gen !== this.generation) return;
        this.reset();
        this.check();
      }, ctx.timeoutMs);
  }

  /** Forget in-flight work (disconnect, resubscribe, unsubscribe). */
  reset(): void {
    this.generation++;
    this.filling = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private settled(): void {
    this.filling = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onHistory(reply: ReplyFrame, from: StreamPosition): void {
    const { ctx } = this;
    // A different epoch means the history we were reading is gone: only a resubscribe can tell.
    if (reply.type !== "history" || reply.epoch !== from.epoch) {
      ctx.resubscribe();
      return;
    }
    // Not noteTop(reply.offset): newer publications are on their way live, and chasing a moving
    // top would cost a history request per gap under load.
    ctx.deliver(reply.publications);
    if (!ctx.live()) return;
    // No progress: history no longer reaches back (the hub answers an incomplete page with no
    // publications), so resubscribe → recovered: false → `lost`.
    if (ctx.stream.position?.offset === from.offset && ctx.stream.missing() > 0) ctx.resubscribe();
    else this.check();
  }
}
