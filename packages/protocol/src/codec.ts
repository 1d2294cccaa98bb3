/**
 * The NDJSON codec: one WebSocket message carries one or more frames separated by "\n".
 * Pure: no I/O, never throws on input.
 */
import type { ClientFrame, HubFrame } from "./frames.js";
import { stringifyJson } from "./json-text.js";
import { type ValidateOptions, type Validation, validateClientFrame } from "./validate.js";

/** Serializes one frame. The hub calls this once per publication, then writes the bytes to every socket. */
export function encodeFrame(frame: HubFrame | ClientFrame): string {
  return stringifyJson(frame);
}

/** Joins already-encoded frames into one WebSocket message. */
export function joinFrames(encoded: readonly string[]): string {
  return encoded.join("\n");
}

function* lines(text: string): Generator<string> {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    if (line.trim().length > 0) yield line;
    start = end + 1;
  }
}

export type DecodedClientFrame = Validation;

/**
 * Splits one message from a client and validates each frame, in order. A line that is not JSON
 * yields a fatal result (close 4000); the caller stops at the first fatal result.
 */
export function decodeClientMessage(text: string, options: ValidateOptions = {}): DecodedClientFrame[] {
  const out: DecodedClientFrame[] = [];
  for (const line of lines(text)) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      out.push({ ok: false, fatal: true, message: "bad JSON" });
      break;
    }
    const result = validateClientFrame(value, options);
    out.push(result);
    if (!result.ok && result.fatal) break;
  }
  return out;
}

/**
 * Splits one message from the hub. Lines that are not JSON objects with a string `type` are
 * skipped (a client must not crash on a hub it does not control); they are reported in `invalid`.
 */
export function decodeHubMessage(text: string): { frames: HubFrame[]; invalid: number } {
  const frames: HubFrame[] = [];
  let invalid = 0;
  for (const line of lines(text)) {
    try {
      const value: unknown = JSON.parse(line);
      if (
        typeof value === "object" &&
        value !== null &&
        typeof (value as { type?: unknown }).type === "string"
      ) {
        frames.push(value as HubFrame);
      } else invalid++;
    } catch {
      invalid++;
    }
  }
  return { frames, invalid };
}
