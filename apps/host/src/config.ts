/**
 * Run-time configuration: the host page reads `/config.json` (served next to it) so the same build
 * can point at any hub and any remote origins. Shape: { hubUrl, remotes: { sender, receiver } }.
 */
export const REMOTE_NAMES = ["sender", "receiver"] as const;
export type RemoteName = (typeof REMOTE_NAMES)[number];

export interface HostConfig {
  hubUrl: string;
  /** Each remote's entry URL (remoteEntry.js or mf-manifest.json; a bare origin gets /remoteEntry.js). */
  remotes: Record<RemoteName, string>;
}

/** What `switchboard start` uses by default, relative to wherever the page is opened. */
export function defaultConfig(loc: Location = location): HostConfig {
  const host = loc.hostname || "localhost";
  return {
    hubUrl: `ws://${host}:7700/ws`,
    remotes: { sender: `http://${host}:3001/remoteEntry.js`, receiver: `http://${host}:3002/remoteEntry.js` },
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
  const entry = (name: RemoteName): string => {
    const value = remotes[name];
    return typeof value === "string" && value !== "" ? toEntryUrl(value) : fallback.remotes[name];
  };
  return {
    hubUrl: typeof record.hubUrl === "string" && record.hubUrl !== "" ? record.hubUrl : fallback.hubUrl,
    remotes: { sender: entry("sender"), receiver: entry("receiver") },
  };
}

function toEntryUrl(url: string): string {
  return /\.(js|json)(\?|#|$)/.test(url) ? url : `${url.replace(/\/+$/, "")}/remoteEntry.js`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
