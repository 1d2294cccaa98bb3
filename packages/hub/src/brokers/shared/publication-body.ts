/**
 * How the scale-out brokers store one publication: the engine keeps the offset (stream ID,
 * header), the body is this JSON text. Pure: no engine client here.
 */
import { randomBytes } from "node:crypto";
import type { ClientInfo, Json, Publication } from "@switchboard/protocol";

export interface PublicationBody {
  time: number;
  data: Json;
  info?: ClientInfo;
  key?: string;
}

export function encodeBody(body: PublicationBody): string {
  // JSON.stringify drops undefined `info` / `key`, so absent fields stay absent.
  return JSON.stringify({ time: body.time, data: body.data, info: body.info, key: body.key });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses a stored body; null for anything that is not one (never throws on engine content). */
export function decodeBody(offset: number, text: string): Publication | null {
  try {
    return bodyToPublication(offset, JSON.parse(text));
  } catch {
    return null;
  }
}

/** Same as decodeBody for a body that arrived already parsed (inside a fan-out message). */
export function bodyToPublication(offset: number, body: unknown): Publication | null {
  if (!isRecord(body) || typeof body.time !== "number" || !("data" in body)) return null;
  const publication: Publication = { offset, data: body.data as Json, time: body.time };
  if (isRecord(body.info) && typeof body.info.client === "string") {
    publication.info = body.info as unknown as ClientInfo;
  }
  if (typeof body.key === "string") publication.key = body.key;
  return publication;
}

/**
 * A fresh epoch: random, so an engine that lost its data (restart with empty storage) can never
 * hand out an epoch a client already holds.
 */
export function newEpoch(): string {
  return randomBytes(9).toString("base64url");
}

/** A fan-out message as both scale-out brokers put it on the wire (Redis builds it in Lua). */
export type FanoutMessage =
  | { type: "pub"; epoch: string; publication: Publication }
  | { type: "join" | "leave"; info: ClientInfo };

export function encodeFanoutPub(epoch: string, offset: number, body: string): string {
  return `{"type":"pub","epoch":${JSON.stringify(epoch)},"offset":${offset},"body":${body}}`;
}

export function encodeFanoutPresence(type: "join" | "leave", info: ClientInfo): string {
  return JSON.stringify({ type, info });
}

/** Null for anything malformed: a foreign message on our channel must not crash the node. */
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
