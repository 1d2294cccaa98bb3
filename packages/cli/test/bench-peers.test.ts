/**
 * `switchboard bench --peers` (docs/benchmarks.md, "Peers"): a seconds-long run of every workload
 * against all three servers completes with no lost, duplicated or out-of-order copy and reports
 * every figure. No timing thresholds here; the numbers themselves belong in the benchmark doc.
 */
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { CLI_MAIN } from "@switchboard/testkit";
import { describe, expect, it } from "vitest";
import { CopyCounter } from "../src/bench/peers/copy-counter.js";
import { FIGURES, type RunResult, WORKLOADS } from "../src/bench/peers/workloads.js";

function redisAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(6379, "127.0.0.1");
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function bench(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_MAIN, "bench", ...args],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("copy counting", () => {
  it("tells lost, duplicated and out-of-order copies apart", () => {
    const counter = new CopyCounter();
    const receive = counter.subscriber(["a"]);
    const copy = (s: number) => receive("a", { s, t: performance.now(), p: "" });
    for (const s of [0, 2, 1, 2, 4]) copy(s);
    expect(counter.totals(new Map([["a", 6]]))).toEqual({ copies: 5, lost: 2, duplicated: 1, outOfOrder: 1 });
  });
});

describe("bench --peers", () => {
  it("rejects an unknown workload with one clear line", async () => {
    const { code, stderr } = await bench("--peers", "--workload", "nope");
    expect(code).toBe(2);
    expect(stderr).toMatch(/--workload: unknown "nope" \(expected saturated, fixed/);
  });

  it("runs every workload against hub, socket.io and ws with 0 lost/dup/out-of-order", async () => {
    const redis = await redisAvailable();
    if (!redis && process.env.CI === "true") throw new Error("Redis is required in CI but is not available");
    if (!redis) console.warn("skipping the cross-node workload: Redis is not available");
    const workloads = WORKLOADS.filter((w) => redis || w !== "cross-node");
    const { code, stdout, stderr } = await bench(
      "--peers",
      "--json",
      "--runs=1",
      "--seconds=1",
      "--subscribers=50",
      "--channels=50",
      "--connections=100",
      "--idle-seconds=1",
      "--storm=100",
      `--workload=${workloads.join(",")}`,
    );
    expect(stderr).not.toMatch(/FAILED/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      machine: { cpu: string; cores: number; node: string };
      summary: Array<Record<string, unknown> & { workload: (typeof WORKLOADS)[number]; server: string }>;
      results: RunResult[];
    };
    expect(report.machine.node).toBe(process.version);
    // Interleaved: within a workload, hub, socket.io, ws.
    expect(report.results.map((r) => `${r.workload}/${r.server}`)).toEqual(
      workloads.flatMap((w) => ["hub", "socket.io", "ws"].map((s) => `${w}/${s}`)),
    );
    for (const r of report.results) {
      expect({ run: `${r.workload}/${r.server}`, ok: r.ok, failure: r.failure }).toEqual({
        run: `${r.workload}/${r.server}`,
        ok: true,
        failure: undefined,
      });
      expect([r.lost, r.duplicated, r.outOfOrder]).toEqual([0, 0, 0]);
      expect(r.copies).toBeGreaterThan(0);
    }
    expect(report.summary).toHaveLength(workloads.length * 3);
    for (const row of report.summary)
      for (const figure of FIGURES[row.workload])
        expect({
          row: `${row.workload}/${row.server}`,
          figure,
          finite: Number.isFinite(row[figure]),
        }).toEqual({
          row: `${row.workload}/${row.server}`,
          figure,
          finite: true,
        });
  }, 300_000);
});
