/**
 * What the app sees of one channel: publications once each and in offset order (OrderedStream),
 * with this client's own publishes shown at once as pending and later confirmed (LocalEcho).
 * The subscription decides *when* to deliver; this decides *what* is emitted.
 */
import type { Publication, StreamPosition } from "@switchboard/protocol";
import type { Emitter } from "../emitter.js";
import { SwitchboardError } from "../errors.js";
import { toMessage } from "../message.js";
import type { Message, SubscriptionEvents } from "../types.js";
import { LocalEcho } from "./local-echo.js";
import { OrderedStream } from "./ordered-stream.js";

export class Delivery {
  readonly stream = new OrderedStream();
  private readonly echo = new LocalEcho();

  constructor(
    private readonly channel: string,
    private readonly events: Emitter<SubscriptionEvents>,
    /** The hub's copy of an own publish was delivered: it proves the append at `position`. */
    private readonly ownCopy: (key: string, position: StreamPosition) => void,
  ) {}

  /**
   * Offers publications and emits whatever became deliverable, in order. `valid` is asked before
   * each emit: a listener may unsubscribe (or the client may close) in the middle.
   */
  deliver(publications: readonly Publication[], valid: () => boolean): void {
    const ready: Publication[] = [];
    for (const p of publications) ready.push(...this.stream.offer(p));
    ready.push(...this.stream.drain()); // held ones that a reset made contiguous
    for (const publication of ready) {
      if (!valid()) {
        // Not shown: the position must not claim it was, or a resumed subscription (close() in
        // a listener, then connect()) would recover from after it and skip it for good.
        const position = this.stream.position;
        if (position) this.stream.reset({ epoch: position.epoch, offset: publication.offset - 1 });
        return;
      }
      const epoch = this.stream.position?.epoch;
      const confirmed = this.echo.claim(this.channel, publication, epoch);
      if (!confirmed) {
        this.events.emit("publication", toMessage(this.channel, publication));
        continue;
      }
      // Before the event: a listener that closes the client must not turn a proven append into CLOSED.
      if (confirmed.key !== undefined && epoch !== undefined)
        this.ownCopy(confirmed.key, { epoch, offset: publication.offset });
      this.events.emit("confirmed", confirmed);
    }
  }

  /** Confirms own publishes the stream has passed (or, with `all`, every one the hub accepted). */
  settle(all: boolean): void {
    for (const message of this.echo.settle(this.stream.position, all)) this.events.emit("confirmed", message);
  }

  /** This client publishes to the channel: show it at once, pending. */
  localPublish(key: string, message: Message): void {
    this.echo.add(key, message);
    this.events.emit("publication", message);
  }

  /** The hub answered a publish of ours; `live` when the stream is current enough to settle now. */
  publishSettled(key: string, outcome: StreamPosition | SwitchboardError, live: boolean): void {
    if (outcome instanceof SwitchboardError) {
      const failed = this.echo.fail(key, outcome);
      if (failed) this.events.emit("failed", failed);
      return;
    }
    this.echo.resolved(key, outcome);
    if (live) this.settle(false);
  }
}
