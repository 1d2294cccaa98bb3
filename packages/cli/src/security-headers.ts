/**
 * Response headers that limit what a served page may do (docs/security.md). The host page gets a
 * Content-Security-Policy naming exactly its own origin, the remotes' origins and the hub; what
 * Module Federation needs from it:
 * - script-src: each remote's origin (the runtime adds a <script> for remoteEntry.js, whose
 *   webpack runtime adds one per chunk, all from that origin);
 * - connect-src: the remotes (an mf-manifest.json entry, the integrity diagnosis fetch) and the
 *   hub (ws: and its http: twin);
 * - style-src: the page's own inline <style>, allowed by hash, never 'unsafe-inline' (the
 *   remotes inject their CSS as constructed style sheets, which CSP does not govern).
 */
import { createHash } from "node:crypto";

export interface PagePolicy {
  /** Entry URLs (or origins) of the remotes the page loads. */
  remotes: readonly string[];
  /** The hub's WebSocket URL (ws:// or wss://). */
  hubUrl: string;
}

/** On every response: no MIME sniffing, no referrer leaking to remotes or the hub. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** On every HTML page: never framed (clickjacking); the CSP form and the legacy header. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "X-Frame-Options": "DENY",
  "Content-Security-Policy": "frame-ancestors 'none'",
};

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** The hub's WebSocket origin and the HTTP(S) origin of the same server. */
export function hubOrigins(hubUrl: string): string[] {
  const ws = originOf(hubUrl);
  if (!ws) return [];
  return [ws, ws.replace(/^ws(s?):/, "http$1:")];
}

/** `'sha256-…'` of each inline <tag>…</tag> body (a <script> with src= has no inline body). */
export function inlineHashes(html: string, tag: "style" | "script"): string[] {
  const pattern = new RegExp(`<${tag}(\\s[^>]*)?>([\\s\\S]*?)</${tag}\\s*>`, "gi");
  const hashes = new Set<string>();
  for (const match of html.matchAll(pattern)) {
    const attributes = match[1] ?? "";
    const body = match[2] ?? "";
    if (tag === "script" && /\ssrc\s*=/i.test(attributes)) continue;
    if (body === "") continue;
    hashes.add(`'sha256-${createHash("sha256").update(body).digest("base64")}'`);
  }
  return [...hashes];
}

/** The host page's Content-Security-Policy for this HTML. */
export function hostPageCsp(policy: PagePolicy, html: string): string {
  const remotes = [...new Set(policy.remotes.map(originOf).filter((o): o is string => o !== undefined))];
  const hub = hubOrigins(policy.hubUrl);
  const directives: Array<[string, string[]]> = [
    ["default-src", ["'none'"]],
    ["script-src", ["'self'", ...remotes, ...inlineHashes(html, "script")]],
    ["style-src", ["'self'", ...remotes, ...inlineHashes(html, "style")]],
    ["connect-src", ["'self'", ...remotes, ...hub]],
    ["img-src", ["'self'", "data:", ...remotes]],
    ["font-src", ["'self'", ...remotes]],
    ["worker-src", ["'self'"]],
    ["manifest-src", ["'self'"]],
    ["base-uri", ["'none'"]],
    ["form-action", ["'self'"]],
    ["object-src", ["'none'"]],
    ["frame-ancestors", ["'none'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${[...new Set(sources)].join(" ")}`).join("; ");
}
