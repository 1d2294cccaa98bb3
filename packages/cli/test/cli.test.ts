/**
 * The command line contract (docs/operations.md "Configuration"): bad flags or config → exit 2
 * with one clear line; signals drain → exit 0.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI_MAIN, freePort, HubProcess, removeTempDirs, tempDir } from "@switchboard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { RawClient } from "../../hub/test/raw-client.js";

const dir = tempDir("sb-cli-");
afterAll(removeTempDirs);

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI_MAIN, ...args], { encoding: "utf8", timeout: 15_000 });
  return { code: result.status, stderr: result.stderr.trim(), stdout: result.stdout };
}
/** A config whose `auth.jwt` names a key file in the test folder. */
function keyConfig(key: string, file: string): string {
  return JSON.stringify({ auth: { jwt: { [key]: join(dir, file) } } });
}
function config(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

describe("bad input exits 2 with one line naming the key", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["non-numeric port", ["hub", "--port", "abc"], /--port.*port number/],
    ["port out of range", ["hub", "--port", "70000"], /--port/],
    ["unknown broker", ["hub", "--broker", "kafka://x"], /--broker.*sqlite \(or memory\), redis/],
    ["unknown flag", ["hub", "--frobnicate"], /unknown option '--frobnicate'/],
    ["unknown command", ["launch"], /unknown command 'launch'/],
    ["no command", [], /missing command/],
    ["bad log level", ["hub", "--log-level", "loud"], /--log-level/],
    [
      "remote URL that is not http(s)",
      ["start", "--sender-url", "ftp://x/remoteEntry.js"],
      /--sender-url.*http: or https: URL/,
    ],
    ["hub URL that is not ws(s)", ["start", "--hub-url", "http://x"], /--hub-url.*ws: or wss: URL/],
    ["bad prefix", ["hub", "--prefix", "a.b"], /--prefix.*\[A-Za-z0-9_-\]/],
    [
      "cross-node bench without a shared broker",
      ["bench", "--nodes", "2"],
      /--nodes.*redis:\/\/HOST:PORT or nats/,
    ],
    ["missing config file", ["hub", "--config", join(dir, "absent.json")], /--config: cannot read/],
    ["config not JSON", ["hub", "--config", config("bad.json", "{nope")], /not valid JSON/],
    [
      "config key of the wrong type",
      ["hub", "--config", config("t.json", '{"limits":{"maxFrameBytes":"big"}}')],
      /limits\.maxFrameBytes/,
    ],
    ["unknown config key", ["hub", "--config", config("u.json", '{"limitz":{}}')], /limitz/],
    [
      "bad namespace policy",
      ["hub", "--config", config("n.json", '{"namespaces":{"chat":{"presence":"yes"}}}')],
      /namespaces\.chat\.presence/,
    ],
    [
      "missing public key file",
      [
        "hub",
        "--data",
        join(dir, "data"),
        "--config",
        config("k1.json", keyConfig("publicKeyFile", "absent.pem")),
      ],
      /auth\.jwt\.publicKeyFile: cannot read .*absent\.pem \(ENOENT\)/,
    ],
    [
      "public key file that is not a key",
      [
        "hub",
        "--data",
        join(dir, "data"),
        "--config",
        config("k2.json", keyConfig("publicKeyFile", "k2.json")),
      ],
      /auth\.jwt\.publicKeyFile: .*not a PEM public key/,
    ],
    [
      "JWKS file that is not a key set",
      ["hub", "--data", join(dir, "data"), "--config", config("k3.json", keyConfig("jwksFile", "k3.json"))],
      /auth\.jwt\.jwksFile: .*not a JSON Web Key Set/,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, () => {
      const { code, stderr } = run(...args);
      expect(code).toBe(2);
      expect(stderr.split("\n")).toHaveLength(1);
      expect(stderr).toMatch(/^switchboard: /);
      expect(stderr).toMatch(pattern);
    });
  }
  it("prints help with exit 0", () => {
    const { code, stdout } = run("--help");
    expect(code).toBe(0);
    expect(stdout).toContain("hub");
    expect(stdout).toContain("start");
    expect(stdout).toContain("bench");
  });
});

describe("embedded broker", () => {
  it.each(["sqlite", "memory"])(
    "--broker %s runs the SQLite broker (memory is its old name)",
    async (spec) => {
      const hub = new HubProcess({
        port: await freePort(),
        dataDir: join(dir, `spec-${spec}`),
        args: ["--broker", spec],
      });
      await hub.start();
      try {
        const ready = await fetch(`${hub.httpUrl}/readyz`);
        expect(await ready.json()).toEqual({ ready: true, broker: "sqlite" });
      } finally {
        await hub.stop("SIGTERM");
      }
    },
  );
});

describe("signals", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} drains clients with 4100 (reconnect: true) and exits 0`, async () => {
      const file = config(`ok-${signal}.json`, JSON.stringify({ namespaces: { chat: {} } }));
      const hub = new HubProcess({
        port: await freePort(),
        dataDir: join(dir, signal),
        name: `n-${signal}`,
        args: ["--config", file],
      });
      await hub.start();
      const client = await RawClient.connect(hub.url);
      expect(client.frames[0]).toMatchObject({ type: "connected", node: `n-${signal}` });
      expect(await client.request({ type: "subscribe", channel: "other:x" })).toMatchObject({
        code: "UNKNOWN_NAMESPACE",
      });
      const exit = hub.stop(signal);
      expect(await client.waitClosed()).toBe(4100);
      expect(client.frames.at(-1)).toMatchObject({ type: "disconnect", code: 4100, reconnect: true });
      expect(await exit).toBe(0);
    });
  }
});
