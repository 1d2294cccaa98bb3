/** A real hub in-process on an ephemeral port, restartable on the same port and data folder. */
import type { HubOptions, RunningHub } from "@switchboard/hub";
import { httpRequest, waitFor as poll, startTestHub, tempDir } from "@switchboard/testkit";
import WebSocket from "ws";
import { type Client, type ClientOptions, createClient } from "../../src/index.js";

export const API_KEY = "client-test-key";
export { removeTempDirs, tempDir } from "@switchboard/testkit";

export async function hub(options: HubOptions = {}): Promise<RunningHub> {
  return startTestHub({ dataDir: options.dataDir ?? tempDir("sb-client-"), apiKey: API_KEY, ...options });
}

/** Closes `running` and starts a new hub on the same port (and, unless told otherwise, data folder). */
export async function restart(
  running: RunningHub,
  dataDir: string,
  options: HubOptions = {},
): Promise<RunningHub> {
  await running.close();
  return hub({ port: running.port, dataDir, ...options });
}

const clients: Client[] = [];

/** A client with `ws` and short backoff; closed by closeClients(). */
export function client(url: string | string[], options: Partial<ClientOptions> = {}): Client {
  const c = createClient({ urls: url, WebSocket, backoff: { initialMs: 20, maxMs: 200 }, ...options });
  clients.push(c);
  return c;
}

export function closeClients(): void {
  for (const c of clients.splice(0)) c.close();
}

/** A one-off HTTP request (no keep-alive: a restarted hub on the same port must not see a stale socket). */
async function request(
  url: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await httpRequest(url, { method, headers: { authorization: `Bearer ${API_KEY}` }, body });
  return { status: res.status, json: res.text ? JSON.parse(res.text) : undefined };
}

export async function httpPublish(
  running: RunningHub,
  channel: string,
  data: unknown,
  key?: string,
): Promise<{ epoch: string; offset: number }> {
  const res = await request(
    `${running.httpUrl}/api/publish`,
    "POST",
    key === undefined ? { channel, data } : { channel, data, key },
  );
  if (res.status !== 200) throw new Error(`publish failed: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as { epoch: string; offset: number };
}

export interface HistoryPage {
  epoch: string;
  offset: number;
  publications: Array<{ offset: number; data: unknown; key?: string }>;
}

export async function httpHistory(running: RunningHub, channel: string): Promise<HistoryPage> {
  const res = await request(
    `${running.httpUrl}/api/history?channel=${encodeURIComponent(channel)}&limit=1000`,
    "GET",
  );
  if (res.status !== 200) throw new Error(`history failed: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as HistoryPage;
}

/** The kit's waitFor in this suite's argument order (condition first). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  await poll(what, condition, { timeoutMs, intervalMs: 10 });
}

/** Resolves with the next `state` event of that state. */
export function nextState<S extends "connecting" | "connected" | "disconnected">(
  c: Client,
  state: S,
): Promise<Extract<Parameters<Parameters<Client["on"]>[1]>[0], { state: S }>> {
  return new Promise((resolve) => {
    const off = c.on("state", (event) => {
      if (event.state !== state) return;
      off();
      resolve(event as never);
    });
  });
}
