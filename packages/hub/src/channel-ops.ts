/**
 * What a channel request does, whichever transport carried it: the namespace policy (or
 * UNKNOWN_NAMESPACE), the payload limit, the append, history pages, presence lists and the
 * presence / join / leave that follow a subscription. The
 * WebSocket request handler and the HTTP API both go through here, so the rules exist once;
 * each transport only checks who asks (connection permissions, API key) and shapes the answer.
 */
import {
  type ClientInfo,
  ErrorCode,
  exceedsDepth,
  type Json,
  namespaceOf,
  type Publication,
  type StreamPosition,
} from "@switchboard/protocol";
import type { AppendResult } from "./brokers/broker.js";
import { type NamespacePolicy, namespacePolicy } from "./config.js";
import type { HubContext } from "./hub-context.js";
import { RequestError } from "./request-error.js";

/** `limit` of a history request that names none (docs/protocol.md). */
export const DEFAULT_HISTORY_LIMIT = 100;

export interface PublishRequest {
  channel: string;
  data: Json;
  info: ClientInfo;
  key?: string | undefined;
}

export interface HistoryPage extends StreamPosition {
  /** Empty when `since` could not be honoured: a page is never partial at its start. */
  publications: Publication[];
}

export class ChannelOps {
  /** Presence entries whose write failed, written again at the next refresh (presence-refresh.ts). */
  private readonly failedAdds = new Map<string, { channel: string; info: ClientInfo }>();

  constructor(private readonly ctx: HubContext) {}

  /** The policy of the channel's namespace, or undefined when the config does not define it. */
  find(channel: string): NamespacePolicy | undefined {
    return namespacePolicy(this.ctx.config, namespaceOf(channel));
  }

  /** The policy of the channel's namespace, or UNKNOWN_NAMESPACE. */
  policy(channel: string): NamespacePolicy {
    const policy = this.find(channel);
    if (!policy)
      throw new RequestError(
        ErrorCode.UNKNOWN_NAMESPACE,
        `namespace "${namespaceOf(channel)}" is not configured`,
      );
    return policy;
  }

  /**
   * BAD_REQUEST when `data` nests deeper than limits.maxDepth (WebSocket frames are refused
   * earlier, in validation; HTTP bodies here); LIMIT_EXCEEDED when serialized `data` is larger
   * than the namespace allows.
   */
  checkPayload(policy: NamespacePolicy, data: Json): void {
    const { maxDepth } = this.ctx.limits;
    if (exceedsDepth(data, maxDepth))
      throw new RequestError(ErrorCode.BAD_REQUEST, `data: nested deeper than ${maxDepth} levels`);
    if (policy.maxPayloadBytes === undefined) return;
    const size = Buffer.byteLength(JSON.stringify(data));
    if (size > policy.maxPayloadBytes)
      throw new RequestError(
        ErrorCode.LIMIT_EXCEEDED,
        `data: ${size} bytes exceeds ${policy.maxPayloadBytes}`,
      );
  }

  /** The durable append (payload already checked), counted in the metrics. */
  async append(policy: NamespacePolicy, request: PublishRequest): Promise<AppendResult> {
    const started = performance.now();
    const result = await this.ctx.broker.append({
      channel: request.channel,
      data: request.data,
      info: request.info,
      ...(request.key !== undefined ? { key: request.key } : {}),
      history: policy.history,
      dedupeSeconds: this.ctx.limits.dedupeSeconds,
    });
    this.ctx.metrics.appendSeconds.observe((performance.now() - started) / 1000);
    if (!result.duplicate) this.ctx.metrics.publishes.inc();
    return result;
  }

  /** Payload check, then the append. */
  publish(policy: NamespacePolicy, request: PublishRequest): Promise<AppendResult> {
    this.checkPayload(policy, request.data);
    return this.append(policy, request);
  }

  /** A history page: `limit` defaults to DEFAULT_HISTORY_LIMIT and is capped by maxHistoryLimit. */
  async history(
    policy: NamespacePolicy,
    channel: string,
    since: StreamPosition | undefined,
    limit: number | undefined,
  ): Promise<HistoryPage> {
    const page = await this.ctx.broker.history({
      channel,
      ...(since ? { since } : {}),
      limit: Math.min(limit ?? DEFAULT_HISTORY_LIMIT, this.ctx.limits.maxHistoryLimit),
      history: policy.history,
    });
    return { epoch: page.epoch, offset: page.offset, publications: page.complete ? page.publications : [] };
  }

  // Presence and join/leave are best effort: a failed write is repaired by the next presence
  // refresh, and must never fail the subscribe or unsubscribe it follows.

  /** A subscription started: presence entry and `join` where the namespace has them on. */
  entered(policy: NamespacePolicy, channel: string, info: ClientInfo): void {
    if (policy.presence) this.refreshPresence(channel, info);
    if (policy.joinLeave) this.ctx.broker.announce({ type: "join", channel, info }).catch(() => undefined);
  }

  /** A subscription ended (unsubscribe, disconnect or stream reset): the entry goes, `leave` is sent. */
  left(channel: string, info: ClientInfo): void {
    this.failedAdds.delete(`${channel}\n${info.client}`);
    const policy = this.find(channel);
    if (policy?.presence) this.ctx.broker.presenceRemove(channel, info).catch(() => undefined);
    if (policy?.joinLeave) this.ctx.broker.announce({ type: "leave", channel, info }).catch(() => undefined);
  }

  /** Writes (or rewrites) a presence entry; a failed write is retried by retryFailedPresence. */
  refreshPresence(channel: string, info: ClientInfo): void {
    const key = `${channel}\n${info.client}`;
    this.ctx.broker.presenceAdd(channel, info, this.ctx.limits.presenceTtlSeconds).catch(() => {
      this.failedAdds.set(key, { channel, info });
    });
  }

  /** Writes again the entries whose write failed (still subscribed: `left` drops them). */
  retryFailedPresence(): void {
    const failed = [...this.failedAdds.values()];
    this.failedAdds.clear();
    for (const { channel, info } of failed) this.refreshPresence(channel, info);
  }

  /** Renews this node's presence liveness: one broker write; true when it had lapsed. */
  keepPresenceAlive(): Promise<boolean> {
    return this.ctx.broker.presenceKeepAlive(this.ctx.limits.presenceTtlSeconds);
  }

  /** Who is subscribed; BAD_REQUEST where the namespace has presence off. */
  presence(policy: NamespacePolicy, channel: string): Promise<ClientInfo[]> {
    this.checkPresence(policy, channel);
    return this.ctx.broker.presenceList(channel);
  }

  /** How many are subscribed (no entry is read); BAD_REQUEST where the namespace has presence off. */
  presenceCount(policy: NamespacePolicy, channel: string): Promise<number> {
    this.checkPresence(policy, channel);
    return this.ctx.broker.presenceCount(channel);
  }

  private checkPresence(policy: NamespacePolicy, channel: string): void {
    if (!policy.presence)
      throw new RequestError(ErrorCode.BAD_REQUEST, `presence is off in namespace "${namespaceOf(channel)}"`);
  }
}
