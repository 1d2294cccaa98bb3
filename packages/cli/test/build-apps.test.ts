/**
 * When `switchboard start` rebuilds the apps: only when the output is missing or was built from
 * other inputs — not after `npm run build` (which writes no stamp), not after a `tsc -b` that
 * rewrote identical files. A synthetic apps/ folder: nothing here runs webpack unless it is stale.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApps, buildState } from "../src/build-apps.js";

describe("buildState / buildApps staleness", () => {
  let root: string;
  let apps: string;
  const source = () => join(apps, "sender", "src", "sender.ts");
  const dist = () => join(apps, "sender", "dist");
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "switchboard-build-state-"));
    apps = join(root, "apps");
    mkdirSync(join(apps, "sender", "src"), { recursive: true });
    mkdirSync(join(root, "packages", "client", "dist"), { recursive: true });
    writeFileSync(source(), "export const x = 1;\n");
    writeFileSync(join(apps, "sender", "webpack.config.cjs"), "module.exports = {};\n");
    writeFileSync(join(apps, "sender", "package.json"), "{}\n");
    writeFileSync(join(apps, "webpack-shared.cjs"), "\n");
    writeFileSync(join(root, "packages", "client", "dist", "index.js"), "export {};\n");
    for (const path of [
      source(),
      join(apps, "sender", "webpack.config.cjs"),
      join(apps, "sender", "package.json"),
      join(apps, "webpack-shared.cjs"),
      join(root, "packages", "client", "dist", "index.js"),
    ]) {
      at(path, 1_000_000);
    }
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** What `npm run build` leaves: the output, newer than the inputs, and no stamp. */
  function builtByNpm(seconds = 2_000_000) {
    mkdirSync(dist(), { recursive: true });
    for (const name of ["remoteEntry.js", "src_sender_ts.0123456789.js"]) {
      writeFileSync(join(dist(), name), name);
      at(join(dist(), name), seconds);
    }
  }

  it("is stale without an output", () => {
    expect(buildState(apps, "sender")).toMatchObject({ stale: true, reason: "no remoteEntry.js yet" });
  });

  it("takes the output of `npm run build` as current, and start does not rebuild it (it stamps it)", async () => {
    builtByNpm();
    expect(buildState(apps, "sender")).toMatchObject({ stale: false, adopted: true });
    const lines: string[] = [];
    const [result] = await buildApps({ appsDir: apps, apps: ["sender"], log: (l) => lines.push(l) });
    expect(result?.built).toBe(false);
    expect(lines.filter((l) => l.startsWith("building"))).toEqual([]);
    const stamp = readFileSync(join(dist(), ".switchboard-build"), "utf8").trim();
    expect(stamp).toBe(buildState(apps, "sender").fingerprint);
    // A second start: current by the stamp.
    expect(buildState(apps, "sender")).toMatchObject({ stale: false, adopted: false });
  });

  it("stays current when inputs are rewritten with the same content (tsc -b, git checkout)", async () => {
    builtByNpm();
    await buildApps({ appsDir: apps, apps: ["sender"] });
    writeFileSync(source(), "export const x = 1;\n");
    at(source(), 3_000_000);
    writeFileSync(join(root, "packages", "client", "dist", "index.js"), "export {};\n");
    expect(buildState(apps, "sender").stale).toBe(false);
  });

  it("is stale when a source changed since the stamped build", async () => {
    builtByNpm();
    await buildApps({ appsDir: apps, apps: ["sender"] });
    writeFileSync(source(), "export const x = 2;\n");
    expect(buildState(apps, "sender")).toMatchObject({
      stale: true,
      reason: "sources changed since the last build",
    });
    // …and so is one where a bundled package changed.
    writeFileSync(source(), "export const x = 1;\n");
    expect(buildState(apps, "sender").stale).toBe(false);
    writeFileSync(join(root, "packages", "client", "dist", "index.js"), "export const y = 1;\n");
    expect(buildState(apps, "sender").stale).toBe(true);
  });

  it("is stale when there is no stamp and a source is newer than the output", () => {
    builtByNpm(500_000);
    expect(existsSync(join(dist(), ".switchboard-build"))).toBe(false);
    expect(buildState(apps, "sender")).toMatchObject({
      stale: true,
      reason: "sources newer than the output",
    });
  });
});
