/** Channel names: `namespace:name` or a bare `name` (namespace ""), 1–255 chars of [A-Za-z0-9_.:@#/=-]. */

export const MAX_CHANNEL_LENGTH = 255;
const CHANNEL_PATTERN = /^[A-Za-z0-9_.:@#/=-]{1,255}$/;

export function isValidChannel(name: string): boolean {
  return CHANNEL_PATTERN.test(name);
}

/** The namespace of a channel: the part before the first `:`, or "" for a bare name. */
export function namespaceOf(channel: string): string {
  const colon = channel.indexOf(":");
  return colon < 0 ? "" : channel.slice(0, colon);
}

/**
 * Whether `channel` matches a permission pattern from a JWT `channels` claim:
 * an exact name, or a prefix followed by `*` ("chat:*" matches every channel of namespace chat).
 */
export function channelMatches(pattern: string, channel: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return channel.startsWith(pattern.slice(0, -1));
  return pattern === channel;
}
