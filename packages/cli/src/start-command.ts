/**
 * `switchboard start`: the whole system on one machine — the hub (embedded store by default) and
 * the three front-end apps, each on its own origin as they would be deployed. Builds the apps
 * first when their output is missing or stale. Ports: host BASE, sender BASE+1, receiver BASE+2,
 * hub --hub-port (7700); BASE 0 puts everything on free ports (tests).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { HUB_DEFAULTS, type RunningHub, startHub } from "@switchboard/hub";
import { appDist, buildApps, defaultAppsDir } from "./build-apps.js";
import { apiKeyFromEnv, readConfigFile, stopOnSignals } from "./hub-command.js";
import { fileIntegrity, type RemoteConfigEntry, remoteConfigEntry } from "./remote-integrity.js";
import { type ServedApp, serveApp } from "./serve-apps.js";

export interface StartOptions {
  /** Host on BASE, sender BASE+1, receiver BASE+2. Default 3000; 0 = free ports for all. */
  portBase?: number;
  /** Default 7700 (0 when portBase is 0). */
  hubPort?: number;
  /** Address every server binds; default 127.0.0.1. */
  host?: string;
  /** Host name the browser uses in URLs; default "localhost" for loopback/any binds, else `host`. */
  publicHost?: string;
  /** Hub data folder (embedded store). Default ./data. */
  data?: string;
  broker?: string;
  /** Hub config file (JSON, keys in docs/operations.md). */
  config?: string;
  logLevel?: string;
  /** Use this running hub (ws://…/ws) instead of starting one. Default: $SWITCHBOARD_HUB_URL. */
  hubUrl?: string;
  /**
   * Remote entry URLs the host page is told, when a remote is deployed elsewhere (the local copy
   * is still served). Default: $SWITCHBOARD_SENDER_URL / $SWITCHBOARD_RECEIVER_URL, else the local one.
   */
  senderUrl?: string;
  receiverUrl?: string;
  /** Build stale apps first (default true). */
  build?: boolean;
  appsDir?: string;
  /** Where progress and the URLs go; default stdout. */
  log?: (line: string) => void;
  /** Stop (drain the hub, close the servers) and exit on SIGINT/SIGTERM. Default true. */
  handleSignals?: boolean;
}

export interface RunningSystem {
  /** The page to open. */
  readonly hostUrl: string;
  /** Each remote's entry, as the host page is told in /config.json. */
  readonly senderEntry: string;
  readonly receiverEntry: string;
  /**
   * What /config.json says of each remote: `{ entry, integrity }` when the entry is the one this
   * command serves (pinned to its bytes as built), the plain URL when it is deployed elsewhere.
   */
  readonly remotes: { readonly sender: RemoteConfigEntry; readonly receiver: RemoteConfigEntry };
  /** What the page connects to. */
  readonly hubUrl: string;
  /** The hub this command started (absent with `hubUrl`). */
  readonly hub: RunningHub | undefined;
  readonly servers: { readonly host: ServedApp; readonly sender: ServedApp; readonly receiver: ServedApp };
  /** Drains the hub (clients reconnect elsewhere) and closes the servers. */
  close(): Promise<void>;
}

const LOOPBACK_OR_ANY = new Set(["127.0.0.1", "localhost", "::1", "0.0.0.0", "::"]);

