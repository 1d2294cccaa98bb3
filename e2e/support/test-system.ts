/**
 * The whole system on free ports for browser tests: a hub this test controls (so it can restart
 * it on the same port and data folder) and the three apps served by `runStart`, each on its own
 * origin, with the host's /config.json carrying the real URLs.
 */
import { type Client, createClient } from "@switchboard/client";
import type { RunningHub } from "@switchboard/hub";
import { httpRequest, startTestHub } from "@switchboard/testkit";
import WebSocket from "ws";
import { appDist, defaultAppsDir } from "../../packages/cli/src/build-apps.js";
import { type ServedApp, serveApp } from "../../packages/cli/src/serve-apps.js";
import { type RunningSystem, runStart } from "../../packages/cli/src/start-command.js";

export const API_KEY = "e2e-api-key";

export interface TestSystem {
  readonly hubUrl: string;
  readonly hubHttpUrl: string;
  readonly hostUrl: string;
  readonly senderOrigin: string;
  readonly receiverOrigin: string;
  readonly hub: RunningHub;
  /** Drains the hub and starts a new one on the same port and data folder. */
  restartHub(between?: () => Promise<void>): Promise<void>;
  /** Takes the sender's origin off the network (connections refused) … */
  stopSender(): Promise<void>;
  /** … and brings it back on the same port. */
  startSender(): Promise<void>;
  /** A Node client on the hub (tests publish through it like any other module would). */
  nodeClient(name: string): Client;
  publishHttp(channel: string, data: unknown): Promise<{ epoch: string; offset: number }>;
  close(): Promise<void>;
}

export async function startTestSystem(log: (line: string) => void = () => undefined): Promise<TestSystem> {
  let hub = await startTestHub({ host: "127.0.0.1", apiKey: API_KEY });
  const hubPort = hub.port;
  const hubUrl = `ws://127.0.0.1:${hubPort}/ws`;
  const hubHttpUrl = `http://127.0.0.1:${hubPort}`;
  const system: RunningSystem = await runStart({
    portBase: 0,
    host: "127.0.0.1",
    publicHost: "127.0.0.1",
    hubUrl,
    handleSignals: false,
    log,
  });
  const senderPort = system.servers.sender.port;
  let sender: ServedApp | undefined = system.servers.sender;
  const clients: Client[] = [];

  return {
    hubUrl,
    hubHttpUrl,
    hostUrl: system.hostUrl,
    senderOrigin: new URL(system.senderEntry).origin,
    receiverOrigin: new URL(system.receiverEntry).origin,
    get hub() {
      return hub;
    },
    async restartHub(between) {
      hub = await hub.restart({ drain: true, between });
    },
    async stopSender() {
      await sender?.close();
      sender = undefined;
    },
    async startSender() {
      sender = await serveApp({
        dir: appDist(defaultAppsDir(), "sender"),
        port: senderPort,
        host: "127.0.0.1",
      });
    },
    nodeClient(name) {
      const client = createClient({ urls: hubUrl, name, WebSocket });
      clients.push(client);
      return client;
    },
    async publishHttp(channel, data) {
      const response = await httpRequest(`${hubHttpUrl}/api/publish`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}` },
        body: { channel, data },
      });
      if (response.status !== 200) throw new Error(`publish: HTTP ${response.status} ${response.text}`);
      return JSON.parse(response.text) as { epoch: string; offset: number };
    },
    async close() {
      for (const client of clients) client.close();
      await Promise.allSettled([system.close(), sender?.close(), hub.dispose()]);
    },
  };
}
