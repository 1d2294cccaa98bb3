/**
 * The chat payload: what `sendMessage` publishes and the receiver renders. sender and receiver
 * never import each other (README "Architecture"), so this shape is a contract by value, mirrored in
 * apps/receiver/src/chat-data.ts.
 */
export interface ChatData {
  text: string;
  /** Display name chosen by the person; the receiver falls back to the connection's name. */
  author?: string;
}

export const DEFAULT_CHANNEL = "chat:general";
