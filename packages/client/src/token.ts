import type { TokenSource } from "./types.js";

/** Resolves a static token or asks the token function for a fresh one. */
export async function resolveToken(source: TokenSource | undefined): Promise<string | undefined> {
  if (source === undefined || typeof source === "string") return source;
  return await source();
}
