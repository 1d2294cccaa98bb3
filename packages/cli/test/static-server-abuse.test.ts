/**
 * The static servers of `switchboard start` under hostile requests, over real sockets: no request
 * stops the process (reversed and garbage ranges, any method, odd and encoded paths, traversal,
 * symlinks out of dist/, huge headers, random bytes), Content-Length always matches the bytes
 * sent, and the host page's CSP names exactly its origins (docs/security.md).
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostPageCsp } from "../src/security-headers.js";
import { type ServedApp, serveApp } from "../src/serve-apps.js";

const ENTRY = "var switchboard_sender = 'entry';\n"; // 34 bytes
const STYLE = "body{margin:0}";
const PAGE = `<!doctype html><html><head><style>${STYLE}</style></head><body><div id="root"></div><script defer src="main.js"></script></body></html>`;

/**
 * Sends raw bytes, returns everything the server answered until it closed the connection.
 * `halfClose` also ends our side (for garbage that never forms a request); without it the request
 * must ask for `Connection: close`.
 */
function raw(port: number, request: string | Buffer, halfClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error) => {
      // A reset after a refused request is an answer too: the server cut the connection.
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET")
        resolve(Buffer.concat(chunks).toString("latin1"));
      else reject(error);
    });
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

describe("static server under abuse", () => {
  let base: string;
  let dir: string;
  let app: ServedApp;
  let big: ServedApp;

  const get = (path: string, init?: RequestInit, server = app) => fetch(`${server.url}${path}`, init);
  const alive = async () => {
    const response = await get("/remoteEntry.js");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(ENTRY);
  };

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "switchboard-abuse-"));
    dir = join(base, "dist");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(base, "secret.txt"), "outside dist\n");
    writeFileSync(join(dir, "index.html"), PAGE);
    writeFileSync(join(dir, "remoteEntry.js"), ENTRY);
    writeFileSync(join(dir, "sub", "chunk.js"), "chunk");
    writeFileSync(join(dir, "empty.js"), "");
    symlinkSync(join(base, "secret.txt"), join(dir, "leak.js"));
    symlinkSync(base, join(dir, "up"));
    symlinkSync(join(dir, "remoteEntry.js"), join(dir, "alias.js"));
    app = await serveApp({ dir, port: 0 });
    // Everything above 8 bytes streamed from disk instead of read whole.
    big = await serveApp({ dir, port: 0, limits: { maxBufferedBytes: 8 } });
  });

  afterAll(async () => {
    await Promise.all([app.close(), big.close()]);
    rmSync(base, { recursive: true, force: true });
  });

  it("answers a reversed range (the request that stopped `start`) with 416 and keeps serving", async () => {
    for (const server of [app, big]) {
      const response = await get("/remoteEntry.js", { headers: { range: "bytes=5-2" } }, server);
      expect(response.status).toBe(416);
      expect(response.headers.get("content-range")).toBe(`bytes */${ENTRY.length}`);
      await response.arrayBuffer();
    }
    await alive();
  });

  it("serves one satisfiable range as 206, ignores several or other units, refuses the rest", async () => {
    const cases: Array<[string, number, string?]> = [
      ["bytes=0-3", 206, ENTRY.slice(0, 4)],
      ["bytes=4-", 206, ENTRY.slice(4)],
      ["bytes=-5", 206, ENTRY.slice(-5)],
      ["bytes=30-9999", 206, ENTRY.slice(30)],
      ["bytes=-9999", 206, ENTRY],
      ["bytes=0-1,4-5", 200, ENTRY],
      ["items=0-1", 200, ENTRY],
      ["bytes=34-", 416],
      ["bytes=-0", 416],
      ["bytes=-", 416],
      ["bytes=abc", 416],
      ["bytes=1-2-3", 416],
      ["bytes=99999999999999999999999-", 416],
      ["bytes= 0 - 3", 416],
    ];
    for (const server of [app, big]) {
      for (const [range, status, body] of cases) {
        const response = await get("/remoteEntry.js", { headers: { range } }, server);
        expect(response.status, range).toBe(status);
        const text = await response.text();
        if (body !== undefined) {
          expect(text, range).toBe(body);
          expect(Number(response.headers.get("content-length")), range).toBe(Buffer.byteLength(body));
        }
      }
    }
    const empty = await get("/empty.js", { headers: { range: "bytes=0-0" } });
    expect(empty.status).toBe(416);
    await alive();
  });

  it("survives random Range headers (property test): 200, 206 or 416, and the bytes match", async () => {
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc
            .tuple(fc.option(fc.nat(80)), fc.option(fc.nat(80)))
            .map(([a, b]) => `bytes=${a ?? ""}-${b ?? ""}`),
        ),
        async (range) => {
          cases += 1;
          const response = await get("/remoteEntry.js", { headers: { range } }).catch(() => undefined);
          if (response === undefined) return; // fetch itself refused the header value
          expect([200, 206, 416]).toContain(response.status);
          const body = Buffer.from(await response.arrayBuffer());
          expect(body.length).toBe(Number(response.headers.get("content-length")));
          if (response.status === 206) {
            const [, start] = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "") ?? [];
            expect(body.toString()).toBe(ENTRY.slice(Number(start), Number(start) + body.length));
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(cases).toBeGreaterThanOrEqual(300);
    await alive();
  });

  it("answers every method: GET/HEAD/OPTIONS served, anything else 405, CONNECT cut", async () => {
    const head = await get("/remoteEntry.js", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(ENTRY.length));
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "PROPFIND"]) {
      const response = await get("/remoteEntry.js", { method, body: "x" });
      expect(response.status, method).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    }
    for (const method of ["TRACE", "CONNECT", "M-SEARCH", "PURGE", "FOO", "get"]) {
      const answer = await raw(
        app.port,
        `${method} /remoteEntry.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect([0, 400, 405], `${method}: ${answer.slice(0, 40)}`).toContain(statusOf(answer));
    }
    await alive();
  });

  it("never leaves dist/: traversal, encoded dots, backslashes, NUL, symlinks out", async () => {
    const targets = [
      "/../secret.txt",
      "/%2e%2e/secret.txt",
      "/sub/..%2f..%2fsecret.txt",
      "/sub/%2e%2e/%2e%2e/secret.txt",
      "/..%5csecret.txt",
      "/sub\\..\\..\\secret.txt",
      "/remoteEntry.js%00.png",
      "//etc/passwd",
      "/leak.js",
      "/up/secret.txt",
      "/%E0%A4%A",
      "/%",
      "/.%2e/secret.txt",
      "*",
      "http://evil.example/remoteEntry.js",
      "remoteEntry.js",
    ];
    for (const target of targets) {
      const answer = await raw(app.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer, target).not.toContain("outside dist");
      expect([400, 404], target).toContain(statusOf(answer));
    }
    // A symlink that stays inside dist/ is fine.
    expect(await (await get("/alias.js")).text()).toBe(ENTRY);
    expect(await (await get("/sub/chunk.js")).text()).toBe("chunk");
    expect((await get("/sub")).status).toBe(404);
    await alive();
  });

  it("refuses huge headers (431) and random bytes without stopping", async () => {
    const huge = await raw(
      app.port,
      `GET /remoteEntry.js HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(100_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(statusOf(huge)).toBe(431);
    const many = Array.from({ length: 2_000 }, (_, i) => `X-H${i}: v\r\n`).join("");
    const answer = await raw(app.port, `GET / HTTP/1.1\r\nHost: x\r\n${many}Connection: close\r\n\r\n`);
    expect([200, 400, 431]).toContain(statusOf(answer));
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        cases += 1;
        await raw(app.port, Buffer.from(bytes), true);
      }),
      { numRuns: 200 },
    );
    expect(cases).toBe(200);
    await alive();
  });

  it("sends the file as it is now: Content-Length matches the bytes, on a reused connection", async () => {
    const path = join(dir, "changing.js");
    for (const server of [app, big]) {
      for (const body of ["short", "a much longer body than before", "x"]) {
        writeFileSync(path, body);
        // fetch keeps the connection alive: a wrong length would corrupt the next answer.
        for (let i = 0; i < 2; i++) {
          const response = await get("/changing.js", undefined, server);
          expect(response.headers.get("content-length")).toBe(String(body.length));
          expect(await response.text()).toBe(body);
        }
      }
    }
    const pipelined = await raw(
      app.port,
      "GET /changing.js HTTP/1.1\r\nHost: x\r\n\r\nGET /remoteEntry.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(pipelined.endsWith(ENTRY)).toBe(true);
    expect(pipelined.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
  });

  it("serves the host page with a CSP naming exactly its origins, and nobody else's CORS", async () => {
    const hostPage = await serveApp({
      dir,
      port: 0,
      crossOrigin: false,
      configJson: { hubUrl: "ws://localhost:7700/ws" },
      pagePolicy: {
        remotes: ["http://localhost:3001/remoteEntry.js", "https://cdn.example/receiver/remoteEntry.js"],
        hubUrl: "ws://localhost:7700/ws",
      },
    });
    try {
      const page = await get("/", undefined, hostPage);
      const csp = page.headers.get("content-security-policy") ?? "";
      const directive = (name: string) =>
        csp
          .split(";")
          .map((d) => d.trim().split(/\s+/))
          .find(([n]) => n === name)
          ?.slice(1);
      expect(directive("default-src")).toEqual(["'none'"]);
      expect(directive("script-src")).toEqual(["'self'", "http://localhost:3001", "https://cdn.example"]);
      expect(directive("connect-src")).toEqual([
        "'self'",
        "http://localhost:3001",
        "https://cdn.example",
        "ws://localhost:7700",
        "http://localhost:7700",
      ]);
      const styleHash = `'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`;
      expect(directive("style-src")).toContain(styleHash);
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(directive("frame-ancestors")).toEqual(["'none'"]);
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      expect(page.headers.get("referrer-policy")).toBe("no-referrer");
      expect(csp).toBe(
        hostPageCsp(
          {
            remotes: ["http://localhost:3001/x.js", "https://cdn.example/y"],
            hubUrl: "ws://localhost:7700/ws",
          },
          PAGE,
        ),
      );
      for (const path of ["/", "/remoteEntry.js", "/config.json"]) {
        const response = await get(path, undefined, hostPage);
        expect(response.headers.get("access-control-allow-origin"), path).toBeNull();
        await response.arrayBuffer();
      }
    } finally {
      await hostPage.close();
    }
  });
});
