/**
 * The chat payload the sender publishes: `{ text, author? }`. sender and receiver never import
 * each other (ARCHITECTURE.md), so this mirrors apps/sender/src/chat-data.ts by value. Anything
 * else a module publishes is still shown, as its JSON text.
 */
import type { Message } from "@switchboard/client";

export const DEFAULT_CHANNEL = "chat:general";

type ClientInfo = NonNullable<Message["info"]>;

/** Who wrote it: the display name in the payload, else the connection's name or id. */
export function authorOf(data: unknown, info: ClientInfo | undefined): string {
  if (isRecord(data) && typeof data.author === "string" && data.author.trim() !== "") return data.author;
  return info?.name || info?.user || info?.client || "unknown";
}

/** The text to show. Always rendered as a text node, never as HTML. */
export function textOf(data: unknown): string {
  if (typeof data === "string") return data;
  if (isRecord(data) && typeof data.text === "string") return data.text;
  return JSON.stringify(data) ?? "";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
