/** The test kit's own promises: polling that times out naming its subject, ports, PATH lookup, both hubs. */
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { basename, dirname } from "node:path";
import { describe, expect, it } from "vitest";
import {
  findExecutable,
  freePort,
  HubProcess,
  httpRequest,
  httpStatus,
  removeTempDirs,
  startTestHub,
  tempDir,
  waitFor,
} from "../src/index.js";

describe("waitFor", () => {
  it("resolves with the first value that is not undefined, null or false", async () => {
    let calls = 0;
    const value = await waitFor("the third call", () =>
      ++calls === 3 ? { calls } : calls === 1 ? null : false,
    );
    expect(value).toEqual({ calls: 3 });
  });

  it("times out naming what it waited for, with the detail", async () => {
    const started = Date.now();
    await expect(
      waitFor("a condition that never holds", () => false, { timeoutMs: 100, detail: () => "(last: 7)" }),
    ).rejects.toThrow("timed out after 100 ms waiting for a condition that never holds (last: 7)");
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it("fails at once when the check throws", async () => {
    let calls = 0;
    await expect(
      waitFor("a check that throws", () => {
        calls++;
        throw new Error("child exited");
      }),
    ).rejects.toThrow("child exited");
    expect(calls).toBe(1);
  });
});

it("freePort returns a port that can be listened on", async () => {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  await new Promise((resolve) => server.close(resolve));
});

it("findExecutable looks on PATH", () => {
  const node = findExecutable(basename(process.execPath), dirname(process.execPath));
  expect(node).toBe(process.execPath);
  expect(findExecutable("surely-not-installed-sb", dirname(process.execPath))).toBeUndefined();
});

it("tempDir folders go with removeTempDirs", () => {
  const dir = tempDir("sb-kit-");
  expect(existsSync(dir)).toBe(true);
  removeTempDirs();
  expect(existsSync(dir)).toBe(false);
});

describe("startTestHub", () => {
  it("restarts on the same port and data folder, and dispose removes the folder it made", async () => {
    const first = await startTestHub({ apiKey: "kit" });
    const publish = (hub: { httpUrl: string }) =>
      httpRequest(`${hub.httpUrl}/api/publish`, {
        method: "POST",
        headers: { authorization: "Bearer kit" },
        body: { channel: "kit:a", data: "kept" },
      });
    expect((await publish(first)).status).toBe(200);
    const second = await first.restart();
    try {
      expect(second.port).toBe(first.port);
      expect(second.dataDir).toBe(first.dataDir);
      const history = await httpRequest(`${second.httpUrl}/api/history?channel=kit:a`, {
        headers: { authorization: "Bearer kit" },
      });
      expect(JSON.parse(history.text).publications).toMatchObject([{ offset: 1, data: "kept" }]);
      await first.dispose(); // the old handle no longer owns the folder
      expect(existsSync(second.dataDir)).toBe(true);
    } finally {
      await second.dispose();
    }
    expect(existsSync(second.dataDir)).toBe(false);
  });
});

describe("HubProcess", () => {
  it("starts the CLI hub, drains on SIGTERM (exit 0), restarts on its port, dies on SIGKILL", async () => {
    const hub = await HubProcess.launch({ name: "kit-node", dataDir: tempDir("sb-kit-hub-") });
    try {
      expect(await httpStatus(`${hub.httpUrl}/healthz`)).toBe(200);
      expect(await hub.stop()).toBe(0);
      expect(await httpStatus(`${hub.httpUrl}/healthz`)).toBe(0);
      await hub.restart();
      expect(hub.starts).toBe(2);
      await hub.waitReadyz(200);
      expect(await hub.stop("SIGKILL")).toBe("SIGKILL");
      expect(hub.running).toBe(false);
    } finally {
      await hub.kill();
      removeTempDirs();
    }
  }, 40_000);
});
