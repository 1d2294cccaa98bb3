/**
 * The API key (docs/operations.md "Configuration"): SWITCHBOARD_API_KEY wins over the config's
 * `apiKey` — read by the CLI only; the hub library takes what it is given and reads no environment.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startHub } from "@switchboard/hub";
import { HubProcess, httpRequest, removeTempDirs, tempDir } from "@switchboard/testkit";
import { afterAll, afterEach, beforeEach, expect, it } from "vitest";

const dir = tempDir("sb-apikey-");
afterAll(removeTempDirs);
beforeEach(() => {
  process.env.SWITCHBOARD_API_KEY = "from-env";
});
afterEach(() => {
  delete process.env.SWITCHBOARD_API_KEY;
});

const historyStatus = async (httpUrl: string, key: string) =>
  (await httpRequest(`${httpUrl}/api/history?channel=a`, { headers: { authorization: `Bearer ${key}` } }))
    .status;

it("switchboard hub: the environment's key wins over the config's apiKey", async () => {
  const file = join(dir, "key.json");
  writeFileSync(file, JSON.stringify({ apiKey: "from-config" }));
  const hub = await HubProcess.launch({ dataDir: join(dir, "cli"), args: ["--config", file] });
  try {
    expect(await historyStatus(hub.httpUrl, "from-env")).toBe(200);
    expect(await historyStatus(hub.httpUrl, "from-config")).toBe(401);
  } finally {
    await hub.stop("SIGTERM");
  }
});

it("startHub ignores the environment: an explicit apiKey, else the config's, is the key", async () => {
  const explicit = await startHub({
    port: 0,
    dataDir: join(dir, "lib"),
    logLevel: "silent",
    apiKey: "given",
  });
  try {
    expect(await historyStatus(explicit.httpUrl, "given")).toBe(200);
    expect(await historyStatus(explicit.httpUrl, "from-env")).toBe(401);
  } finally {
    await explicit.close();
  }
  const configured = await startHub({
    port: 0,
    dataDir: join(dir, "lib2"),
    logLevel: "silent",
    config: { apiKey: "from-config" },
  });
  try {
    expect(await historyStatus(configured.httpUrl, "from-config")).toBe(200);
    expect(await historyStatus(configured.httpUrl, "from-env")).toBe(401);
  } finally {
    await configured.close();
  }
});
