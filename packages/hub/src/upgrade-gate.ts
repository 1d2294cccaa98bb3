/**
 * Which WebSocket upgrades the hub takes: only on /ws, none while draining (503), and from a
 * browser only when its Origin is in `allowedOrigins` (when set), and within the connection
 * limits (429 + Retry-After). Refusals are plain HTTP answers.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket, WebSocketServer } from "ws";
import type { HubConfig } from "./config.js";
import { CONNECTION_RETRY_AFTER_SECONDS, type ConnectionLimits } from "./connection-limits.js";

export const WEBSOCKET_PATH = "/ws";

export interface UpgradeGateOptions {
  config: HubConfig;
  wss: WebSocketServer;
  isDraining: () => boolean;
  connections: ConnectionLimits;
  /** A connection that passed the gate, with its TCP socket (pre-framed writes go straight to it). */
  onOpen: (ws: WebSocket, socket: Duplex) => void;
}

export function upgradeGate(options: UpgradeGateOptions) {
  const { config, wss, isDraining, onOpen, connections } = options;
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? "").split("?")[0];
    const origin = req.headers.origin;
    const refuse = (status: string, headers = "") => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n${headers}Content-Length: 0\r\n\r\n`);
    };
    if (path !== WEBSOCKET_PATH) return refuse("404 Not Found");
    if (isDraining()) return refuse("503 Service Unavailable");
    if (config.allowedOrigins && origin !== undefined && !config.allowedOrigins.includes(origin))
      return refuse("403 Forbidden");
    if (!connections.admit(socket))
      return refuse("429 Too Many Requests", `Retry-After: ${CONNECTION_RETRY_AFTER_SECONDS}\r\n`);
    wss.handleUpgrade(req, socket, head, (ws) => onOpen(ws, socket));
  };
}
