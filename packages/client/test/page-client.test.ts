/**
 * One connection per page: separately loaded copies of the built package (as a host that bundles
 * its own client instead of sharing it would have) attach to the page's client when their
 * versions are compatible, and are refused with a console error otherwise. The copies are
 * dist/ copied into temp folders with a patched version, loaded through different paths.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { RunningHub } from "@switchboard/hub";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { areCompatibleVersions, type Message, type Subscription } from "../src/index.js";
import { httpPublish, hub, removeTempDirs, waitFor } from "./helpers/hub.js";

type ClientModule = typeof import("../src/index.js");

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const protocolDir = fileURLToPath(new URL("../../protocol", import.meta.url));
const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string };
const [major, minor, patch] = manifest.version.split(".").map(Number) as [number, number, number];
const VERSION_LINE = /SWITCHBOARD_CLIENT_VERSION = "[^"]*"/;

let root: string;
let running: RunningHub;
const copies = new Map<string, ClientModule>();

/** A separately loaded copy of the built package that says it is `version`. */
async function copyOf(name: string, version: string): Promise<ClientModule> {
  const dir = join(root, name);
  // Without source maps: theirs point at ../src, which the copy does not have.
  const filter = (path: string) => !path.endsWith(".map");
  cpSync(join(packageDir, "dist"), join(dir, "dist"), { recursive: true, filter });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ ...manifest, version }));
  const versionFile = join(dir, "dist", "federation", "switchboard-shared.js");
  const source = readFileSync(versionFile, "utf8");
  expect(source).toMatch(VERSION_LINE);
  writeFileSync(versionFile, source.replace(VERSION_LINE, `SWITCHBOARD_CLIENT_VERSION = "${version}"`));
  const mod = (await import(pathToFileURL(join(dir, "dist", "index.js")).href)) as ClientModule;
  expect(mod.getSharedClient).not.toBe(copies.get("first")?.getSharedClient);
  copies.set(name, mod);
  return mod;
}

function received(sub: Subscription): Message[] {
  const out: Message[] = [];
  sub.on("publication", (m) => out.push(m));
  sub.on("confirmed", (m) => out.push(m));
  return out;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sb-page-client-"));
  // The copies import @switchboard/protocol by name, as an installed package would.
  mkdirSync(join(root, "node_modules", "@switchboard"), { recursive: true });
  symlinkSync(protocolDir, join(root, "node_modules", "@switchboard", "protocol"), "dir");
  running = await hub();
});

afterEach(() => {
  copies.get("first")?.resetSharedClient();
  vi.restoreAllMocks();
});

afterAll(async () => {
  await running.close();
  rmSync(root, { recursive: true, force: true });
  removeTempDirs();
});

describe("one connection per page across copies of the package", () => {
  it("a second copy of the same version gets the page's client: one socket, messages flow", async () => {
    const first = await copyOf("first", manifest.version);
    const second = await copyOf("second", manifest.version);
    const client = first.getSharedClient({ urls: running.url, WebSocket, name: "page" });
    const attached = second.getSharedClient();
    expect(attached).toBe(client);

    const sub = attached.subscribe("chat:page");
    const messages = received(sub);
    await waitFor(() => sub.state === "subscribed", "the second copy's subscription");
    expect(running.sessionCount).toBe(1);

    await httpPublish(running, "chat:page", "from the hub");
    await attached.publish("chat:page", "from the second copy");
    await waitFor(() => messages.filter((m) => !m.pending).length === 2, "both messages");
    expect(messages.filter((m) => !m.pending).map((m) => m.data)).toEqual([
      "from the hub",
      "from the second copy",
    ]);
    expect(running.sessionCount).toBe(1);

    // Errors of one copy are errors of the other.
    const refused = await attached.publish("bad channel!", 1).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(second.SwitchboardError);
    expect(refused).toBeInstanceOf(first.SwitchboardError);
  });

  it("a patch-level skew works in both directions", async () => {
    const first = copies.get("first") ?? (await copyOf("first", manifest.version));
    const newer = await copyOf("patch", `${major}.${minor}.${patch + 7}`);
    const client = newer.getSharedClient({ urls: running.url, WebSocket, name: "newer page" });
    expect(first.getSharedClient()).toBe(client);
    const sub = first.getSharedClient().subscribe("chat:patch");
    const messages = received(sub);
    await waitFor(() => sub.state === "subscribed", "subscription through the older copy");
    await httpPublish(running, "chat:patch", 1);
    await waitFor(() => messages.length === 1, "the message");
    expect(running.sessionCount).toBe(1);

    newer.resetSharedClient();
    const older = first.getSharedClient({ urls: running.url, WebSocket });
    expect(newer.getSharedClient()).toBe(older);
  });

  it("a copy of another major (or, for 0.x, another minor) is refused with a console error naming both versions", async () => {
    const first = copies.get("first") ?? (await copyOf("first", manifest.version));
    const other = `${major + 1}.0.0`;
    const otherMajor = await copyOf("major", other);
    const otherMinor = await copyOf("minor", `${major}.${minor + 1}.0`);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const client = first.getSharedClient({ urls: running.url, WebSocket });
    await waitFor(() => client.state === "connected", "the page's client");

    let thrown: unknown;
    try {
      otherMajor.getSharedClient({ urls: running.url, WebSocket });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(otherMajor.SwitchboardError);
    expect(thrown).toMatchObject({ code: "INCOMPATIBLE_VERSION" });
    expect(errors).toHaveBeenCalledTimes(1);
    const logged = String(errors.mock.calls[0]?.[0]);
    expect(logged).toContain(`@switchboard/client ${other}`);
    expect(logged).toContain(`@switchboard/client ${manifest.version}`);
    // Once per copy and page client, not once per call (components call it on every render).
    expect(() => otherMajor.getSharedClient()).toThrow(/cannot use the page's client/);
    expect(errors).toHaveBeenCalledTimes(1);

    if (major === 0) expect(() => otherMinor.getSharedClient()).toThrow(/cannot use the page's client/);
    else expect(otherMinor.getSharedClient()).toBe(client);
    expect(running.sessionCount).toBe(1);
  });
});

it("compatible versions: the same major, and for 0.x the same minor", () => {
  expect(areCompatibleVersions("0.2.0", "0.2.9")).toBe(true);
  expect(areCompatibleVersions("0.2.0", "0.3.0")).toBe(false);
  expect(areCompatibleVersions("1.2.0", "1.9.3")).toBe(true);
  expect(areCompatibleVersions("1.0.0", "2.0.0")).toBe(false);
  expect(areCompatibleVersions("1.0.0", "not a version")).toBe(false);
});
