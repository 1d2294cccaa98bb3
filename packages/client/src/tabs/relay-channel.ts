/**
 * One channel of the holding tab's relay: ONE hub subscription (the upstream client's, which
 * already resubscribes with `since`, fills gaps and delivers each publication once, in order)
 * fanned out to every riding session subscribed to the channel. A session's own `subscribe`
 * (with `since` after a handover, or `rewind`) is answered the way the hub would answer it: the
 * publications after its position up to the relay's position, from a window of recent ones kept
 * here or else from the hub's history — or `recovered: false`, never a partial stream.
 */
import type {
  ClientInfo,
  HubFrame,
  Publication,
  StreamPosition,
  SubscribedFrame,
  SubscribeFrame,
} from "@switchboard/protocol";
import type { Client, Subscription } from "../api.js";
import type { Unsubscribe } from "../emitter.js";
import { SwitchboardError } from "../errors.js";
import type { Message } from "../types.js";

/** What a channel needs of a riding session. */
export interface RelaySessionLike {
  send(frame: HubFrame): void;
  /** An `error` reply to request `id`. */
  fail(id: number, error: SwitchboardError): void;
}

export interface RelayChannelLimits {
  /** Recent publications kept to answer a session's `since` / `rewind` without a history request. */
  readonly replayWindow: number;
  /** History page size when the window does not reach back far enough. */
  readonly historyPageLimit: number;
}

interface Member {
  readonly session: RelaySessionLike;
  /** The `subscribed` reply was sent: live publications go out directly; before that they wait. */
  ready: boolean;
  readonly queue: Publication[];
}

export class RelayChannel {
  private readonly members = new Map<RelaySessionLike, Member>();
  /** Subscribes waiting for the upstream subscription to be live. */
  private waiting: Array<{ session: RelaySessionLike; frame: SubscribeFrame }> = [];
  /** The last publications, contiguous, ending at `top`. */
  private window: Publication[] = [];
  private epoch: string | undefined;
  private top = 0;
  private readonly sub: Subscription;
  private readonly offs: Unsubscribe[];
  private disposed = false;

  constructor(
    readonly channel: string,
    upstream: Client,
    token: string | undefined,
    private readonly history: Client["history"],
    private readonly limits: RelayChannelLimits,
    /** Nobody is subscribed any more (the relay drops the channel). */
    private readonly onEmpty: (channel: RelayChannel) => void,
  ) {
    this.sub = upstream.subscribe(channel, token === undefined ? {} : { token });
    this.offs = [
      this.sub.on("subscribed", (e) => this.onSubscribed(e.epoch, e.recovered)),
      this.sub.on("publication", (m) => {
        if (!m.pending) this.forward(m);
      }),
      // The upstream's own publishes (the sessions' ones it relays) come back as `confirmed`.
      this.sub.on("confirmed", (m) => this.forward(m)),
      this.sub.on("join", (info) => this.presenceEvent("join", info)),
      this.sub.on("leave", (info) => this.presenceEvent("leave", info)),
      this.sub.on("occupancy", ({ count }) => {
        for (const m of this.members.values())
          if (m.ready) m.session.send({ type: "occupancy", channel: this.channel, count });
      }),
      this.sub.on("error", (error) => this.onRefused(error)),
      this.sub.on("unsubscribed", ({ reason }) => {
        for (const m of this.members.values()) m.session.send({ type: "unsubscribed", channel, reason });
        this.members.clear();
        this.dispose();
      }),
    ];
  }

  /** A session's `subscribe`. */
  add(session: RelaySessionLike, frame: SubscribeFrame): void {
    if (this.members.has(session) || this.waiting.some((w) => w.session === session)) {
      session.fail(
        frame.id,
        new SwitchboardError("ALREADY_SUBSCRIBED", `already subscribed to ${this.channel}`),
      );
      return;
    }
    if (this.sub.state === "subscribed" && this.epoch !== undefined) this.serve(session, frame);
    else this.waiting.push({ session, frame });
  }

