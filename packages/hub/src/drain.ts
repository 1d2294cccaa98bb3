/**
 * Stopping a node: every client gets 4100 (reconnect: true, to another node), HTTP requests in
 * flight get a grace period, then the broker closes. New upgrades are refused by the upgrade gate
 * as soon as the drain starts.
 */
import type { Server } from "node:http";
import { CloseCode } from "@switchboard/protocol";
import type { Broker } from "./brokers/broker.js";
import type { Logger } from "./logger.js";
import type { Session } from "./session.js";

/** How long clients get to finish their close handshake before their sockets are cut. */
const CLIENT_CLOSE_WAIT_MS = 3_000;
/** How long a drain lets HTTP requests in flight finish before their connections are cut. */
const HTTP_CLOSE_GRACE_MS = 2_000;

export interface DrainTargets {
  sessions: ReadonlySet<Session>;
  server: Server;
  broker: Broker;
  log: Logger;
}

export async function drainHub({ sessions, server, broker, log }: DrainTargets): Promise<void> {
  const all = [...sessions];
  const closed = all.map((s) => new Promise<void>((resolve) => s.ws.once("close", () => resolve())));
  for (const session of all) session.disconnect(CloseCode.SHUTDOWN);
  await raceTimeout(Promise.all(closed), CLIENT_CLOSE_WAIT_MS);
  // Sockets closed before the drain began cut themselves (Session.disconnect's grace timer).
  for (const session of all) session.ws.terminate();
  // close() waits for every connection to end; one still sending request headers (or keeping a
  // request open) would hold the drain until Node's own timeouts (minutes): give requests in
  // flight a grace period, then cut what is left.
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  await raceTimeout(serverClosed, HTTP_CLOSE_GRACE_MS);
  server.closeAllConnections();
  await serverClosed;
  await broker.close().catch((err: unknown) => log.warn({ err }, "broker close failed"));
  log.info("hub stopped");
}

async function raceTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
