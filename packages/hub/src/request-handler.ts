/**
 * Turns client frames into actions. Every failure of a request becomes an `error` reply with a
 * stable code; protocol violations close the connection with the documented close code.
 */
import {
  type ClientFrame,
  CloseCode,
  type ConnectFrame,
  type DecodedClientFrame,
  decodeClientMessage,
  ErrorCode,
  encodeFrame,
  endedFrame,
  type HistoryRequestFrame,
  occupancyFrame,
  type PresenceRequestFrame,
  type PublishFrame,
  type RefreshFrame,
  type SubscribeFrame,
  type UnsubscribeFrame,
  UnsubscribeReason,
} from "@switchboard/protocol";
import { AuthError, type Grant } from "./auth.js";
import type { ChannelOps } from "./channel-ops.js";
import type { NamespacePolicy } from "./config.js";
import type { HubContext } from "./hub-context.js";
import { PublishRates } from "./publish-rates.js";
import { RequestError, requestErrorOf } from "./request-error.js";
import { RequestIntake } from "./request-intake.js";
import type { Session } from "./session.js";
import { TokenClock } from "./token-clock.js";

export class RequestHandler {
  private readonly intake: RequestIntake;
  /** publishRatePerSecond per user (JWT sub; per IP for anonymous) across its connections. */
  private readonly publishRates: PublishRates;

  constructor(
    private readonly ctx: HubContext,
    private readonly ops: ChannelOps,
  ) {
    this.intake = new RequestIntake(ctx.limits, (session, result) => this.handleFrame(session, result));
    this.publishRates = new PublishRates(ctx.limits.publishRatePerSecond, ctx.limits.rateLimitStrikes);
  }

  /** Token deadlines of the sessions that have one (docs/protocol.md "Token lifetime"). */
  private readonly clocks = new WeakMap<Session, TokenClock>();

  /** The session's token clock, made when it first needs one (anonymous sessions never do). */
  private clockOf(session: Session): TokenClock {
    let clock = this.clocks.get(session);
    if (!clock) {
      clock = new TokenClock();
      this.clocks.set(session, clock);
    }
    return clock;
  }

  /** A session closed: its subscriptions end and its token timers stop. */
  closed(session: Session): void {
    for (const channel of session.subscriptions.channels()) this.leave(session, channel);
    this.clocks.get(session)?.stop();
  }

  /** Handles one WebSocket message (one or more NDJSON frames), in order, through the intake. */
  handleMessage(session: Session, text: string): void {
    session.lastSeen = Date.now();
    if (session.phase === "authenticating") return session.hold(text);
    this.intake.push(session, decodeClientMessage(text, { maxDepth: this.ctx.limits.maxDepth }));
  }

  /** One decoded frame; returns the request's promise when it started one (request-intake.ts). */
  private handleFrame(session: Session, result: DecodedClientFrame): Promise<void> | undefined {
    if (session.phase === "closed") return;
    if (!result.ok) {
      if (result.fatal) return void session.disconnect(CloseCode.PROTOCOL_VIOLATION, result.message);
      // Before connect, even an ignorable frame is "anything else first" (close 4000).
      if (session.phase === "connecting")
        return void session.disconnect(CloseCode.PROTOCOL_VIOLATION, result.message);
      if (result.ignore) return;
      this.replyError(session, result.id, ErrorCode.BAD_REQUEST, result.message);
      return;
    }
    if (session.isAuthenticating) {
      session.hold(JSON.stringify(result.frame));
      return;
    }
    const { frame } = result;
    if (session.phase === "open" && frame.type !== "pong") {
      const verdict = this.intake.takeRequest(session);
      if (verdict !== "allowed") {
        if ("id" in frame)
          this.replyError(
            session,
            frame.id,
            ErrorCode.RATE_LIMITED,
            `more than ${this.ctx.limits.requestRatePerSecond} requests per second`,
          );
        return;
      }
    }
    return this.dispatch(session, frame) ?? undefined;
  }

