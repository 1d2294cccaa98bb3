/**
 * HTTP on the hub's port: `/api/publish` and `/api/history` behind the API key, `/healthz`,
 * `/readyz` and `/metrics`. Answers are JSON with the same error codes as the WebSocket protocol.
 */

import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ErrorCode,
  errorCodeHttpStatus,
  isValidChannel,
  type Json,
  MAX_CHANNEL_LENGTH,
  MAX_KEY_LENGTH,
  stringifyJson,
} from "@switchboard/protocol";
import type { ChannelOps } from "./channel-ops.js";
import type { NamespacePolicy } from "./config.js";
import type { HubContext } from "./hub-context.js";
import { RequestError, requestErrorOf } from "./request-error.js";

/** How long one rendering of /metrics is served again (rendering walks every metric). */
const METRICS_CACHE_MS = 1_000;

export class HttpApi {
  #metrics: { text: Promise<string>; at: number } | undefined;

  constructor(
    private readonly ctx: HubContext,
    private readonly ops: ChannelOps,
    private readonly apiKey: string | undefined,
  ) {}

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((err: unknown) => this.fail(res, err));
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://hub");
    if (req.method === "GET" && url.pathname === "/healthz")
      return json(res, 200, { status: "ok", node: this.ctx.node });
    if (req.method === "GET" && url.pathname === "/readyz") {
      const ready = await this.ctx.broker.ready().catch(() => false);
      return json(res, ready ? 200 : 503, { ready, broker: this.ctx.broker.kind });
    }
    if (req.method === "GET" && url.pathname === "/metrics") {
      // Behind the API key when there is one, unless the operator made it public.
      if (this.apiKey && !this.ctx.config.metrics.public) this.authorize(req);
      const text = await this.renderMetrics();
      res.writeHead(200, { "content-type": this.ctx.metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (url.pathname === "/api/publish" && req.method === "POST") return this.publish(req, res);
    if (url.pathname === "/api/history" && req.method === "GET") return this.history(req, res, url);
    if (url.pathname.startsWith("/api/"))
      return json(res, 405, { code: ErrorCode.BAD_REQUEST, message: "method not allowed" });
    json(res, 404, { code: ErrorCode.BAD_REQUEST, message: "not found" });
  }

  /** One rendering shared by every request within METRICS_CACHE_MS (pipelined scrapes stay cheap). */
  private renderMetrics(): Promise<string> {
    const now = Date.now();
    if (!this.#metrics || now - this.#metrics.at > METRICS_CACHE_MS)
      this.#metrics = { text: this.ctx.metrics.registry.metrics(), at: now };
    return this.#metrics.text;
  }

  private authorize(req: IncomingMessage): void {
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? Buffer.from(header.slice(7)) : Buffer.alloc(0);
    const expected = Buffer.from(this.apiKey ?? "");
    if (!this.apiKey || given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new RequestError(
        ErrorCode.UNAUTHORIZED,
        "a valid API key is required (Authorization: Bearer <key>)",
      );
  }

  private policyFor(channel: unknown): { channel: string; policy: NamespacePolicy } {
    if (typeof channel !== "string" || !isValidChannel(channel))
      throw new RequestError(
        ErrorCode.BAD_REQUEST,
        `channel: expected 1–${MAX_CHANNEL_LENGTH} chars of [A-Za-z0-9_.:@#/=-]`,
      );
    return { channel, policy: this.ops.policy(channel) };
  }

  private async publish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.authorize(req);
    const body = await readJson(req, this.ctx.limits.maxFrameBytes);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new RequestError(ErrorCode.BAD_REQUEST, "body: expected a JSON object {channel, data, key?}");
    const fields = body as Record<string, unknown>;
    const { channel, policy } = this.policyFor(fields.channel);
    if (fields.data === undefined)
      throw new RequestError(ErrorCode.BAD_REQUEST, "data: required (any JSON value)");
    const data = fields.data as Json;
    this.ops.checkPayload(policy, data);
    const key = fields.key;
    if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH))
      throw new RequestError(ErrorCode.BAD_REQUEST, `key: expected a string of 1–${MAX_KEY_LENGTH} chars`);
    const result = await this.ops.append(policy, { channel, data, info: { client: "http" }, key });
    json(res, 200, { epoch: result.epoch, offset: result.offset });
  }

  private async history(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    this.authorize(req);
    const { channel, policy } = this.policyFor(url.searchParams.get("channel"));
    const limit = intParam(url, "limit", 1);
    const sinceOffset = intParam(url, "since_offset", 0);
    const sinceEpoch = url.searchParams.get("since_epoch");
    if ((sinceOffset === undefined) !== (sinceEpoch === null))
      throw new RequestError(ErrorCode.BAD_REQUEST, "since_epoch and since_offset go together");
    const since =
      sinceEpoch !== null && sinceOffset !== undefined
        ? { epoch: sinceEpoch, offset: sinceOffset }
        : undefined;
    json(res, 200, await this.ops.history(policy, channel, since, limit));
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) return void res.end();
    const failure = requestErrorOf(err);
    if (failure)
      return json(res, errorCodeHttpStatus[failure.code] ?? 400, {
        code: failure.code,
        message: failure.message,
      });
    this.ctx.log.error({ err }, "http request failed");
    json(res, 500, { code: ErrorCode.INTERNAL, message: "internal error" });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = stringifyJson(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function intParam(url: URL, name: string, min: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min)
    throw new RequestError(ErrorCode.BAD_REQUEST, `${name}: expected an integer ≥ ${min}`);
  return value;
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes)
      throw new RequestError(ErrorCode.LIMIT_EXCEEDED, `body larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new RequestError(ErrorCode.BAD_REQUEST, "body: invalid JSON");
  }
}
