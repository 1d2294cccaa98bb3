import { type Client, getSharedClient } from "@switchboard/client";
import { DEFAULT_CHANNEL } from "./chat-data.js";

type PublishData = Parameters<Client["publish"]>[1];
type Position = Awaited<ReturnType<Client["publish"]>>;

export interface SendOptions {
  /** Channel to publish in; defaults to the compose box's channel, else `chat:general`. */
  channel?: string;
  /** Display name stored with the message; defaults to the compose box's author. */
  author?: string;
  /** Idempotency key; the client generates one when absent and reuses it across reconnects. */
  key?: string;
  timeoutMs?: number;
}

/** A plain string becomes `{ text, author }`; an object is published as given (plus `author`). */
export type OutgoingMessage = string | { [key: string]: PublishData };

// The compose box updates these, so `sendMessage("hi")` from any module lands where the person is.
const defaults: { channel: string; author: string | undefined } = {
  channel: DEFAULT_CHANNEL,
  author: undefined,
};

export function setSendDefaults(next: { channel?: string | undefined; author?: string | undefined }): void {
  if (next.channel) defaults.channel = next.channel;
  if (next.author !== undefined) defaults.author = next.author.trim() || undefined;
}

/** The chat payload for `text` (apps/receiver/src/chat-data.ts reads it). */
export function chatData(text: string, author: string | undefined): PublishData {
  const name = author?.trim();
  return name ? { text, author: name } : { text };
}

/**
 * Publishes a message through the page's shared client and resolves with the position the hub
 * acknowledged. In-page subscribers (the receiver) see it at once, marked pending.
 */
export function sendMessage(message: OutgoingMessage, options: SendOptions = {}): Promise<Position> {
  const channel = options.channel ?? defaults.channel;
  const author = options.author ?? defaults.author;
  let data: PublishData;
  if (typeof message === "string") {
    if (message.trim() === "") return Promise.reject(new TypeError("sendMessage: the message is empty"));
    data = chatData(message, author);
  } else if (message !== null && typeof message === "object" && !Array.isArray(message)) {
    data = author === undefined || "author" in message ? message : { author, ...message };
  } else {
    return Promise.reject(new TypeError("sendMessage: expected a string or an object"));
  }
  const publishOptions: { key?: string; timeoutMs?: number } = {};
  if (options.key !== undefined) publishOptions.key = options.key;
  if (options.timeoutMs !== undefined) publishOptions.timeoutMs = options.timeoutMs;
  try {
    return getSharedClient().publish(channel, data, publishOptions);
  } catch (error) {
    return Promise.reject(error);
  }
}
