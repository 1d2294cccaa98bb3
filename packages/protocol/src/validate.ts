/**
 * Validation of client frames. Pure: takes a parsed JSON value, returns a typed frame or a
 * precise complaint naming the field and why. Never throws on any input.
 */
import { isValidChannel, MAX_CHANNEL_LENGTH } from "./channel.js";
import type { ClientFrame, Json, StreamPosition } from "./frames.js";
import { PROTOCOL_VERSION } from "./frames.js";

export const MAX_KEY_LENGTH = 128;
export const MAX_NAME_LENGTH = 128;
export const MAX_TOKEN_LENGTH = 8192;
export const MAX_EPOCH_LENGTH = 64;
/** Default `limits.maxDepth`: how deeply `data` may nest (docs/protocol.md "Bad input and abuse"). */
export const DEFAULT_MAX_DEPTH = 32;

export interface ValidateOptions {
  /** Deepest `data` accepted (the top-level value is level 1); default DEFAULT_MAX_DEPTH. */
  maxDepth?: number;
}

/**
 * Whether a parsed JSON value nests deeper than `maxDepth` (the value itself is level 1, each
 * array or object inside another adds one). Iterative with an early exit: input nested tens of
 * thousands deep must not overflow the stack of the check meant to refuse it.
 */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  if (typeof value !== "object" || value === null) return maxDepth < 1;
  const stack: Array<{ value: object; depth: number }> = [{ value, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.depth > maxDepth) return true;
    const children = Array.isArray(item.value) ? item.value : Object.values(item.value);
    for (const child of children)
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth: item.depth + 1 });
  }
  return false;
}

export type Validation =
  | { ok: true; frame: ClientFrame }
  /** `fatal`: the frame breaks the protocol itself (close 4000); otherwise answer BAD_REQUEST. */
  | { ok: false; fatal: boolean; id?: number; message: string; ignore?: boolean };

type Obj = Record<string, unknown>;

class FieldError extends Error {}

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
}
const isId = isPositiveInt;
function fail(message: string): never {
  throw new FieldError(message);
}
function channelField(o: Obj): string {
  const c = o.channel;
  if (typeof c !== "string") fail("channel: expected a string");
  if (c.length === 0 || c.length > MAX_CHANNEL_LENGTH)
    fail(`channel: length must be 1–${MAX_CHANNEL_LENGTH}`);
  if (!isValidChannel(c)) fail("channel: only [A-Za-z0-9_.:@#/=-] are allowed");
  return c;
}
function optionalString(o: Obj, field: string, max: number): string | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== "string") fail(`${field}: expected a string`);
  if (v.length === 0 || v.length > max) fail(`${field}: length must be 1–${max}`);
  return v;
}
function optionalBoolean(o: Obj, field: string): boolean | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") fail(`${field}: expected true or false`);
  return v;
}
function sinceField(o: Obj): StreamPosition | undefined {
  const s = o.since;
  if (s === undefined) return undefined;
  if (!isObject(s)) fail("since: expected an object {epoch, offset}");
  if (typeof s.epoch !== "string" || s.epoch.length > MAX_EPOCH_LENGTH)
    fail(`since.epoch: expected a string of at most ${MAX_EPOCH_LENGTH} chars`);
  if (typeof s.offset !== "number" || !Number.isSafeInteger(s.offset) || s.offset < 0)
    fail("since.offset: expected a non-negative integer");
  return { epoch: s.epoch, offset: s.offset };
}

function parseFields(type: string, o: Obj, id: number, maxDepth: number): ClientFrame | undefined {
  switch (type) {
    case "connect": {
      const version = o.version;
      if (version !== undefined && version !== PROTOCOL_VERSION)
        fail(`version: only ${PROTOCOL_VERSION} is supported`);
      const frame: ClientFrame = { type, id, version: PROTOCOL_VERSION };
      const token = optionalString(o, "token", MAX_TOKEN_LENGTH);
      const name = optionalString(o, "name", MAX_NAME_LENGTH);
      if (token !== undefined) frame.token = token;
      if (name !== undefined) frame.name = name;
      const presenceDiff = optionalBoolean(o, "presenceDiff");
      if (presenceDiff !== undefined) frame.presenceDiff = presenceDiff;
      return frame;
    }
    case "subscribe": {
      const frame: ClientFrame = { type, id, channel: channelField(o) };
      const since = sinceField(o);
      const rewind = o.rewind;
      if (rewind !== undefined && !isPositiveInt(rewind)) fail("rewind: expected a positive integer");
      const token = optionalString(o, "token", MAX_TOKEN_LENGTH);
      if (since) frame.since = since;
      if (rewind !== undefined) frame.rewind = rewind;
      if (token !== undefined) frame.token = token;
      return frame;
    }
    case "refresh": {
      const token = optionalString(o, "token", MAX_TOKEN_LENGTH);
      if (token === undefined || token === "") fail("token: required");
      const frame: ClientFrame = { type, id, token };
      if (o.channel !== undefined) frame.channel = channelField(o);
      return frame;
    }
    case "unsubscribe":
      return { type, id, channel: channelField(o) };
    case "presence": {
      const frame: ClientFrame = { type, id, channel: channelField(o) };
      const count = optionalBoolean(o, "count");
      if (count !== undefined) frame.count = count;
      return frame;
    }
    case "publish": {
      const channel = channelField(o);
      if (!("data" in o) || o.data === undefined) fail("data: required (any JSON value)");
      if (exceedsDepth(o.data, maxDepth)) fail(`data: nested deeper than ${maxDepth} levels`);
      const frame: ClientFrame = { type, id, channel, data: o.data as Json };
      const key = optionalString(o, "key", MAX_KEY_LENGTH);
      if (key !== undefined) frame.key = key;
      return frame;
    }
    case "history": {
      const frame: ClientFrame = { type, id, channel: channelField(o) };
      const since = sinceField(o);
      if (since) frame.since = since;
      const limit = o.limit;
      if (limit !== undefined) {
        if (!isPositiveInt(limit)) fail("limit: expected a positive integer");
        frame.limit = limit;
      }
      return frame;
    }
    default:
      return undefined;
  }
}

/** Validates one parsed client frame. */
export function validateClientFrame(value: unknown, options: ValidateOptions = {}): Validation {
  if (!isObject(value)) return { ok: false, fatal: true, message: "a frame must be a JSON object" };
  const type = value.type;
  if (typeof type !== "string") return { ok: false, fatal: true, message: "type: expected a string" };
  if (type === "ping" || type === "pong") return { ok: true, frame: { type } };
  const rawId = value.id;
  const id = isId(rawId) ? rawId : undefined;
  try {
    if (id === undefined) {
      if (!KNOWN_REQUESTS.has(type))
        return { ok: false, fatal: false, ignore: true, message: `unknown type ${type}` };
      fail("id: expected a positive integer");
    }
    const frame = parseFields(type, value, id, options.maxDepth ?? DEFAULT_MAX_DEPTH);
    if (!frame)
      return { ok: false, fatal: false, id, message: `type: unknown frame type "${type.slice(0, 64)}"` };
    return { ok: true, frame };
  } catch (err) {
    if (err instanceof FieldError) {
      const result: Validation = { ok: false, fatal: false, message: err.message };
      if (id !== undefined) result.id = id;
      return result;
    }
    throw err;
  }
}

const KNOWN_REQUESTS = new Set([
  "connect",
  "subscribe",
  "unsubscribe",
  "publish",
  "history",
  "presence",
  "refresh",
]);
