/**
 * Idempotency keys for publishes. `crypto.randomUUID` exists only in secure contexts (https,
 * localhost), so a page served over plain http from another host falls back to getRandomValues,
 * and to Math.random where even that is missing (the key only has to be unique per channel
 * within the hub's dedupe window, not secret).
 */
export function generateKey(): string {
  const c = (globalThis as { crypto?: Partial<Crypto> }).crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `k-${hex}`;
}
