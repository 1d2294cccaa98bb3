/**
 * The holding tab's relay: the one hub connection of the browser (an ordinary client, the
 * "upstream") shared by every session of every tab of the group — this tab's own client included.
 * Each channel is subscribed once upstream (RelayChannel); publishes go out under the session's
 * idempotency key, so a publish re-sent after a handover is deduplicated by the hub.
 */
import type {
  HistoryRequestFrame,
  PresenceRequestFrame,
  Publication,
  PublishFrame,
  SubscribeFrame,
} from "@switchboard/protocol";
import type { Client } from "../api.js";
import { SwitchboardError } from "../errors.js";
import type { PublishResult, StateEvent } from "../types.js";
import { RelayChannel, type RelayChannelLimits } from "./relay-channel.js";
import { type RelayLink, type RelayOps, RelaySession } from "./relay-session.js";

/** Close code for sessions whose relay went away or lost the hub: reconnect (to the new holder). */
const RELAY_GONE = 4100;

export class TabRelay implements RelayOps {
  private readonly sessions = new Set<RelaySession>();
  private readonly channels = new Map<string, RelayChannel>();
  private readonly memberships = new Map<RelaySession, Set<string>>();
  /** Publishes in flight upstream by channel + key: a retry through another session joins the first. */
  private readonly inflight = new Map<string, Promise<PublishResult>>();
  private wasConnected = false;
  private closed = false;
  private readonly offState: () => void;

  constructor(
    private readonly client: Client,
    private readonly limits: RelayChannelLimits,
  ) {
    this.wasConnected = client.state === "connected";
    this.offState = client.on("state", (e) => this.onState(e));
  }

  get upstream(): RelayOps["upstream"] {
    return {
      connected: this.client.state === "connected",
      clientId: this.client.clientId,
      node: this.client.node,
    };
  }

  /**
   * The upstream stops for good when the hub refuses it (4001, reconnect: false) and ends every
   * session with that verdict; a riding app's connect() after it (a fresh token) must reach the hub.
   */
  wake(): void {
    if (!this.closed && this.client.state === "disconnected") this.client.connect();
  }

  /** A new session over `link` (its first frame must be `connect`). */
  attach(link: RelayLink): RelaySession {
    const session = new RelaySession(this, link);
    if (this.closed) {
      link.close(RELAY_GONE, "this tab no longer holds the connection");
      return session;
    }
    this.sessions.add(session);
    return session;
  }

  /** Ends every session (their clients reconnect to the next holder), then the hub connection. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.offState();
    for (const s of [...this.sessions]) s.end(RELAY_GONE, reason, true);
    this.client.close();
  }

  subscribe(session: RelaySession, frame: SubscribeFrame): void {
    let channel = this.channels.get(frame.channel);
    if (!channel) {
      channel = new RelayChannel(
        frame.channel,
        this.client,
        frame.token,
        (name, options) => this.client.history(name, options),
        this.limits,
        (ended) => {
          if (this.channels.get(ended.channel) === ended) this.channels.delete(ended.channel);
          for (const set of this.memberships.values()) set.delete(ended.channel);
        },
      );
      this.channels.set(frame.channel, channel);
    }
    const set = this.memberships.get(session) ?? new Set<string>();
    this.memberships.set(session, set);
    set.add(frame.channel);
    channel.add(session, frame);
  }

  unsubscribe(session: RelaySession, channel: string): void {
    this.memberships.get(session)?.delete(channel);
    this.channels.get(channel)?.remove(session);
  }

  publish(session: RelaySession, frame: PublishFrame): void {
    const slot = frame.key === undefined ? undefined : `${frame.channel}\n${frame.key}`;
    let pending = slot === undefined ? undefined : this.inflight.get(slot);
    if (!pending) {
      const started = this.client.publish(
        frame.channel,
        frame.data,
        frame.key === undefined ? {} : { key: frame.key },
      );
      pending = started;
      if (slot !== undefined) {
        this.inflight.set(slot, started);
        const drop = (): void => {
          if (this.inflight.get(slot) === started) this.inflight.delete(slot);
        };
        started.then(drop, drop);
      }
    }
    pending.then(
      (position) => session.send({ type: "published", id: frame.id, channel: frame.channel, ...position }),
      (error: unknown) => session.fail(frame.id, asError(error)),
    );
  }

  history(session: RelaySession, frame: HistoryRequestFrame): void {
    const options: Parameters<Client["history"]>[1] = {};
    if (frame.since) options.since = frame.since;
    if (frame.limit !== undefined) options.limit = frame.limit;
    this.client.history(frame.channel, options).then(
      (page) =>
        session.send({
          type: "history",
          id: frame.id,
          channel: frame.channel,
          epoch: page.epoch,
          offset: page.offset,
          publications: page.publications.map(
            (m): Publication => ({
              offset: m.offset ?? 0,
              data: m.data,
              time: m.time,
              ...(m.info ? { info: m.info } : {}),
              ...(m.key !== undefined ? { key: m.key } : {}),
            }),
          ),
        }),
      (error: unknown) => session.fail(frame.id, asError(error)),
    );
  }

  presence(session: RelaySession, frame: PresenceRequestFrame): void {
    if (frame.count) {
      this.client.presenceCount(frame.channel).then(
        (count) => session.send({ type: "occupancy", id: frame.id, channel: frame.channel, count }),
        (error: unknown) => session.fail(frame.id, asError(error)),
      );
      return;
    }
    this.client.presence(frame.channel).then(
      (clients) => session.send({ type: "presence", id: frame.id, channel: frame.channel, clients }),
      (error: unknown) => session.fail(frame.id, asError(error)),
    );
  }

  detach(session: RelaySession): void {
    this.sessions.delete(session);
    const channels = this.memberships.get(session);
    this.memberships.delete(session);
    for (const name of channels ?? []) this.channels.get(name)?.remove(session);
  }

  private onState(event: StateEvent): void {
    if (event.state === "connected") {
      this.wasConnected = true;
      for (const s of [...this.sessions]) s.upstreamConnected();
      return;
    }
    // A hub that refused us for good stops them too — also before the upstream was ever up, or
    // the riders would wait in "connecting" and never hear the hub's verdict.
    const reconnect = event.state === "connecting";
    if (!this.wasConnected && reconnect) return;
    this.wasConnected = false;
    // The sessions follow the hub connection: down together, and back (resubscribing with
    // `since`) when the upstream is.
    const reason = `the holding tab's hub connection ended: ${event.reason ?? "closed"}`;
    for (const s of [...this.sessions]) s.end(event.code ?? RELAY_GONE, reason, reconnect);
  }
}

function asError(error: unknown): SwitchboardError {
  return error instanceof SwitchboardError ? error : new SwitchboardError("INTERNAL", String(error));
}
