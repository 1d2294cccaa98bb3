/**
 * One hub node: HTTP + WebSocket on one port, sessions, heartbeats, drain. Everything a
 * channel needs comes through the broker, so N nodes over Redis/NATS behave as one.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { CloseCode, disconnectFrame, encodeFrame, namespaceOf, SUBPROTOCOL } from "@switchboard/protocol";
import { WebSocket, WebSocketServer } from "ws";
import { Authenticator } from "./auth.js";
import type { Broker } from "./brokers/broker.js";
import { createBroker, isEmbeddedBrokerSpec } from "./brokers/create-broker.js";
import { ChannelOps } from "./channel-ops.js";
import { ChannelRegistry } from "./channel-registry.js";
import { type HubConfig, namespacePolicy, parseConfig } from "./config.js";
import { FlushScheduler } from "./flush-scheduler.js";
import { HttpApi } from "./http-api.js";
import type { HubContext } from "./hub-context.js";
import { HUB_DEFAULTS } from "./hub-defaults.js";
import { createLogger, type Logger } from "./logger.js";
import { HubMetrics } from "./metrics.js";
import { RequestHandler } from "./request-handler.js";
import { Session } from "./session.js";

export interface HubOptions {
  /** Default HUB_DEFAULTS.port; 0 picks a free port. */
  port?: number;
  /** Default HUB_DEFAULTS.host. */
  host?: string;
  /** Node id reported in `connected`; generated when absent. */
  node?: string;
  /** A broker instance, or a spec: "sqlite" (default; alias "memory"), "redis://HOST:PORT", "nats://HOST:PORT". */
  broker?: Broker | string;
  /** Embedded store folder (created if missing). Default HUB_DEFAULTS.dataDir. */
  dataDir?: string;
  /** Key / subject prefix in a shared engine. */
  prefix?: string;
  /** The config object (docs/operations.md); validated here unless it came from parseConfig. */
  config?: unknown;
  /**
   * API key for /api/*; wins over config.apiKey. The hub reads no environment variables: the CLI
   * passes SWITCHBOARD_API_KEY here.
   */
  apiKey?: string;
  logLevel?: string;
  logger?: Logger;
}

export interface RunningHub {
  readonly port: number;
  readonly host: string;
  /** ws://HOST:PORT/ws */
  readonly url: string;
  /** http://HOST:PORT */
  readonly httpUrl: string;
  readonly node: string;
  readonly broker: Broker;
  readonly config: HubConfig;
  /** Connected sessions right now. */
  readonly sessionCount: number;
  /** Closes every client with 4100 (reconnect: true), stops, and closes the broker. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** How long a drain lets HTTP requests in flight finish before their connections are cut. */
const HTTP_CLOSE_GRACE_MS = 2_000;

/** ws closes oversized messages itself (1009); tell the client why first, as docs/protocol.md says. */
class HubSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    if (code === CloseCode.MESSAGE_TOO_BIG && this.readyState === WebSocket.OPEN)
      this.send(encodeFrame(disconnectFrame(code)));
    super.close(code, data);
  }
}

