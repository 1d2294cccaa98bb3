/**
 * Run-time configuration: the host page reads `/config.json` (served next to it) so the same build
 * can point at any hub and any remote origins. Shape: { hubUrl, remotes: { sender, receiver } },
 * each remote a URL or `{ entry, integrity: "sha384-…" }` (pinned: docs/security.md).
 */
export const REMOTE_NAMES = ["sender", "receiver"] as const;
export type RemoteName = (typeof REMOTE_NAMES)[number];

export interface HostConfig {
  hubUrl: string;
  /** Each remote's entry URL (remoteEntry.js or mf-manifest.json; a bare origin gets /remoteEntry.js). */
  remotes: Record<RemoteName, string>;
  /**
   * The pinned Subresource Integrity of a remote's entry, as given (checked where it is used: a
   * malformed pin refuses the remote rather than being ignored, as a browser would).
   */
  integrity: Partial<Record<RemoteName, string>>;
}

/** What `switchboard start` uses by default, relative to wherever the page is opened. */
export function defaultConfig(loc: Location = location): HostConfig {
  const host = loc.hostname || "localhost";
  return {
    hubUrl: `ws://${host}:7700/ws`,
    remotes: { sender: `http://${host}:3001/remoteEntry.js`, receiver: `http://${host}:3002/remoteEntry.js` },
    integrity: {},
  };
}

export async function loadConfig(): Promise<{ config: HostConfig; problem?: string }> {
  const fallback = defaultConfig();
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return { config: parseConfig(await response.json(), fallback) };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { config: fallback, problem: `/config.json could not be read (${why}); using defaults` };
  }
}

export function parseConfig(raw: unknown, fallback: HostConfig): HostConfig {
  const record = isRecord(raw) ? raw : {};
  const remotes = isRecord(record.remotes) ? record.remotes : {};
  const urls = { ...fallback.remotes };
  const integrity: Partial<Record<RemoteName, string>> = {};
  for (const name of REMOTE_NAMES) {
    const value = remotes[name];
    const entry = isRecord(value) ? value.entry : value;
    if (typeof entry !== "string" || entry === "") continue;
    urls[name] = toEntryUrl(entry);
    // Present but not a string is kept as a pin that can never match: refused, not ignored.
    if (isRecord(value) && value.integrity !== undefined) {
      integrity[name] = typeof value.integrity === "string" ? value.integrity : "";
    }
  }
  return {
    hubUrl: typeof record.hubUrl === "string" && record.hubUrl !== "" ? record.hubUrl : fallback.hubUrl,
    remotes: urls,
    integrity,
  };
}

function toEntryUrl(url: string): string {
  return /\.(js|json)(\?|#|$)/.test(url) ? url : `${url.replace(/\/+$/, "")}/remoteEntry.js`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
