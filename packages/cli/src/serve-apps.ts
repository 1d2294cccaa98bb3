/**
 * Serves one built front-end app (apps/<name>/dist) over HTTP: the host page, or a remote's
 * remoteEntry.js / mf-manifest.json and chunks. Remote entries are fetched cross-origin and must
 * never be stale (CORS + no-cache); content-hashed chunks never change (immutable). Nothing a
 * client sends can stop the process: every request ends in an answer or a closed socket
 * (docs/security.md lists the rules and why).
 */
import { createReadStream } from "node:fs";
import { type FileHandle, open, realpath } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { BASE_HEADERS, hostPageCsp, PAGE_HEADERS, type PagePolicy } from "./security-headers.js";
import { contentTypeFor, parseRange, pathSegments, resolveInside } from "./static-files.js";

export interface ServeAppOptions {
  /** The built app folder (its webpack output). */
  dir: string;
  /** 0 (the default) picks a free port; the real one is returned. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Served as /config.json (the host page's run-time config); a function is asked on every request. */
  configJson?: unknown;
  /**
   * The app's files are loaded by pages of other origins (a remote): CORS on everything but its
   * HTML. Default true; the host page's server sets false (nobody else needs its files).
   */
  crossOrigin?: boolean;
  /** This is the host page: its HTML is served with a CSP allowing exactly these origins. */
  pagePolicy?: PagePolicy;
  limits?: Partial<ServeLimits>;
}