export async function runStart(options: StartOptions = {}): Promise<RunningSystem> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const portBase = options.portBase ?? 3000;
  const portAt = (offset: number) => (portBase === 0 ? 0 : portBase + offset);
  const host = options.host ?? "127.0.0.1";
  const publicHost = options.publicHost ?? (LOOPBACK_OR_ANY.has(host) ? "localhost" : host);
  const appsDir = options.appsDir ?? defaultAppsDir();

  if (options.build !== false) await buildApps({ appsDir, log });

  const started: Array<{ close(): Promise<void> }> = [];
  try {
    let hub: RunningHub | undefined;
    let hubUrl = options.hubUrl ?? env("SWITCHBOARD_HUB_URL");
    let devApiKey: string | undefined;
    if (hubUrl === undefined) {
      const config = readConfigFile(options.config);
      // Local development: without a configured key, make one up so /api/* is usable, and print it.
      if (process.env.SWITCHBOARD_API_KEY === undefined && config.apiKey === undefined)
        devApiKey = `dev-${randomBytes(12).toString("base64url")}`;
      hub = await startHub({
        port: options.hubPort ?? (portBase === 0 ? 0 : HUB_DEFAULTS.port),
        host,
        dataDir: options.data ?? HUB_DEFAULTS.dataDir,
        broker: options.broker ?? HUB_DEFAULTS.broker,
        config,
        logLevel: options.logLevel ?? "warn",
        ...apiKeyFromEnv(),
        ...(devApiKey ? { apiKey: devApiKey } : {}),
      });
      const running = hub;
      started.push({ close: () => running.drain() });
      hubUrl = `ws://${publicHost}:${hub.port}/ws`;
    }

    const sender = await serveApp({ dir: appDist(appsDir, "sender"), port: portAt(1), host });
    started.push(sender);
    const receiver = await serveApp({ dir: appDist(appsDir, "receiver"), port: portAt(2), host });
    started.push(receiver);
    const localEntry = (server: ServedApp) => `http://${publicHost}:${server.port}/remoteEntry.js`;
    const senderOverride = options.senderUrl ?? env("SWITCHBOARD_SENDER_URL");
    const receiverOverride = options.receiverUrl ?? env("SWITCHBOARD_RECEIVER_URL");
    const senderEntry = senderOverride ?? localEntry(sender);
    const receiverEntry = receiverOverride ?? localEntry(receiver);
    // Pinned as built: a remoteEntry.js changed on disk (or on the wire) afterwards is refused by
    // the page. A remote deployed elsewhere is not ours to pin.
    const pin = (app: "sender" | "receiver", entry: string, override: string | undefined) =>
      remoteConfigEntry(
        entry,
        override === undefined ? fileIntegrity(join(appDist(appsDir, app), "remoteEntry.js")) : undefined,
      );
    const remotes = {
      sender: pin("sender", senderEntry, senderOverride),
      receiver: pin("receiver", receiverEntry, receiverOverride),
    };
    const hostApp = await serveApp({
      dir: appDist(appsDir, "host"),
      port: portAt(0),
      host,
      // Nobody else loads the host's files; its page gets a CSP naming the remotes and the hub.
      crossOrigin: false,
      pagePolicy: { remotes: [senderEntry, receiverEntry], hubUrl },
      configJson: { hubUrl, remotes },
    });
    started.push(hostApp);

    const hostUrl = `http://${publicHost}:${hostApp.port}/`;
    log("Switchboard is running:");
    log(`  open      ${hostUrl}`);
    const pinned = (entry: RemoteConfigEntry, override: string | undefined) =>
      typeof entry !== "string"
        ? ` (pinned ${entry.integrity.slice(0, 19)}…)`
        : ` (not pinned: ${override === undefined ? "no build found" : "served elsewhere"})`;
    log(`  sender    ${senderEntry}${pinned(remotes.sender, senderOverride)}`);
    log(`  receiver  ${receiverEntry}${pinned(remotes.receiver, receiverOverride)}`);
    log(
      `  hub       ${hubUrl}${hub ? ` (data ${options.data ?? HUB_DEFAULTS.dataDir}, broker ${hub.broker.kind})` : ""}`,
    );
    if (devApiKey) log(`  API key   ${devApiKey} (for /api/*; set SWITCHBOARD_API_KEY to choose one)`);

    let closing: Promise<void> | undefined;
    const system: RunningSystem = {
      hostUrl,
      senderEntry,
      receiverEntry,
      remotes,
      hubUrl,
      hub,
      servers: { host: hostApp, sender, receiver },
      close() {
        closing ??= closeAll(started);
        return closing;
      },
    };
    if (options.handleSignals !== false) {
      log("Press Ctrl+C to stop.");
      stopOnSignals(() => system.close());
    }
    return system;
  } catch (error) {
    await closeAll(started);
    throw error;
  }
}

/** A non-empty environment variable. */
function env(name: string): string | undefined {
  const value = process.env[name];
  return value ? value : undefined;
}

/** Closes the servers and drains the hub (its clients are told to reconnect), all at once. */
async function closeAll(started: ReadonlyArray<{ close(): Promise<void> }>): Promise<void> {
  const results = await Promise.allSettled([...started].reverse().map((item) => item.close()));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
}