  private dispatch(session: Session, frame: ClientFrame): Promise<void> | undefined {
    if (session.phase === "connecting") {
      if (frame.type !== "connect")
        return void session.disconnect(CloseCode.PROTOCOL_VIOLATION, "the first frame must be connect");
      void this.connect(session, frame);
      return;
    }
    // The timer closes an expired connection; this catches a request racing it in the same turn.
    if (this.clocks.get(session)?.connectionExpired) return void this.tokenExpired(session);
    switch (frame.type) {
      case "ping":
        return void session.send({ type: "pong" });
      case "pong":
        return;
      case "connect":
        return void this.replyError(session, frame.id, ErrorCode.BAD_REQUEST, "already connected");
      case "publish":
        return this.run(session, frame.id, () => this.publish(session, frame));
      case "subscribe":
        return this.inOrder(session, frame, () => this.subscribe(session, frame));
      case "unsubscribe":
        return this.inOrder(session, frame, () => this.unsubscribe(session, frame));
      case "history":
        return this.run(session, frame.id, () => this.history(session, frame));
      case "presence":
        return this.run(session, frame.id, () => this.presence(session, frame));
      case "refresh":
        return this.run(session, frame.id, () => this.refresh(session, frame));
    }
  }

  private async connect(session: Session, frame: ConnectFrame): Promise<void> {
    session.startAuthenticating();
    let grant: Grant | undefined;
    try {
      grant = await this.ctx.auth.connect(frame.token);
    } catch (err) {
      const reason = err instanceof AuthError ? `unauthorized: ${err.message}` : "unauthorized";
      this.replyError(session, frame.id, ErrorCode.UNAUTHORIZED, reason);
      return session.disconnect(CloseCode.UNAUTHORIZED, reason);
    }
    if (session.isClosed) return;
    const backlog = session.open(grant?.identity ?? {}, frame.name);
    if (frame.presenceDiff) session.presenceDiff = true;
    session.send({
      type: "connected",
      id: frame.id,
      client: session.id,
      node: this.ctx.node,
      ping: this.ctx.limits.pingIntervalSeconds,
      limits: { maxFrameBytes: this.ctx.limits.maxFrameBytes },
      ...(grant ? { expires: TokenClock.secondsUntil(grant.expiresAt) } : {}),
    });
    if (grant) this.clockOf(session).setConnection(grant.expiresAt, () => this.tokenExpired(session));
    for (const text of backlog) this.handleMessage(session, text);
  }

  private tokenExpired(session: Session): void {
    session.disconnect(CloseCode.TOKEN_EXPIRED, "token expired");
  }

  /** Renews the connection token, or one subscription's channel token, without reconnecting. */
  private async refresh(session: Session, frame: RefreshFrame): Promise<void> {
    const clock = this.clockOf(session);
    const unauthorized = (err: unknown) =>
      new RequestError(ErrorCode.UNAUTHORIZED, err instanceof Error ? err.message : "invalid token");
    const { channel } = frame;
    if (channel === undefined) {
      let grant: Grant;
      try {
        grant = await this.ctx.auth.refresh(frame.token, session.identity);
      } catch (err) {
        throw unauthorized(err);
      }
      if (session.isClosed) return;
      // Same user (checked); the new token's channel grants replace the old ones.
      session.identity.channels = grant.identity.channels;
      clock.setConnection(grant.expiresAt, () => this.tokenExpired(session));
      session.send({ type: "refreshed", id: frame.id, expires: TokenClock.secondsUntil(grant.expiresAt) });
      return;
    }
    if (!clock.hasChannel(channel))
      throw new RequestError(ErrorCode.NOT_SUBSCRIBED, `no channel-token subscription to ${channel}`);
    let at: number;
    try {
      at = await this.ctx.auth.channelToken(frame.token, channel, session.identity);
    } catch (err) {
      throw unauthorized(err);
    }
    if (session.isClosed || !clock.hasChannel(channel)) return;
    clock.setChannel(channel, at, () => this.channelTokenExpired(session, channel));
    session.send({ type: "refreshed", id: frame.id, channel, expires: TokenClock.secondsUntil(at) });
  }

