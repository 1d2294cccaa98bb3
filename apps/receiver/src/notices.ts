/**
 * `displayMessage`: a local notice shown in every mounted message list of this page — nothing is
 * published. Notices given before any list is mounted wait (a few) until one is.
 */
export interface Notice {
  text: string;
  author: string;
  time: number;
}

export type NoticeInput = string | { text: string; author?: string };

type Listener = (notice: Notice) => void;

const listeners = new Set<Listener>();
const waiting: Notice[] = [];
const MAX_WAITING = 50;

export function displayMessage(message: NoticeInput): void {
  const notice: Notice =
    typeof message === "string"
      ? { text: message, author: "notice", time: Date.now() }
      : { text: String(message.text), author: message.author || "notice", time: Date.now() };
  if (listeners.size === 0) {
    waiting.push(notice);
    if (waiting.length > MAX_WAITING) waiting.shift();
    return;
  }
  for (const listener of listeners) listener(notice);
}

export function onNotice(listener: Listener): () => void {
  listeners.add(listener);
  for (const notice of waiting.splice(0)) listener(notice);
  return () => listeners.delete(listener);
}
