/**
 * Subresource Integrity of a built remote entry: what `switchboard start` pins in the host's
 * /config.json so the page refuses an entry that changed after the build (docs/security.md).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/** `sha384-<base64>` of the bytes (the form of a <script integrity> attribute). */
export function integrityOf(bytes: Uint8Array | string): string {
  return `sha384-${createHash("sha384").update(bytes).digest("base64")}`;
}

/** The integrity of a file, or undefined when it cannot be read (not built). */
export function fileIntegrity(path: string): string | undefined {
  try {
    return integrityOf(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** One remote as /config.json gives it: pinned, or a plain URL when nothing is known of its bytes. */
export type RemoteConfigEntry = string | { entry: string; integrity: string };

export function remoteConfigEntry(entry: string, integrity: string | undefined): RemoteConfigEntry {
  return integrity === undefined ? entry : { entry, integrity };
}
