import type { Publication } from "@switchboard/protocol";
import type { Message } from "./types.js";

/** A hub publication as the app sees it. */
export function toMessage(channel: string, publication: Publication): Message {
  const message: Message = {
    channel,
    offset: publication.offset,
    data: publication.data,
    time: publication.time,
    pending: false,
  };
  if (publication.info !== undefined) message.info = publication.info;
  if (publication.key !== undefined) message.key = publication.key;
  return message;
}
