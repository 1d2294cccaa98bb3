/** `switchboard hub`: one hub node until SIGTERM/SIGINT, which drain (4100) and exit 0. */
import { readFileSync } from "node:fs";
import { ConfigError, type HubConfig, parseConfig, type RunningHub, startHub } from "@switchboard/hub";
import { UsageError } from "./usage-error.js";

export interface HubCommandOptions {
  port: number;
  host: string;
  data: string;
  broker: string;
  node?: string;
  config?: string;
  /** Key / subject prefix in a shared Redis or NATS; the broker's default ("sb") when absent. */
  prefix?: string;
  logLevel: string;
}

/** The config file, validated (once: startHub takes the result as is). None: the defaults. */
export function readConfigFile(file: string | undefined): HubConfig {
  if (file === undefined) return parseConfig({});
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--config: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config: ${file} is not valid JSON (${(err as Error).message})`);
  }
  try {
    return parseConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`config ${file}: ${err.message}`);
    throw err;
  }
}

/** The API key from the environment, which wins over the config's `apiKey` (docs/operations.md). */
export function apiKeyFromEnv(): { apiKey?: string } {
  const key = process.env.SWITCHBOARD_API_KEY;
  return key !== undefined ? { apiKey: key } : {};
}

export async function runHub(options: HubCommandOptions): Promise<RunningHub> {
  const config = readConfigFile(options.config);
  const hub = await startHub({
    port: options.port,
    host: options.host,
    dataDir: options.data,
    broker: options.broker,
    config,
    logLevel: options.logLevel,
    ...apiKeyFromEnv(),
    ...(options.node !== undefined ? { node: options.node } : {}),
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
  });
  stopOnSignals(() => hub.drain());
  return hub;
}

/** Drains on the first SIGTERM/SIGINT and exits 0; a second signal exits at once. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`switchboard: stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
