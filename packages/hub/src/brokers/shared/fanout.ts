/**
 * The live fan-out protocol of the scale-out brokers, written once (the socket.io cluster-adapter
 * split: the protocol lives here, each engine supplies only a transport). Every channel has one
 * engine topic; a node listens to the topics of the channels it subscribed to and turns each
 * message on them into a BrokerEvent. Messages are the JSON text of a FanoutMessage; the Redis
 * append script builds the `pub` text itself (redis/redis-scripts.ts), byte for byte like
 * encodeFanoutPub.
 */
import type { ClientInfo, Publication } from "@switchboard/protocol";
import type { BrokerEvent } from "../broker.js";
import { bodyToPublication, isRecord } from "./publication-body.js";

export type FanoutMessage =
  | { type: "pub"; epoch: string; publication: Publication }
  | { type: "join" | "leave"; info: ClientInfo };

/** `body` is the stored publication body JSON (publication-body.ts), embedded as is. */
export function encodeFanoutPub(epoch: string, offset: number, body: string): string {
  return `{"type":"pub","epoch":${JSON.stringify(epoch)},"offset":${offset},"body":${body}}`;
}

export function encodeFanoutPresence(type: "join" | "leave", info: ClientInfo): string {
  return JSON.stringify({ type, info });
}

/** Null for anything malformed: a foreign message on our topic must not crash the node. */
export function decodeFanout(text: string): FanoutMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(m)) return null;
  if (m.type === "pub" && typeof m.epoch === "string" && typeof m.offset === "number") {
    const publication = bodyToPublication(m.offset, m.body);
    return publication ? { type: "pub", epoch: m.epoch, publication } : null;
  }
  if ((m.type === "join" || m.type === "leave") && isRecord(m.info) && typeof m.info.client === "string") {
    return { type: m.type, info: m.info as unknown as ClientInfo };
  }
  return null;
}

/** What an engine provides for fan-out. Failures are already mapped (BrokerUnavailableError). */
export interface FanoutTransport {
  /**
   * Starts routing `topic` to this node, resolving once the engine has the interest. Must register
   * the interest synchronously (before its first await), so calls stay in call order.
   */
  listen(topic: string): Promise<void>;
  /** Stops routing `topic` here. Never rejects: a lost connection has dropped the interest anyway. */
  unlisten(topic: string): Promise<void>;
  /** Sends `text` to every node listening to `topic`. */
  send(topic: string, text: string): Promise<void>;
}

export class Fanout {
  /** Switchboard channel → its listen in progress or done; also the set to listen to again. */
  readonly #channels = new Map<string, Promise<void>>();
  /** Engine topic → Switchboard channel. */
  readonly #byTopic = new Map<string, string>();

  constructor(
    private readonly transport: FanoutTransport,
    /** The channel's engine topic; must be one-to-one. */
    private readonly topicOf: (channel: string) => string,
    private readonly emit: (event: BrokerEvent) => void,
  ) {}

  /** Idempotent: a second call shares the first one's listen. */
  subscribe(channel: string): Promise<void> {
    const pending = this.#channels.get(channel);
    if (pending) return pending;
    const topic = this.topicOf(channel);
    this.#byTopic.set(topic, channel);
    let listening: Promise<void>;
    try {
      listening = this.transport.listen(topic);
    } catch (error) {
      listening = Promise.reject(error);
    }
    const subscribing = listening.catch(async (error: unknown) => {
      // Only undo what is still ours: an unsubscribe + subscribe meanwhile owns the topic now.
      if (this.#channels.get(channel) === subscribing) {
        this.#forget(channel, topic);
        await this.transport.unlisten(topic);
      }
      throw error;
    });
    this.#channels.set(channel, subscribing);
    return subscribing;
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.#channels.has(channel)) return;
    const topic = this.topicOf(channel);
    this.#forget(channel, topic);
    await this.transport.unlisten(topic);
  }

  announce(event: { type: "join" | "leave"; channel: string; info: ClientInfo }): Promise<void> {
    return this.transport.send(this.topicOf(event.channel), encodeFanoutPresence(event.type, event.info));
  }

  /** For engines that announce an append after it (NATS); `body` as stored. */
  publish(channel: string, epoch: string, offset: number, body: string): Promise<void> {
    return this.transport.send(this.topicOf(channel), encodeFanoutPub(epoch, offset, body));
  }

  /** The engine calls this for every message that arrives on a topic. */
  receive(topic: string, text: string): void {
    const channel = this.#byTopic.get(topic);
    if (channel === undefined) return;
    const m = decodeFanout(text);
    if (!m) return;
    if (m.type === "pub") this.emit({ type: "pub", channel, epoch: m.epoch, publication: m.publication });
    else this.emit({ type: m.type, channel, info: m.info });
  }

  /** Topics this node wants, for an engine that must listen again after a reconnect. */
  topics(): string[] {
    return [...this.#byTopic.keys()];
  }

  /** After the engine lost (and restored) its live stream: the hub re-checks every channel. */
  resync(): void {
    this.emit({ type: "resync" });
  }

  clear(): void {
    this.#channels.clear();
    this.#byTopic.clear();
  }

  #forget(channel: string, topic: string): void {
    this.#channels.delete(channel);
    this.#byTopic.delete(topic);
  }
}
