/**
 * One riding client's session on the holding tab's relay: the hub's side of the wire protocol
 * (docs/protocol.md), spoken over the tab link instead of a WebSocket. The riding tab runs the
 * ordinary client, so its reconnects, `since` resubscribes, key-reusing publish retries and
 * offset dedupe are the same code that survives hub restarts.
 */
import {
  type ClientFrame,
  decodeClientMessage,
  type ErrorCode,
  encodeFrame,
  type HistoryRequestFrame,
  type HubFrame,
  type PresenceRequestFrame,
  type PublishFrame,
  type SubscribeFrame,
} from "@switchboard/protocol";
import { SwitchboardError } from "../errors.js";
import type { RelaySessionLike } from "./relay-channel.js";

/** The transport of one session: to a socket in this tab, or over the BroadcastChannel. */
export interface RelayLink {
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** What a session asks of its relay. */
export interface RelayOps {
  /** The upstream connection is up; its hub-assigned id and node. */
  readonly upstream: { connected: boolean; clientId: string | undefined; node: string | undefined };
  /** A session asks to connect while the upstream is down: try the hub again if it had stopped. */
  wake(): void;
  subscribe(session: RelaySession, frame: SubscribeFrame): void;
  unsubscribe(session: RelaySession, channel: string): void;
  publish(session: RelaySession, frame: PublishFrame): void;
  history(session: RelaySession, frame: HistoryRequestFrame): void;
  presence(session: RelaySession, frame: PresenceRequestFrame): void;
  /** The session ended (either side). */
  detach(session: RelaySession): void;
}

/**
 * Far above any hub's limit: the session's client must not refuse frames locally by a guess;
 * the upstream client checks them against the hub's real `maxFrameBytes` (LIMIT_EXCEEDED).
 */
const LINK_FRAME_LIMIT = 2 ** 30;

export class RelaySession implements RelaySessionLike {
  private connectId: number | undefined;
  private connected = false;
  private ended = false;

  constructor(
    private readonly relay: RelayOps,
    private readonly link: RelayLink,
  ) {}

  get open(): boolean {
    return !this.ended;
  }

  receive(text: string): void {
    for (const result of decodeClientMessage(text)) {
      if (this.ended) return;
      if (result.ok) {
        this.handle(result.frame);
        continue;
      }
      if (result.fatal) {
        this.end(4000, result.message, false);
        return;
      }
      if (result.id !== undefined && !result.ignore)
        this.fail(result.id, new SwitchboardError("BAD_REQUEST", result.message));
    }
  }

  /** The relay's upstream connection is (again) up: answer a waiting `connect`. */
  upstreamConnected(): void {
    if (this.connectId !== undefined && !this.connected) this.acceptConnect(this.connectId);
  }

  send(frame: HubFrame): void {
    if (!this.ended) this.link.send(encodeFrame(frame));
  }

  fail(id: number, error: SwitchboardError): void {
    // Client codes (TIMEOUT, CLOSED, …) pass through too: the riding app sees what the holder saw.
    this.send({ type: "error", id, code: error.code as ErrorCode, message: error.message });
  }

  /** Ends the session from the relay's side: a `disconnect` frame, then the link closes. */
  end(code: number, reason: string, reconnect: boolean): void {
    if (this.ended) return;
    this.send({ type: "disconnect", code, reason, reconnect });
    this.ended = true;
    this.relay.detach(this);
    this.link.close(code, reason);
  }

  /** The link closed from the riding side (its client closed, or its tab went away). */
  linkClosed(): void {
    if (this.ended) return;
    this.ended = true;
    this.relay.detach(this);
  }

  private handle(frame: ClientFrame): void {
    switch (frame.type) {
      case "connect":
        this.connectId = frame.id;
        if (this.relay.upstream.connected) this.acceptConnect(frame.id);
        else this.relay.wake();
        return;
      case "ping":
        this.send({ type: "pong" });
        return;
      case "pong":
        return;
    }
    if (!this.connected) {
      this.end(4000, "connect must be the first frame", false);
      return;
    }
    switch (frame.type) {
      case "subscribe":
        this.relay.subscribe(this, frame);
        return;
      case "unsubscribe":
        this.relay.unsubscribe(this, frame.channel);
        this.send({ type: "unsubscribed", id: frame.id, channel: frame.channel });
        return;
      case "publish":
        this.relay.publish(this, frame);
        return;
      case "history":
        this.relay.history(this, frame);
        return;
      case "presence":
        this.relay.presence(this, frame);
    }
  }

  private acceptConnect(id: number): void {
    const { clientId, node } = this.relay.upstream;
    this.connected = true;
    // ping 0: no hub-style heartbeat on the link — the riders watch the holding tab themselves
    // (TabCoordinator), from event handlers, so a hidden holder's throttled timers cannot kill it.
    this.send({
      type: "connected",
      id,
      client: clientId ?? "",
      node: node ?? "",
      ping: 0,
      limits: { maxFrameBytes: LINK_FRAME_LIMIT },
    });
  }
}