  /** A session's `unsubscribe`, or the session ended. */
  remove(session: RelaySessionLike): void {
    this.members.delete(session);
    this.waiting = this.waiting.filter((w) => w.session !== session);
    if (this.members.size === 0 && this.waiting.length === 0) this.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const off of this.offs) off();
    this.sub.unsubscribe();
    this.onEmpty(this);
  }

  // ---- upstream events --------------------------------------------------------------------

  private onSubscribed(epoch: string, recovered: boolean): void {
    const position = this.sub.position;
    // Recovered: the missed publications follow as ordinary ones and continue the stream.
    if (!(recovered && epoch === this.epoch) && position) {
      const hadMembers = this.members.size > 0;
      this.reset(position);
      // Their streams cannot continue from ours: they resubscribe with `since` and learn the truth.
      if (hadMembers) {
        for (const m of this.members.values())
          m.session.send({
            type: "unsubscribed",
            channel: this.channel,
            reason: "insufficient_state",
            resubscribe: true,
          });
        this.members.clear();
      }
    }
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) this.serve(w.session, w.frame);
  }

  private reset(position: StreamPosition): void {
    this.epoch = position.epoch;
    this.top = position.offset;
    this.window = [];
  }

  private forward(message: Message): void {
    if (message.offset === undefined || message.offset <= this.top) return;
    const publication = toPublication(message);
    this.top = message.offset;
    this.window.push(publication);
    if (this.window.length > this.limits.replayWindow) this.window.shift();
    for (const m of this.members.values()) {
      if (m.ready) m.session.send({ type: "pub", channel: this.channel, ...publication });
      else m.queue.push(publication);
    }
  }

  private presenceEvent(type: "join" | "leave", info: ClientInfo): void {
    for (const m of this.members.values()) if (m.ready) m.session.send({ type, channel: this.channel, info });
  }

  private onRefused(error: SwitchboardError): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.session.fail(w.frame.id, error);
    if (this.members.size === 0) this.dispose();
  }

  // ---- answering a session's subscribe ----------------------------------------------------

  private serve(session: RelaySessionLike, frame: SubscribeFrame): void {
    const epoch = this.epoch as string;
    const top = this.top;
    const member: Member = { session, ready: false, queue: [] };
    this.members.set(session, member);
    const reply = (recovered: boolean, publications: Publication[]): void => {
      if (this.members.get(session) !== member) return; // unsubscribed or ended meanwhile
      if (this.epoch !== epoch) {
        // The stream was reset while we read: answer against the new one.
        this.members.delete(session);
        this.serve(session, frame);
        return;
      }
      const subscribed: SubscribedFrame = {
        type: "subscribed",
        id: frame.id,
        channel: this.channel,
        epoch,
        offset: top,
        recovered,
        publications,
      };
      session.send(subscribed);
      member.ready = true;
      for (const p of member.queue.splice(0))
        if (p.offset > top) session.send({ type: "pub", channel: this.channel, ...p });
    };
    const fail = (error: unknown): void => {
      if (this.members.get(session) !== member) return;
      this.members.delete(session);
      const e = error instanceof SwitchboardError ? error : new SwitchboardError("INTERNAL", String(error));
      session.fail(frame.id, e);
    };
    const { since, rewind } = frame;
    if (since) {
      if (since.epoch !== epoch || since.offset > top) reply(false, []);
      else this.read(epoch, since.offset, top).then((p) => reply(p !== undefined, p ?? []), fail);
    } else if (rewind !== undefined) {
      // Fewer than asked when the hub's history does not reach back: what the window holds.
      this.read(epoch, Math.max(0, top - rewind), top).then(
        (p) => reply(false, p ?? this.window.filter((w) => w.offset <= top).slice(-rewind)),
        fail,
      );
    } else reply(false, []);
  }

  /** Publications in (from, to] of `epoch`, contiguous, or undefined when history cannot supply them. */
  private async read(epoch: string, from: number, to: number): Promise<Publication[] | undefined> {
    if (from >= to) return [];
    const first = this.window[0];
    if (first && first.offset <= from + 1)
      return this.window.filter((p) => p.offset > from && p.offset <= to);
    const out: Publication[] = [];
    let cursor = from;
    while (cursor < to) {
      const page = await this.history(this.channel, {
        since: { epoch, offset: cursor },
        limit: Math.min(to - cursor, this.limits.historyPageLimit),
      });
      if (page.epoch !== epoch) return undefined;
      const got = page.publications.filter((m) => m.offset !== undefined && m.offset <= to);
      if (got.length === 0 || got[0]?.offset !== cursor + 1) return undefined;
      for (const m of got) out.push(toPublication(m));
      cursor = got[got.length - 1]?.offset ?? to;
    }
    return out;
  }
}

function toPublication(message: Message): Publication {
  const p: Publication = { offset: message.offset ?? 0, data: message.data, time: message.time };
  if (message.info !== undefined) p.info = message.info;
  if (message.key !== undefined) p.key = message.key;
  return p;
}
