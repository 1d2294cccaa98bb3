/**
 * One hub node: HTTP + WebSocket on one port, sessions, heartbeats, drain. Everything a
 * channel needs comes through the broker, so N nodes over Redis/NATS behave as one.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sessionAcceptor } from "./accept-session.js";
import { Authenticator } from "./auth.js";
import type { Broker } from "./brokers/broker.js";
import { createBroker, isEmbeddedBrokerSpec } from "./brokers/create-broker.js";
import { ChannelOps } from "./channel-ops.js";
import { ChannelRegistry } from "./channel-registry.js";
import { type HubConfig, parseConfig } from "./config.js";
import { ConnectionLimits } from "./connection-limits.js";
import { drainHub } from "./drain.js";
import { FlushScheduler } from "./flush-scheduler.js";
import { startHeartbeat } from "./heartbeat.js";
import { HttpApi } from "./http-api.js";
import type { HubContext } from "./hub-context.js";
import { HUB_DEFAULTS } from "./hub-defaults.js";
import { createSocketServer } from "./hub-socket.js";
import { createLogger, type Logger } from "./logger.js";
import { HubMetrics } from "./metrics.js";
import { startPresenceRefresh } from "./presence-refresh.js";
import { RequestHandler } from "./request-handler.js";
import type { Session } from "./session.js";
import { upgradeGate, WEBSOCKET_PATH } from "./upgrade-gate.js";

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

export async function startHub(options: HubOptions = {}): Promise<RunningHub> {
  const config = parseConfig(options.config ?? {});
  const limits = config.limits;
  const node = options.node ?? `hub-${randomBytes(3).toString("hex")}`;
  const log = options.logger ?? createLogger(options.logLevel ?? HUB_DEFAULTS.logLevel, node);
  // Keys first: a bad key file must fail startup before a broker is opened (and leaked).
  const auth = await Authenticator.create(config);
  const broker = await brokerFor(options);
  const metrics = new HubMetrics();
  const flusher = new FlushScheduler(limits.flushDelayMaxMs);
  const channels = new ChannelRegistry(
    broker,
    flusher,
    (count) => metrics.deliveries.inc(count),
    limits.joinLeaveMaxSubscribers,
    { windowMs: limits.presenceDiffWindowMs, occupancyIntervalMs: limits.occupancyIntervalMs },
  );
  const ctx: HubContext = {
    node,
    config,
    limits,
    broker,
    auth,
    channels,
    metrics,
    log,
    flusher,
  };
  await broker.start(channels.handleEvent);
  const ops = new ChannelOps(ctx);
  const handler = new RequestHandler(ctx, ops);
  const sessions = new Set<Session>();
  const http = new HttpApi(ctx, ops, options.apiKey ?? config.apiKey);
  const server: Server = createServer(
    {
      // Short, so a request dripping its headers or body cannot hold a socket for minutes.
      headersTimeout: Math.min(limits.httpHeadersTimeoutSeconds, limits.httpRequestTimeoutSeconds) * 1000,
      requestTimeout: limits.httpRequestTimeoutSeconds * 1000,
      connectionsCheckingInterval: Math.min(1000, limits.httpHeadersTimeoutSeconds * 500),
    },
    http.handle,
  );
  const wss = createSocketServer(limits);
  let draining = false;
  server.on(
    "upgrade",
    upgradeGate({
      config,
      wss,
      isDraining: () => draining,
      connections: new ConnectionLimits(limits.maxConnections, limits.maxConnectionsPerIp),
      onOpen: sessionAcceptor(ctx, handler, sessions),
    }),
  );
  const stopHeartbeat = startHeartbeat(sessions, limits.pingIntervalSeconds);
  const stopPresenceRefresh = startPresenceRefresh(sessions, ops, limits.presenceTtlSeconds);

  const host = options.host ?? HUB_DEFAULTS.host;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? HUB_DEFAULTS.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  log.info({ port, broker: broker.kind }, "hub listening");

  let closing: Promise<void> | undefined;
  const drain = (): Promise<void> => {
    closing ??= (() => {
      draining = true;
      stopHeartbeat();
      stopPresenceRefresh();
      return drainHub({ sessions, server, broker, log });
    })();
    return closing;
  };

  return {
    port,
    host,
    url: `ws://${urlHost}:${port}${WEBSOCKET_PATH}`,
    httpUrl: `http://${urlHost}:${port}`,
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

/** The broker instance given, or one built from its spec (the embedded one gets its folder). */
async function brokerFor(options: HubOptions): Promise<Broker> {
  const spec = options.broker ?? HUB_DEFAULTS.broker;
  if (typeof spec !== "string") return spec;
  const dataDir = options.dataDir ?? HUB_DEFAULTS.dataDir;
  if (isEmbeddedBrokerSpec(spec)) mkdirSync(dataDir, { recursive: true });
  return createBroker(spec, { dataDir, ...(options.prefix ? { prefix: options.prefix } : {}) });
}
