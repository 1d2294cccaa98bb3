/** `runStart` (behind `switchboard start`) on free ports: hub + three origins, config pointing at them. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_NAMES, appDist, buildApps, defaultAppsDir } from "../src/build-apps.js";
import { integrityOf } from "../src/remote-integrity.js";
import { type RunningSystem, runStart } from "../src/start-command.js";

describe("runStart", () => {
  let dataDir: string;
  let system: RunningSystem;
  const lines: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "switchboard-start-"));
    system = await runStart({
      portBase: 0,
      data: dataDir,
      logLevel: "silent",
      handleSignals: false,
      log: (line) => lines.push(line),
    });
  }, 240_000);

  afterAll(async () => {
    await system?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("starts the hub and the three apps on distinct free ports", async () => {
    const { host, sender, receiver } = system.servers;
    const ports = [host.port, sender.port, receiver.port, system.hub?.port];
    expect(new Set(ports).size).toBe(4);
    expect(ports.every((port) => typeof port === "number" && port > 0)).toBe(true);
    expect((await fetch(`${system.hub?.httpUrl}/healthz`)).status).toBe(200);
    expect(lines.join("\n")).toContain(system.hostUrl);
  });

  it("tells the host page the real URLs in /config.json", async () => {
    const config = await (await fetch(`${system.servers.host.url}/config.json`)).json();
    const pin = (app: "sender" | "receiver") =>
      integrityOf(readFileSync(join(appDist(defaultAppsDir(), app), "remoteEntry.js")));
    expect(config).toEqual({
      hubUrl: `ws://localhost:${system.hub?.port}/ws`,
      remotes: {
        sender: { entry: system.senderEntry, integrity: pin("sender") },
        receiver: { entry: system.receiverEntry, integrity: pin("receiver") },
      },
    });
    expect(system.remotes.sender).toEqual(config.remotes.sender);
    expect(system.senderEntry).toBe(`http://localhost:${system.servers.sender.port}/remoteEntry.js`);
  });

  it("serves the built apps: the host page and each remote's entry and manifest", async () => {
    const page = await fetch(system.servers.host.url);
    expect(await page.text()).toMatch(/<div id="?root"?>/);
    for (const server of [system.servers.sender, system.servers.receiver]) {
      expect((await fetch(`${server.url}/remoteEntry.js`)).status).toBe(200);
      expect((await fetch(`${server.url}/mf-manifest.json`)).status).toBe(200);
    }
  });
  it("makes up an API key for local development, prints it, and the HTTP API takes it", async () => {
    const line = lines.find((l) => l.includes("API key"));
    const key = /API key\s+(\S+)/.exec(line ?? "")?.[1];
    expect(key).toMatch(/^dev-/);
    const publish = (authorization: string) =>
      fetch(`${system.hub?.httpUrl}/api/publish`, {
        method: "POST",
        headers: { authorization },
        body: JSON.stringify({ channel: "chat:start", data: "via http" }),
      });
    expect((await publish("Bearer wrong")).status).toBe(401);
    const ok = await publish(`Bearer ${key}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ offset: 1 });
  });

  it("tells the page remote and hub URLs given by environment, without rebuilding the host", async () => {
    const saved = { ...process.env };
    process.env.SWITCHBOARD_SENDER_URL = "https://cdn.example/sender/remoteEntry.js";
    process.env.SWITCHBOARD_HUB_URL = system.hubUrl;
    try {
      const moved = await runStart({ portBase: 0, build: false, handleSignals: false, log: () => undefined });
      try {
        expect(moved.hub).toBeUndefined(); // an existing hub: none started
        const config = await (await fetch(`${moved.servers.host.url}/config.json`)).json();
        expect(config).toEqual({
          hubUrl: system.hubUrl,
          // Deployed elsewhere: not ours to pin; the local receiver still is.
          remotes: {
            sender: "https://cdn.example/sender/remoteEntry.js",
            receiver: { entry: moved.receiverEntry, integrity: expect.stringMatching(/^sha384-/) },
          },
        });
      } finally {
        await moved.close();
      }
    } finally {
      process.env = saved;
    }
  });

  it("does not rebuild on a second start, nor after `npm run build` (which writes no stamp)", async () => {
    const dists = APP_NAMES.map((app) => appDist(defaultAppsDir(), app));
    const entryMtimes = () => dists.map((dist) => statSync(join(dist, "index.html")).mtimeMs);
    const startAgain = async () => {
      const again: string[] = [];
      const data = mkdtempSync(join(tmpdir(), "switchboard-start-again-"));
      try {
        const next = await runStart({
          portBase: 0,
          data,
          logLevel: "silent",
          handleSignals: false,
          log: (line) => again.push(line),
        });
        await next.close();
      } finally {
        rmSync(data, { recursive: true, force: true });
      }
      return again;
    };
    // Current now, whatever changed in the checkout since beforeAll's build.
    await buildApps({ appsDir: defaultAppsDir() });
    const before = entryMtimes();
    expect((await startAgain()).filter((l) => l.startsWith("building"))).toEqual([]);
    // What `npm run build` leaves: webpack's clean drops our stamp, and every file is rewritten
    // (compareBeforeEmit: false, asserted below), so the whole output is newer than its inputs.
    const now = new Date();
    for (const dist of dists) {
      rmSync(join(dist, ".switchboard-build"), { force: true });
      for (const name of readdirSync(dist, { recursive: true, withFileTypes: true })) {
        if (name.isFile()) utimesSync(join(name.parentPath, name.name), now, now);
      }
    }
    const touched = entryMtimes();
    expect((await startAgain()).filter((l) => l.startsWith("building"))).toEqual([]);
    expect(dists.every((dist) => existsSync(join(dist, ".switchboard-build")))).toBe(true);
    expect(entryMtimes()).toEqual(touched);
    expect(touched).not.toEqual(before);
    const { appConfig } = createRequire(import.meta.url)("../../../apps/webpack-shared.cjs");
    const config = appConfig({
      dir: appDist(defaultAppsDir(), "sender"),
      name: "sender",
      federation: {},
      html: {},
    });
    expect(config.output.compareBeforeEmit).toBe(false);
  }, 300_000);

  it("ships source maps without the sources (production build)", () => {
    for (const app of APP_NAMES) {
      const dist = appDist(defaultAppsDir(), app);
      const maps = readdirSync(dist).filter((name) => name.endsWith(".map"));
      expect(maps.length, app).toBeGreaterThan(0);
      for (const name of maps) {
        const map = JSON.parse(readFileSync(join(dist, name), "utf8")) as { sourcesContent?: unknown[] };
        expect(map.sourcesContent ?? [], `${app}/${name}`).toEqual([]);
      }
    }
  });
});
