/**
 * Remote integrity (docs/security.md): /config.json may pin a remote's entry to a Subresource
 * Integrity hash. The Module Federation runtime loads an entry with a <script> it creates through
 * the `createScript` hook; this plugin gives that script `integrity` and `crossorigin`, so the
 * browser itself refuses to run bytes that differ. What it does not reach: the chunks the entry's
 * own webpack runtime loads afterwards (named by content hash inside the pinned entry, but not
 * verified by the browser).
 */
import type { ModuleFederationRuntimePlugin } from "@module-federation/enhanced/runtime";

/** A pin the browser would act on: one sha256/384/512 hash (a malformed one it would ignore). */
const SRI = /^sha(256|384|512)-([A-Za-z0-9+/]+={0,2})$/;
/** Well-formed and matching nothing: what a malformed pin becomes, so it refuses instead of passing. */
const NEVER = `sha384-${"A".repeat(64)}`;

/** Absolute entry URL → its pin. */
const pins = new Map<string, string>();

export function isValidIntegrity(value: string): boolean {
  const match = SRI.exec(value);
  if (!match) return false;
  const bytes = { "256": 32, "384": 48, "512": 64 }[match[1] as "256" | "384" | "512"];
  return Math.floor(((match[2] ?? "").replace(/=+$/, "").length * 3) / 4) === bytes;
}

function absolute(url: string): string {
  return new URL(url, location.href).href;
}

export function pinEntry(url: string, integrity: string | undefined): void {
  if (integrity === undefined) pins.delete(absolute(url));
  else pins.set(absolute(url), isValidIntegrity(integrity) ? integrity : NEVER);
}

/** A remote that was not run because its entry did not match its pin. */
export class IntegrityError extends Error {
  override readonly name = "IntegrityError";
  constructor(
    readonly remote: string,
    readonly detail: string,
  ) {
    super(`${remote} failed its integrity check: ${detail}`);
  }
}

export function integrityPlugin(): ModuleFederationRuntimePlugin {
  return {
    name: "switchboard-integrity",
    createScript({ url }) {
      const integrity = pins.get(absolute(url));
      if (integrity === undefined) return undefined;
      const script = document.createElement("script");
      // CORS mode is what lets the browser hash a cross-origin script (the remote sends ACAO).
      script.crossOrigin = "anonymous";
      script.integrity = integrity;
      script.src = url;
      return script;
    },
  };
}

/**
 * Why a pinned entry failed to load: "mismatch" when it is reachable but its bytes are not the
 * pinned ones, "unreachable" when it cannot be fetched at all. Uses the digest where the page is
 * a secure context, else a second fetch carrying the pin (which the browser verifies).
 */
export async function diagnoseEntry(
  url: string,
  integrity: string,
): Promise<"match" | "mismatch" | "unreachable"> {
  let response: Response;
  try {
    response = await fetch(url, { cache: "no-store", credentials: "omit" });
  } catch {
    return "unreachable";
  }
  if (!response.ok) return "unreachable";
  const match = SRI.exec(integrity);
  if (!match) return "mismatch";
  if (globalThis.crypto?.subtle) {
    const digest = await crypto.subtle.digest(`SHA-${match[1]}`, await response.arrayBuffer());
    return toBase64(digest) === match[2] ? "match" : "mismatch";
  }
  try {
    await (await fetch(url, { cache: "no-store", credentials: "omit", integrity })).arrayBuffer();
    return "match";
  } catch {
    return "mismatch";
  }
}

function toBase64(buffer: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