  /** A channel token ran out: that subscription ends; the client subscribes again with a fresh one. */
  private channelTokenExpired(session: Session, channel: string): void {
    if (session.subscriptions.get(channel)?.state !== "joined") return;
    this.ctx.channels.unsubscribe(session.id, channel);
    session.ended(channel, encodeFrame(endedFrame(channel, UnsubscribeReason.TOKEN_EXPIRED)));
  }

  /** Settles once the request is answered (reply or error queued); never rejects. */
  private run(session: Session, id: number, action: () => Promise<void> | void): Promise<void> | undefined {
    try {
      const pending = action();
      if (pending) return pending.catch((err: unknown) => this.fail(session, id, err));
    } catch (err) {
      this.fail(session, id, err);
    }
    return undefined;
  }

  /** Subscribe and unsubscribe of one channel take effect in arrival order (see Subscriptions). */
  private inOrder(
    session: Session,
    frame: SubscribeFrame | UnsubscribeFrame,
    action: () => Promise<void>,
  ): Promise<void> {
    return session.subscriptions
      .inOrder(frame.channel, action)
      .catch((err: unknown) => this.fail(session, frame.id, err));
  }

  private fail(session: Session, id: number, err: unknown): void {
    const failure = requestErrorOf(err);
    if (failure) return this.replyError(session, id, failure.code, failure.message);
    this.ctx.log.error({ err, client: session.id }, "request failed");
    this.replyError(session, id, ErrorCode.INTERNAL, "internal error");
  }

  private replyError(session: Session, id: number | undefined, code: ErrorCode, message: string): void {
    this.ctx.metrics.errors.inc({ code });
    session.send(id === undefined ? { type: "error", code, message } : { type: "error", id, code, message });
  }

  /** The namespace policy for a channel the session may use, or a RequestError. */
  private authorize(session: Session, channel: string): NamespacePolicy {
    const policy = this.ops.policy(channel);
    if (!this.ctx.auth.allowed(session.identity, channel))
      throw new RequestError(ErrorCode.PERMISSION_DENIED, `not allowed on channel ${channel}`);
    return policy;
  }

  private async publish(session: Session, frame: PublishFrame): Promise<void> {
    const policy = this.authorize(session, frame.channel);
    this.checkRate(session);
    const result = await this.ops.publish(policy, {
      channel: frame.channel,
      data: frame.data,
      info: session.info,
      key: frame.key,
    });
    session.send({
      type: "published",
      id: frame.id,
      channel: frame.channel,
      epoch: result.epoch,
      offset: result.offset,
    });
  }

  private checkRate(session: Session): void {
    const user = session.identity.user;
    const verdict = this.publishRates.take(
      user !== undefined ? `user:${user}` : `ip:${session.remoteAddress}`,
    );
    if (verdict === "allowed") return;
    // The publishes already under way still get their `published` before the close.
    if (verdict === "abused") this.intake.closeAfterPending(session);
    throw new RequestError(
      ErrorCode.RATE_LIMITED,
      `more than ${this.publishRates.perSecond} publishes per second`,
    );
  }

