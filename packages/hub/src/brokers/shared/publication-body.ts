/**
 * How the scale-out brokers store one publication: the engine keeps the offset (stream ID,
 * header), the body is this JSON text. Pure: no engine client here.
 */
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

export function isRecord(value: unknown): value is Record<string, unknown> {
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
