/**
 * The file half of the static servers: request path → a file inside the app's folder, and the
 * `Range` header → one byte span. Pure or read-only on purpose, so every odd request is a plain
 * answer (404, 416) and never an exception that could take `switchboard start` down
 * (docs/security.md).
 */
import { realpath } from "node:fs/promises";
import { extname, join, sep } from "node:path";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".zip": "application/zip",
};

export function contentTypeFor(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/**
 * The request target's path segments, or undefined when it cannot name a file of ours: not an
 * origin-form path, bad percent-encoding, NUL or backslash, `..`/`.` segments, or any dotfile
 * (the build stamp and other tool files are never served).
 */
export function pathSegments(target: string | undefined): string[] | undefined {
  if (!target?.startsWith("/") || target.startsWith("//")) return undefined;
  const raw = target.split(/[?#]/, 1)[0] ?? "";
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (/[\0\\]/.test(decoded)) return undefined;
  const segments = decoded.split("/").slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === "") {
    segments[segments.length - 1] = "index.html";
  }
  if (segments.some((segment) => segment === "" || segment.startsWith("."))) return undefined;
  return segments;
}

/**
 * The real path of `segments` under `root` (itself a real path), or undefined when it does not
 * exist or resolves — through a symlink anywhere on the way — outside `root`.
 */
export async function resolveInside(root: string, segments: readonly string[]): Promise<string | undefined> {
  try {
    const real = await realpath(join(root, ...segments));
    return real.startsWith(root + sep) ? real : undefined;
  } catch {
    return undefined;
  }
}

/** One inclusive byte span, as in `Content-Range: bytes start-end/size`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What to send for a `Range` header on a file of `size` bytes:
 * - "full": no header, another unit, or several ranges (a server may ignore Range; we do not do
 *   multipart answers);
 * - a ByteRange for one satisfiable `bytes=` range (suffix and open-ended forms included);
 * - "unsatisfiable" (416) for a `bytes=` range that is malformed, reversed (`5-2`) or past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "full" | "unsatisfiable" {
  if (header === undefined) return "full";
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!match) return "full";
  const spec = (match[1] ?? "").trim();
  if (spec.includes(",")) return "full";
  const parts = /^(\d*)-(\d*)$/.exec(spec);
  if (!parts) return "unsatisfiable";
  const [, first = "", last = ""] = parts;
  if (first === "" && last === "") return "unsatisfiable";
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return "unsatisfiable";
  if (last !== "" && Number(last) < start) return "unsatisfiable";
  return { start, end };
}