  private async subscribe(session: Session, frame: SubscribeFrame): Promise<void> {
    if (session.isClosed) return;
    const { channel } = frame;
    const subscriptions = session.subscriptions;
    let policy: NamespacePolicy;
    let tokenExpiresAt: number | undefined;
    if (frame.token !== undefined) {
      policy = this.ops.policy(channel);
      try {
        tokenExpiresAt = await this.ctx.auth.channelToken(frame.token, channel, session.identity);
      } catch (err) {
        throw new RequestError(ErrorCode.UNAUTHORIZED, err instanceof Error ? err.message : "invalid token");
      }
    } else policy = this.authorize(session, channel);
    const rewind = frame.since === undefined ? frame.rewind : undefined;
    if (rewind !== undefined && rewind > policy.history.size)
      throw new RequestError(
        ErrorCode.BAD_REQUEST,
        `rewind: at most the namespace's history size (${policy.history.size})`,
      );
    if (subscriptions.get(channel))
      throw new RequestError(ErrorCode.ALREADY_SUBSCRIBED, `already subscribed to ${channel}`);
    if (subscriptions.size >= this.ctx.limits.maxSubscriptions)
      throw new RequestError(
        ErrorCode.LIMIT_EXCEEDED,
        `at most ${this.ctx.limits.maxSubscriptions} subscriptions`,
      );
    const joining = this.ctx.channels.subscribe(
      session,
      channel,
      { since: frame.since, rewind },
      policy.history,
      policy.joinLeave && session.presenceDiff ? { countable: policy.presence } : undefined,
    );
    const slot = subscriptions.startJoining(channel, joining);
    let body: Awaited<typeof joining>;
    try {
      body = await joining;
    } catch (err) {
      if (subscriptions.isCurrent(channel, slot)) subscriptions.remove(channel);
      throw err;
    }
    if (session.isClosed || !subscriptions.isCurrent(channel, slot)) {
      this.ctx.channels.unsubscribe(session.id, channel);
      return;
    }
    const endedMeanwhile = subscriptions.markJoined(channel, slot);
    this.ctx.metrics.subscriptions.inc();
    session.send({ type: "subscribed", id: frame.id, ...body });
    if (tokenExpiresAt === undefined) this.clocks.get(session)?.clearChannel(channel);
    else
      this.clockOf(session).setChannel(channel, tokenExpiresAt, () =>
        this.channelTokenExpired(session, channel),
      );
    this.ops.entered(policy, channel, session.info);
    // The stream reset while joining: end it now that the reply is out.
    if (endedMeanwhile !== undefined) session.ended(channel, endedMeanwhile);
  }

  private async unsubscribe(session: Session, frame: UnsubscribeFrame): Promise<void> {
    // A subscribe of this channel that arrived first has finished (inOrder): the slot is joined or gone.
    if (session.subscriptions.get(frame.channel)?.state !== "joined")
      throw new RequestError(ErrorCode.NOT_SUBSCRIBED, `not subscribed to ${frame.channel}`);
    this.leave(session, frame.channel);
    session.send({ type: "unsubscribed", id: frame.id, channel: frame.channel });
  }

  /** Drops one subscription of a session (unsubscribe or disconnect). */
  leave(session: Session, channel: string): void {
    this.clocks.get(session)?.clearChannel(channel);
    const subscriptions = session.subscriptions;
    if (subscriptions.get(channel)?.state !== "joined") return void subscriptions.remove(channel);
    // The stream first, while the session still counts this subscription: the run it hands out
    // on leaving must be merged with the session's other channels' runs, not written ahead of them.
    this.ctx.channels.unsubscribe(session.id, channel);
    // That run may have closed the session (slow consumer), which left the channel already.
    if (subscriptions.remove(channel)?.state !== "joined") return;
    this.ctx.metrics.subscriptions.dec();
    this.announceLeave(session, channel);
  }

  /** Presence and join/leave after a subscription ended (unsubscribe, disconnect or stream reset). */
  readonly announceLeave = (session: Session, channel: string): void => {
    this.ops.left(channel, session.info);
  };

  private async history(session: Session, frame: HistoryRequestFrame): Promise<void> {
    const policy = this.authorize(session, frame.channel);
    const page = await this.ops.history(policy, frame.channel, frame.since, frame.limit);
    session.send({ type: "history", id: frame.id, channel: frame.channel, ...page });
  }

  private async presence(session: Session, frame: PresenceRequestFrame): Promise<void> {
    const policy = this.authorize(session, frame.channel);
    // Members' user ids are for the channel's subscribers (docs/protocol.md); the HTTP API may ask.
    if (policy.presence && session.subscriptions.get(frame.channel)?.state !== "joined")
      throw new RequestError(
        ErrorCode.PERMISSION_DENIED,
        `subscribe to ${frame.channel} to see its presence`,
      );
    if (frame.count) {
      const count = await this.ops.presenceCount(policy, frame.channel);
      return session.send(occupancyFrame(frame.channel, count, frame.id));
    }
    const clients = await this.ops.presence(policy, frame.channel);
    session.send({ type: "presence", id: frame.id, channel: frame.channel, clients });
  }
}
