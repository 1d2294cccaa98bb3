/**
 * The real SQLite broker with two test hooks on its event stream: events can be held back and
 * handed to the hub all at once (as a pub/sub message delayed on the wire would be), and the
 * event a lost history produces can be injected. Nothing about the engine is faked.
 */
import type { BrokerEvent, BrokerEventHandler } from "../src/brokers/broker.js";
import { SqliteBroker } from "../src/brokers/sqlite/sqlite-broker.js";

/** The SQLite broker, whose events can be held back and then handed to the hub all at once. */
export class GatedBroker extends SqliteBroker {
  private held: BrokerEvent[] | undefined;
  private handler: BrokerEventHandler | undefined;

  override start(onEvent: BrokerEventHandler): Promise<void> {
    this.handler = onEvent;
    return super.start((event) => {
      if (this.held) this.held.push(event);
      else onEvent(event);
    });
  }

  hold(): void {
    this.held = [];
  }

  get heldCount(): number {
    return this.held?.length ?? 0;
  }

  release(): void {
    const events = this.held ?? [];
    this.held = undefined;
    for (const event of events) this.handler?.(event);
  }

  /** What a node sees when the channel's history was lost: a publication of a new epoch. */
  loseHistory(channel: string): void {
    this.handler?.({
      type: "pub",
      channel,
      epoch: "new-epoch",
      publication: { offset: 1, data: null, time: Date.now() },
    });
  }
}
