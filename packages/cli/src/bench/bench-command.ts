/** `switchboard bench`: runs the benchmarks with progress on stderr and a final table (or JSON). */
import { UsageError } from "../usage-error.js";
import { type FanoutResult, runFanout } from "./fanout-bench.js";

export interface BenchCommandOptions {
  subscribers: number;
  rate: number;
  seconds: number;
  broker: string;
  payload: number;
  /** Hub processes; > 1 is the cross-node fan-out (Redis or NATS). */
  nodes: number;
  json: boolean;
  peers?: boolean;
  workload?: string;
  server?: string;
  runs: number;
  channels?: number;
  connections?: number;
  idleSeconds?: number;
  storm?: number;
  redis: string;
  writeDocs: boolean;
}

export async function runBench(options: BenchCommandOptions): Promise<void> {
  if (options.peers) {
    const { runPeers } = await import("./peers/peer-command.js");
    const sizes = {
      subscribers: options.subscribers,
      seconds: options.seconds,
      payloadBytes: options.payload,
      channels: options.channels,
      idleConnections: options.connections,
      idleSeconds: options.idleSeconds,
      storm: options.storm,
      redisUrl: options.redis,
    };
    return runPeers({
      workload: options.workload,
      server: options.server,
      runs: options.runs,
      sizes: Object.fromEntries(Object.entries(sizes).filter(([, v]) => v !== undefined)),
      json: options.json,
      writeDocs: options.writeDocs,
    });
  }
  if (options.writeDocs || options.workload || options.server)
    throw new UsageError("--workload, --server and --write-docs need --peers");
  if (options.nodes > 1 && !/^(redis|rediss|redis\+cluster|nats):/.test(options.broker))
    throw new UsageError("--nodes: more than one hub needs --broker redis://HOST:PORT or nats://HOST:PORT");
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const where = options.nodes > 1 ? `split over ${options.nodes} hubs, publisher on the first` : "one hub";
  log(`fan-out: 1 channel, ${options.subscribers} subscribers (${where}), broker ${options.broker}`);
  const results = await runFanout({
    subscribers: options.subscribers,
    rate: options.rate,
    seconds: options.seconds,
    broker: options.broker,
    payloadBytes: options.payload,
    nodes: options.nodes,
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
    "hubs",
    "subs",
    "pub/s",
    "deliveries/s",
    "p50 ms",
    "p99 ms",
    "hub µs CPU/delivery",
    "idle KiB/conn (RSS, heap)",
    "hub RSS MiB",
  ];
  const rows = results.map((r) => [
    r.scenario,
    String(r.nodes),
    String(r.subscribers),
    String(r.publishRate),
    String(r.deliveriesPerSecond),
    String(r.latencyP50Ms),
    String(r.latencyP99Ms),
    String(r.hubCpuMicrosPerDelivery),
    `${(r.bytesPerIdleConnection / 1024).toFixed(1)}, ${(r.heapBytesPerIdleConnection / 1024).toFixed(1)}`,
    String(r.hubRssMiB),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