export interface ServeLimits {
  /** Files up to this size are read whole, so Content-Length is the bytes really sent. */
  maxBufferedBytes: number;
  /** A client must finish its request headers within this time. */
  headersTimeoutMs: number;
  /** … and the whole request within this one. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const SERVE_DEFAULTS: Readonly<ServeLimits> = {
  maxBufferedBytes: 4 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

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

const CORS_HEADERS: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Cross-Origin-Resource-Policy": "cross-origin",
};

interface Context {
  root: string;
  crossOrigin: boolean;
  pagePolicy: PagePolicy | undefined;
  configJson: unknown;
  limits: ServeLimits;
}

function plain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-cache",
    ...headers,
  });
  res.end(text);
}

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [name, value] of Object.entries(BASE_HEADERS)) res.setHeader(name, value);
  const method = req.method ?? "";
  if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") {
    plain(res, 405, "method not allowed\n", { Allow: "GET, HEAD, OPTIONS" });
    return;
  }
  const segments = pathSegments(req.url);
  if (segments === undefined) {
    plain(res, 404, "not found\n");
    return;
  }
  const isConfig = segments.length === 1 && segments[0] === "config.json" && ctx.configJson !== undefined;
  if (method === "OPTIONS") {
    const cors = ctx.crossOrigin && !isConfig;
    res.writeHead(204, {
      Allow: "GET, HEAD, OPTIONS",
      ...(cors
        ? { ...CORS_HEADERS, "Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Max-Age": "600" }
        : {}),
    });
    res.end();
    return;
  }
  if (isConfig) {
    const value = typeof ctx.configJson === "function" ? (ctx.configJson as () => unknown)() : ctx.configJson;
    const body = `${JSON.stringify(value, null, 2)}\n`;
    res.writeHead(200, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
      "Cache-Control": "no-store",
      "Cross-Origin-Resource-Policy": "same-origin",
    });
    res.end(method === "HEAD" ? undefined : body);
    return;
  }
  const file = await resolveInside(ctx.root, segments);
  if (file === undefined) {
    plain(res, 404, "not found\n");
    return;
  }
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch {
    plain(res, 404, "not found\n");
    return;
  }
  let handedOver = false;
  try {
    handedOver = await sendFile(ctx, req, res, fh, segments.join("/"));
  } finally {
    if (!handedOver) await fh.close().catch(() => undefined);
  }
}

/** Sends an open file; true when a stream took over the handle (it closes it). */
async function sendFile(
  ctx: Context,
  req: IncomingMessage,
  res: ServerResponse,
  fh: FileHandle,
  name: string,
): Promise<boolean> {
  const stats = await fh.stat();
  if (!stats.isFile()) {
    plain(res, 404, "not found\n");
    return false;
  }
  const html = name.endsWith(".html");
  // Read small files whole: their length is then the bytes sent, even if the file changes meanwhile.
  const buffered = stats.size <= ctx.limits.maxBufferedBytes ? await fh.readFile() : undefined;
  const size = buffered?.length ?? stats.size;
  const etag = `W/"${size.toString(16)}-${Math.trunc(stats.mtimeMs).toString(16)}"`;
  const headers: Record<string, string> = {
    "Content-Type": contentTypeFor(name),
    "Cache-Control": cacheControlFor(name),
    ETag: etag,
    "Last-Modified": stats.mtime.toUTCString(),
    "Accept-Ranges": "bytes",
    ...(ctx.crossOrigin && !html ? CORS_HEADERS : { "Cross-Origin-Resource-Policy": "same-origin" }),
    ...(html ? PAGE_HEADERS : {}),
  };
  if (html && ctx.pagePolicy && buffered) {
    headers["Content-Security-Policy"] = hostPageCsp(ctx.pagePolicy, buffered.toString("utf8"));
  }
  const inm = req.headers["if-none-match"];
  if (inm?.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*")) {
    res.writeHead(304, headers);
    res.end();
    return false;
  }
  const ifRange = req.headers["if-range"];
  const range =
    req.method === "GET" && (ifRange === undefined || ifRange === etag)
      ? parseRange(req.headers.range, size)
      : "full";
  if (range === "unsatisfiable") {
    plain(res, 416, "range not satisfiable\n", { "Content-Range": `bytes */${size}` });
    return false;
  }
  const start = range === "full" ? 0 : range.start;
  const end = range === "full" ? size - 1 : range.end;
  const length = Math.max(0, end - start + 1);
  if (range !== "full") headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
  headers["Content-Length"] = String(length);
  res.writeHead(range === "full" ? 200 : 206, headers);
  if (req.method === "HEAD" || length === 0) {
    res.end();
    return false;
  }
  if (buffered) {
    res.end(buffered.subarray(start, end + 1));
    return false;
  }
  streamExactly(res, fh, start, end, length);
  return true;
}

/** Streams [start, end] of a big file; if it shrank meanwhile, the socket is cut rather than reused. */
function streamExactly(
  res: ServerResponse,
  fh: FileHandle,
  start: number,
  end: number,
  length: number,
): void {
  const stream = createReadStream("", { fd: fh, start, end, autoClose: true });
  let sent = 0;
  stream.on("data", (chunk) => {
    sent += chunk.length;
    if (!res.write(chunk)) stream.pause();
  });
  res.on("drain", () => stream.resume());
  res.on("close", () => stream.destroy());
  stream.on("error", () => res.destroy());
  stream.on("end", () => {
    if (sent === length) res.end();
    else res.destroy();
  });
}

export async function serveApp(options: ServeAppOptions): Promise<ServedApp> {
  const host = options.host ?? "127.0.0.1";
  const limits = { ...SERVE_DEFAULTS, ...options.limits };
  const ctx: Context = {
    // A folder not built yet serves 404s (the check below compares real paths).
    root: await realpath(options.dir).catch(() => resolve(options.dir)),
    crossOrigin: options.crossOrigin ?? true,
    pagePolicy: options.pagePolicy,
    configJson: options.configJson,
    limits,
  };

  const server = createServer((req, res) => {
    req.on("error", () => res.destroy());
    res.on("error", () => undefined);
    handle(ctx, req, res).catch(() => {
      // A bug or an I/O error: answer if we still can, else drop the connection; never throw.
      if (res.headersSent) res.destroy();
      else plain(res, 500, "internal error\n");
    });
  });
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
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
