/** `switchboard bench`: runs the benchmarks with progress on stderr and a final table (or JSON). */
import { type FanoutResult, runFanout } from "./fanout-bench.js";

export interface BenchCommandOptions {
  subscribers: number;
  rate: number;
  seconds: number;
  broker: string;
  payload: number;
  json: boolean;
}

export async function runBench(options: BenchCommandOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  log(`fan-out: 1 channel, ${options.subscribers} subscribers, broker ${options.broker}`);
  const results = await runFanout({
    subscribers: options.subscribers,
    rate: options.rate,
    seconds: options.seconds,
    broker: options.broker,
    payloadBytes: options.payload,
    log,
  });
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ broker: options.broker, node: process.version, results }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(`${table(results)}\n`);
}

function table(results: FanoutResult[]): string {
  const head = [
    "scenario",
    "subs",
    "pub/s",
    "deliveries/s",
    "p50 ms",
    "p99 ms",
    "hub µs CPU/delivery",
    "idle KiB/conn",
    "hub RSS MiB",
  ];
  const rows = results.map((r) => [
    r.scenario,
    String(r.subscribers),
    String(r.publishRate),
    String(r.deliveriesPerSecond),
    String(r.latencyP50Ms),
    String(r.latencyP99Ms),
    String(r.hubCpuMicrosPerDelivery),
    (r.bytesPerIdleConnection / 1024).toFixed(1),
    String(r.hubRssMiB),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