export async function startHub(options: HubOptions = {}): Promise<RunningHub> {
  const config = parseConfig(options.config ?? {});
  const limits = config.limits;
  const node = options.node ?? `hub-${randomBytes(3).toString("hex")}`;
  const log = options.logger ?? createLogger(options.logLevel ?? HUB_DEFAULTS.logLevel, node);
  const dataDir = options.dataDir ?? HUB_DEFAULTS.dataDir;
  const brokerSpec = options.broker ?? HUB_DEFAULTS.broker;
  if (typeof brokerSpec === "string" && isEmbeddedBrokerSpec(brokerSpec))
    mkdirSync(dataDir, { recursive: true });
  const broker =
    typeof brokerSpec === "string"
      ? await createBroker(brokerSpec, { dataDir, ...(options.prefix ? { prefix: options.prefix } : {}) })
      : brokerSpec;
  const metrics = new HubMetrics();
  const channels = new ChannelRegistry(broker, (count) => metrics.deliveries.inc(count));
  const ctx: HubContext = {
    node,
    config,
    limits,
    broker,
    auth: await Authenticator.create(config),
    channels,
    metrics,
    log,
    flusher: new FlushScheduler(limits.flushDelayMaxMs),
  };
  await broker.start(channels.handleEvent);
  const ops = new ChannelOps(ctx);
  const handler = new RequestHandler(ctx, ops);
  const sessions = new Set<Session>();
  const apiKey = options.apiKey ?? config.apiKey;
  const http = new HttpApi(ctx, ops, apiKey);
  const server: Server = createServer(http.handle);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    WebSocket: HubSocket,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  let draining = false;

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0];
    const origin = req.headers.origin;
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path !== "/ws") return refuse("404 Not Found");
    if (draining) return refuse("503 Service Unavailable");
    if (config.allowedOrigins && origin !== undefined && !config.allowedOrigins.includes(origin))
      return refuse("403 Forbidden");
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, socket));
  });

  function accept(ws: WebSocket, socket: Duplex): void {
    const session = new Session(ws, socket, ctx, handler.announceLeave);
    sessions.add(session);
    metrics.connections.inc();
    const connectTimer = setTimeout(() => {
      if (session.phase === "connecting" || session.phase === "authenticating")
        session.disconnect(CloseCode.UNAUTHORIZED, "no connect frame in time");
    }, limits.connectTimeoutSeconds * 1000);
    session.onClosed(() => {
      clearTimeout(connectTimer);
      sessions.delete(session);
      metrics.connections.dec();
      for (const channel of session.subscriptions.channels()) handler.leave(session, channel);
    });
    ws.on("message", (data, isBinary) => {
      if (isBinary)
        return session.disconnect(
          CloseCode.PROTOCOL_VIOLATION,
          "binary messages are not part of the protocol",
        );
      try {
        handler.handleMessage(session, data.toString());
      } catch (err) {
        log.error({ err, client: session.id }, "message handling failed");
        session.disconnect(CloseCode.PROTOCOL_VIOLATION, "internal error");
      }
    });
    ws.on("close", () => session.markClosed());
    ws.on("error", (err) => log.debug({ err, client: session.id }, "socket error"));
  }

  const pingMs = limits.pingIntervalSeconds * 1000;
  const heartbeat = setInterval(() => {
    const silentSince = Date.now() - 2 * pingMs;
    for (const session of sessions) {
      if (session.phase !== "open") continue;
      if (session.lastSeen < silentSince) session.disconnect(CloseCode.HEARTBEAT_MISSED);
      else session.send({ type: "ping" });
    }
  }, pingMs);
  heartbeat.unref();

  // Presence entries expire in the broker unless refreshed, so a dead node's clients disappear.
  const presenceTimer = setInterval(
    () => {
      for (const session of sessions) {
        for (const channel of session.subscriptions.joinedChannels()) {
          if (!namespacePolicy(config, namespaceOf(channel))?.presence) continue;
          broker.presenceAdd(channel, session.info, limits.presenceTtlSeconds).catch(() => undefined);
        }
      }
    },
    (limits.presenceTtlSeconds * 1000) / 3,
  );
  presenceTimer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? HUB_DEFAULTS.port, options.host ?? HUB_DEFAULTS.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? HUB_DEFAULTS.host;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  log.info({ port: address.port, broker: broker.kind }, "hub listening");

  let closing: Promise<void> | undefined;
  const drain = (): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      clearInterval(heartbeat);
      clearInterval(presenceTimer);
      const closed = [...sessions].map(
        (s) => new Promise<void>((resolve) => s.ws.once("close", () => resolve())),
      );
      for (const session of [...sessions]) session.disconnect(CloseCode.SHUTDOWN);
      await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 3000))]);
      for (const ws of wss.clients) ws.terminate();
      // close() waits for every connection to end; one still sending request headers (or
      // keeping a request open) would hold the drain until Node's own timeouts (minutes): give
      // requests in flight a grace period, then cut what is left.
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([serverClosed, new Promise((r) => (grace = setTimeout(r, HTTP_CLOSE_GRACE_MS)))]);
      clearTimeout(grace);
      server.closeAllConnections();
      await serverClosed;
      await broker.close().catch((err: unknown) => log.warn({ err }, "broker close failed"));
      log.info("hub stopped");
    })();
    return closing;
  };

  return {
    port: address.port,
    host,
    url: `ws://${urlHost}:${address.port}/ws`,
    httpUrl: `http://${urlHost}:${address.port}`,
    node,
    broker,
    config,
    get sessionCount() {
      return sessions.size;
    },
    drain,
    close: drain,
  };
}
