/** Medians over runs, the stdout table, and the generated section of docs/benchmarks.md. */

import type { FigureName, Figures } from "./peer-sizes.js";
import type { ServerName } from "./targets.js";
import { FIGURES, type RunResult, type WorkloadName } from "./workloads.js";

export interface SummaryRow extends Partial<Figures> {
  workload: WorkloadName;
  server: ServerName;
  runs: number;
  failed: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  failures: string[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export function summarize(results: RunResult[]): SummaryRow[] {
  const rows = new Map<string, SummaryRow>();
  for (const r of results) {
    const key = `${r.workload}\u0000${r.server}`;
    const row = rows.get(key) ?? {
      workload: r.workload,
      server: r.server,
      runs: 0,
      failed: 0,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      failures: [],
    };
    rows.set(key, row);
    row.runs++;
    row.lost += r.lost;
    row.duplicated += r.duplicated;
    row.outOfOrder += r.outOfOrder;
    if (!r.ok) {
      row.failed++;
      row.failures.push(`run ${r.run}: ${r.failure}`);
    }
  }
  for (const row of rows.values()) {
    const ok = results.filter((r) => r.workload === row.workload && r.server === row.server && r.ok);
    for (const figure of FIGURES[row.workload]) {
      const values = ok.map((r) => r[figure]).filter((v): v is number => typeof v === "number");
      if (values.length > 0) row[figure] = Number(median(values).toFixed(2));
    }
  }
  return [...rows.values()];
}

const COLUMNS: { head: string; cell: (r: SummaryRow) => string }[] = [
  { head: "workload", cell: (r) => r.workload },
  { head: "server", cell: (r) => r.server },
  { head: "runs ok", cell: (r) => `${r.runs - r.failed}/${r.runs}` },
  { head: "deliveries/s", cell: (r) => fmt(r.deliveriesPerSecond, 0) },
  { head: "p50 ms", cell: (r) => fmt(r.latencyP50Ms, 1) },
  { head: "p99 ms", cell: (r) => fmt(r.latencyP99Ms, 1) },
  {
    head: "µs CPU/copy (user + sys)",
    cell: (r) =>
      r.cpuMicrosPerCopy === undefined
        ? ""
        : `${fmt(r.cpuMicrosPerCopy, 2)} (${fmt(r.userMicrosPerCopy, 2)} + ${fmt(r.systemMicrosPerCopy, 2)})`,
  },
  { head: "writes/copy", cell: (r) => fmt(r.writesPerCopy, 3) },
  { head: "load gen CPU %", cell: (r) => fmt(r.loadGeneratorCpuPercent, 0) },
  {
    head: "KiB/conn (RSS, heap)",
    cell: (r) =>
      r.rssKiBPerConnection === undefined
        ? ""
        : `${fmt(r.rssKiBPerConnection, 1)}, ${fmt(r.heapKiBPerConnection, 1)}`,
  },
  { head: "idle CPU %", cell: (r) => fmt(r.idleCpuPercent, 2) },
  {
    head: "connect s (p50, p99 ms)",
    cell: (r) =>
      r.connectSeconds === undefined
        ? ""
        : r.connectP50Ms === undefined
          ? fmt(r.connectSeconds, 2)
          : `${fmt(r.connectSeconds, 2)} (${fmt(r.connectP50Ms, 0)}, ${fmt(r.connectP99Ms, 0)})`,
  },
  {
    head: "lost/dup/ooo",
    cell: (r) => `${r.lost}/${r.duplicated}/${r.outOfOrder}${r.failed > 0 ? " **FAIL**" : ""}`,
  },
];

function fmt(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return "";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A Markdown table (also readable as plain text on a terminal). */
export function table(rows: SummaryRow[]): string {
  const cells = rows.map((r) => COLUMNS.map((c) => c.cell(r)));
  const widths = COLUMNS.map((c, i) => Math.max(c.head.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    line(COLUMNS.map((c) => c.head)),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...cells.map(line),
  ].join("\n");
}

/** The figures drawn in the SVG chart: one panel each, one bar per server. */
const CHART: { workload: WorkloadName; figure: FigureName; label: string }[] = [
  { workload: "saturated", figure: "cpuMicrosPerCopy", label: "saturated fan-out: µs CPU per copy" },
  { workload: "fixed", figure: "cpuMicrosPerCopy", label: "fixed 50 msg/s: µs CPU per copy" },
  { workload: "fixed", figure: "latencyP99Ms", label: "fixed 50 msg/s: p99 latency, ms" },
  { workload: "channels", figure: "cpuMicrosPerCopy", label: "many channels: µs CPU per copy" },
  { workload: "cross-node", figure: "cpuMicrosPerCopy", label: "cross-node over Redis: µs CPU per copy" },
  { workload: "idle", figure: "rssKiBPerConnection", label: "idle: KiB RSS per connection" },
  { workload: "idle", figure: "idleCpuPercent", label: "idle: CPU % of one core" },
  { workload: "storm", figure: "connectSeconds", label: "connect storm: seconds" },
];
const COLORS: Record<ServerName, string> = { hub: "#2563eb", "socket.io": "#9ca3af", ws: "#f59e0b" };

/** Simple horizontal bars, lower is better in every panel; each panel scaled to its largest bar. */
export function chart(rows: SummaryRow[]): string {
  const panels = CHART.map((p) => ({
    ...p,
    bars: rows
      .filter((r) => r.workload === p.workload && typeof r[p.figure] === "number")
      .map((r) => ({ server: r.server, value: r[p.figure] as number })),
  })).filter((p) => p.bars.length > 0);
  const width = 640;
  const barHeight = 16;
  const labelWidth = 80;
  const out: string[] = [];
  let y = 10;
  for (const panel of panels) {
    out.push(
      `<text x="10" y="${y + 12}" font-weight="bold">${escapeXml(panel.label)} (lower is better)</text>`,
    );
    y += 20;
    const max = Math.max(...panel.bars.map((b) => b.value), 1e-9);
    for (const bar of panel.bars) {
      const w = Math.max(1, Math.round(((width - labelWidth - 90) * bar.value) / max));
      out.push(
        `<text x="10" y="${y + 12}">${bar.server}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${w}" height="${barHeight - 3}" fill="${COLORS[bar.server]}"/>`,
        `<text x="${labelWidth + w + 6}" y="${y + 12}">${fmt(bar.value, bar.value < 10 ? 2 : 1)}</text>`,
      );
      y += barHeight;
    }
    y += 12;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif" font-size="12" role="img">`,
    "<title>Switchboard hub, Socket.IO and a plain ws loop side by side (switchboard bench --peers)</title>",
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...out,
    "</svg>",
    "",
  ].join("\n");
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
