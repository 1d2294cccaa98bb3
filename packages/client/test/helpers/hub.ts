/** A real hub in-process on an ephemeral port, restartable on the same port and data folder. */
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HubOptions, type RunningHub, startHub } from "@switchboard/hub";
import WebSocket from "ws";
import { type Client, type ClientOptions, createClient } from "../../src/index.js";

export const API_KEY = "client-test-key";
const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sb-client-"));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function hub(options: HubOptions = {}): Promise<RunningHub> {
  return startHub({
    port: 0,
    dataDir: options.dataDir ?? tempDir(),
    logLevel: "silent",
    apiKey: API_KEY,
    ...options,
  });
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
function request(url: string, method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      url,
      {
        method,
        agent: false,
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
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

/** Polls `condition` until it holds or the deadline passes (no sleep-and-hope). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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
