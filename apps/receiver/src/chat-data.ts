/**
 * The chat payload the sender publishes: `{ text, author? }`. sender and receiver never import
 * each other (README "Architecture"), so this mirrors apps/sender/src/chat-data.ts by value. Anything
 * else a module publishes is still shown, as its JSON text.
 */
import type { Message } from "@switchboard/client";

export const DEFAULT_CHANNEL = "chat:general";

type ClientInfo = NonNullable<Message["info"]>;

/**
 * Who wrote it as the sender chose to say: the display name in the payload, else the connection's
 * name, user or id. Client-chosen (except `user`): see `authorLabel` for what may be shown as verified.
 */
export function authorOf(data: unknown, info: ClientInfo | undefined): string {
  if (isRecord(data) && typeof data.author === "string" && data.author.trim() !== "") return data.author;
  return info?.name || info?.user || info?.client || "unknown";
}

export interface AuthorLabel {
  /** The name to show first. */
  readonly name: string;
  /** True only for the identity the hub stamped (`info.user`, from a verified token). */
  readonly verified: boolean;
  /** A different name the sender chose itself (`data.author`), shown as "unverified: …". */
  readonly unverified?: string | undefined;
}

/**
 * What the list shows as the author. With authentication on, the hub stamps `info.user` on every
 * publication from a verified token: that is the name shown as verified, and a client-chosen
 * `data.author` never passes for it (it is shown apart, prefixed "unverified:"). On an anonymous
 * hub nobody is verified, so the chosen name is shown as it is.
 */
export function authorLabel(
  item: { readonly author: string; readonly user?: string | undefined },
  authenticated: boolean,
): AuthorLabel {
  if (item.user !== undefined) {
    return item.author !== item.user
      ? { name: item.user, verified: true, unverified: item.author }
      : { name: item.user, verified: true };
  }
  return authenticated
    ? { name: `unverified: ${item.author}`, verified: false }
    : { name: item.author, verified: false };
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
