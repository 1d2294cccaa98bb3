/** The static server behind `switchboard start`: caching and CORS rules for federated entries (abuse: static-server-abuse.test.ts). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedApp, serveApp } from "../src/serve-apps.js";

describe("serveApp", () => {
  let dir: string;
  let app: ServedApp;
  let hits = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "switchboard-serve-"));
    mkdirSync(join(dir, "sub"));
    for (const [name, body] of Object.entries({
      "index.html": "<!doctype html><title>t</title>",
      "remoteEntry.js": "var sender;",
      "mf-manifest.json": "{}",
      "main.js": "1",
      "144.1c9a3b9999.js": "2",
      "144.1c9a3b9999.js.map": "{}",
      ".switchboard-build": "stamp",
    })) {
      writeFileSync(join(dir, name), body);
    }
    app = await serveApp({
      dir,
      port: 0,
      configJson: () => ({ hubUrl: "ws://h/ws", hits: ++hits }),
    });
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, init?: RequestInit) => fetch(`${app.url}${path}`, init);

  it("listens on a free port when given 0 and reports it", () => {
    expect(app.port).toBeGreaterThan(0);
    expect(app.url).toBe(`http://127.0.0.1:${app.port}`);
  });

  it("serves remote entries cross-origin and never stale; its pages same-origin only", async () => {
    for (const path of ["/remoteEntry.js", "/mf-manifest.json", "/main.js", "/index.html", "/"]) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      const page = path.endsWith("/") || path.endsWith(".html");
      expect(response.headers.get("access-control-allow-origin"), path).toBe(page ? null : "*");
      expect(response.headers.get("cross-origin-resource-policy"), path).toBe(
        page ? "same-origin" : "cross-origin",
      );
      expect(response.headers.get("cache-control"), path).toBe("no-cache");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), path).toBe("no-referrer");
    }
    expect((await get("/")).headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
    expect((await get("/config.json")).headers.get("access-control-allow-origin")).toBeNull();
    expect((await get("/remoteEntry.js")).headers.get("content-type")).toMatch(/javascript/);
  });

  it("marks content-hashed chunks immutable", async () => {
    for (const path of ["/144.1c9a3b9999.js", "/144.1c9a3b9999.js.map"]) {
      const response = await get(path);
      expect(response.headers.get("cache-control"), path).toBe("public, max-age=31536000, immutable");
    }
  });

  it("serves /config.json generated per request", async () => {
    const first = await get("/config.json");
    expect(first.headers.get("cache-control")).toBe("no-store");
    const { hits: before } = await first.json();
    expect(await (await get("/config.json")).json()).toEqual({ hubUrl: "ws://h/ws", hits: before + 1 });
  });

  it("answers preflights, refuses writes, hides dotfiles, 404s the rest", async () => {
    expect((await get("/remoteEntry.js", { method: "OPTIONS" })).status).toBe(204);
    expect((await get("/remoteEntry.js", { method: "POST", body: "x" })).status).toBe(405);
    expect((await get("/.switchboard-build")).status).toBe(404);
    expect((await get("/nope.js")).status).toBe(404);
  });

  it("really goes away on close, open connections included", async () => {
    const other = await serveApp({ dir, port: 0 });
    expect((await fetch(`${other.url}/main.js`)).status).toBe(200);
    await other.close();
    await expect(fetch(`${other.url}/main.js`)).rejects.toThrow();
    // …and the same port can be served again (a remote coming back).
    const again = await serveApp({ dir, port: other.port });
    expect((await fetch(`${again.url}/main.js`)).status).toBe(200);
    await again.close();
  });
});
