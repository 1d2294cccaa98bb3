/**
 * Serves one built front-end app (apps/<name>/dist) over HTTP: the host page, or a remote's
 * remoteEntry.js / mf-manifest.json and chunks. Remote entries are fetched cross-origin and must
 * never be stale (CORS + no-cache); content-hashed chunks never change (immutable).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sirv from "sirv";

export interface ServeAppOptions {
  /** The built app folder (its webpack output). */
  dir: string;
  /** 0 (the default) picks a free port; the real one is returned. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Served as /config.json (the host page's run-time config); a function is asked on every request. */
  configJson?: unknown;
}

export interface ServedApp {
  readonly port: number;
  readonly host: string;
  /** http://HOST:PORT of the bound address. */
  readonly url: string;
  /** Stops listening and drops open (keep-alive) connections, so the origin really goes away. */
  close(): Promise<void>;
}

/** webpack's `[name].[contenthash:10].js` (and its .map / .LICENSE.txt companions). */
const HASHED = /\.[0-9a-f]{8,}\.(?:js|css|map|txt|js\.map|js\.LICENSE\.txt)$/;
const IMMUTABLE = "public, max-age=31536000, immutable";

export function cacheControlFor(pathname: string): string {
  return HASHED.test(pathname) ? IMMUTABLE : "no-cache";
}

function setCommonHeaders(res: ServerResponse): void {
  // Public static assets: any page may load them (remote entries, manifests, source maps).
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("X-Content-Type-Options", "nosniff");
}

export async function serveApp(options: ServeAppOptions): Promise<ServedApp> {
  const host = options.host ?? "127.0.0.1";
  const files = sirv(options.dir, {
    etag: true,
    dev: false,
    setHeaders: (res, pathname) => res.setHeader("Cache-Control", cacheControlFor(pathname)),
  });
  const { configJson } = options;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    setCommonHeaders(res);
    if (req.method === "OPTIONS") {
      res.writeHead(204, { "Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Max-Age": "600" });
      res.end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD, OPTIONS", "Content-Type": "text/plain; charset=utf-8" });
      res.end("method not allowed\n");
      return;
    }
    const pathname = (req.url ?? "/").split("?")[0];
    if (pathname === "/config.json" && configJson !== undefined) {
      const value = typeof configJson === "function" ? (configJson as () => unknown)() : configJson;
      const body = `${JSON.stringify(value, null, 2)}\n`;
      res.writeHead(200, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(body),
        "Cache-Control": "no-store",
      });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    files(req, res, () => {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" });
      res.end("not found\n");
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    host,
    url: `http://${urlHost}:${address.port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
