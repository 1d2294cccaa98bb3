/**
 * HTTP on the hub's port: `/api/publish` and `/api/history` behind the API key, `/healthz`,
 * `/readyz` and `/metrics`. Answers are JSON with the same error codes as the WebSocket protocol.
 */

import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, isValidChannel, type Json, namespaceOf } from "@switchboard/protocol";
import { BrokerUnavailableError } from "./brokers/broker.js";
import { namespacePolicy } from "./config.js";
import type { HubContext } from "./hub-context.js";
import { RequestError } from "./request-handler.js";

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  PERMISSION_DENIED: 403,
  UNKNOWN_NAMESPACE: 404,
  LIMIT_EXCEEDED: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class HttpApi {
  constructor(
    private readonly ctx: HubContext,
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
      res.writeHead(200, { "content-type": this.ctx.metrics.registry.contentType });
      res.end(await this.ctx.metrics.registry.metrics());
      return;
    }
    if (url.pathname === "/api/publish" && req.method === "POST") return this.publish(req, res);
    if (url.pathname === "/api/history" && req.method === "GET") return this.history(req, res, url);
    if (url.pathname.startsWith("/api/"))
      return json(res, 405, { code: ErrorCode.BAD_REQUEST, message: "method not allowed" });
    json(res, 404, { code: ErrorCode.BAD_REQUEST, message: "not found" });
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

  private policyFor(channel: unknown) {
    if (typeof channel !== "string" || !isValidChannel(channel))
      throw new RequestError(ErrorCode.BAD_REQUEST, "channel: expected 1–255 chars of [A-Za-z0-9_.:@#/=-]");
    const policy = namespacePolicy(this.ctx.config, namespaceOf(channel));
    if (!policy)
      throw new RequestError(
        ErrorCode.UNKNOWN_NAMESPACE,
        `namespace "${namespaceOf(channel)}" is not configured`,
      );
    return { channel, policy };
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
    if (policy.maxPayloadBytes !== undefined) {
      const size = Buffer.byteLength(JSON.stringify(fields.data));
      if (size > policy.maxPayloadBytes)
        throw new RequestError(
          ErrorCode.LIMIT_EXCEEDED,
          `data: ${size} bytes exceeds ${policy.maxPayloadBytes}`,
        );
    }
    const key = fields.key;
    if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > 128))
      throw new RequestError(ErrorCode.BAD_REQUEST, "key: expected a string of 1–128 chars");
    const result = await this.ctx.broker.append({
      channel,
      data: fields.data as Json,
      info: { client: "http" },
      ...(key !== undefined ? { key } : {}),
      history: policy.history,
      dedupeSeconds: this.ctx.limits.dedupeSeconds,
    });
    if (!result.duplicate) this.ctx.metrics.publishes.inc();
    json(res, 200, { epoch: result.epoch, offset: result.offset });
  }

  private async history(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    this.authorize(req);
    const { channel, policy } = this.policyFor(url.searchParams.get("channel"));
    const limit = intParam(url, "limit", 1) ?? 100;
    const sinceOffset = intParam(url, "since_offset", 0);
    const sinceEpoch = url.searchParams.get("since_epoch");
    if ((sinceOffset === undefined) !== (sinceEpoch === null))
      throw new RequestError(ErrorCode.BAD_REQUEST, "since_epoch and since_offset go together");
    const page = await this.ctx.broker.history({
      channel,
      ...(sinceEpoch !== null && sinceOffset !== undefined
        ? { since: { epoch: sinceEpoch, offset: sinceOffset } }
        : {}),
      limit: Math.min(limit, this.ctx.limits.maxHistoryLimit),
      history: policy.history,
    });
    json(res, 200, {
      epoch: page.epoch,
      offset: page.offset,
      publications: page.complete ? page.publications : [],
    });
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) return void res.end();
    if (err instanceof RequestError)
      return json(res, STATUS_BY_CODE[err.code] ?? 400, { code: err.code, message: err.message });
    if (err instanceof BrokerUnavailableError)
      return json(res, 503, { code: ErrorCode.UNAVAILABLE, message: `broker unavailable: ${err.message}` });
    this.ctx.log.error({ err }, "http request failed");
    json(res, 500, { code: ErrorCode.INTERNAL, message: "internal error" });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
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
