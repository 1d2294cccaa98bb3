#!/usr/bin/env node
/** The `switchboard` command (docs/operations.md). Bad flags or config: one clear line, exit code 2. */
import { ConfigError, HUB_DEFAULTS } from "@switchboard/hub";
import { Command, CommanderError } from "commander";
import { runHub } from "./hub-command.js";
import {
  parseBroker,
  parseLogLevel,
  parsePort,
  parsePositiveInt,
  parsePrefix,
  urlParser,
} from "./options.js";
import { UsageError } from "./usage-error.js";

const program = new Command("switchboard")
  .description("Real-time messaging for Module Federation micro-frontends")
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({ writeErr: () => undefined });

program
  .command("hub")
  .description("run one hub node")
  .option("--port <port>", "port for HTTP and WebSocket", parsePort, HUB_DEFAULTS.port)
  .option("--host <host>", "address to bind", HUB_DEFAULTS.host)
  .option("--data <dir>", "embedded store folder (SQLite), created if missing", HUB_DEFAULTS.dataDir)
  .option(
    "--broker <spec>",
    "sqlite (alias memory) | redis://HOST:PORT | nats://HOST:PORT",
    parseBroker,
    HUB_DEFAULTS.broker,
  )
  .option("--node <name>", "node id reported in `connected` (default: generated)")
  .option("--config <file>", "JSON config (keys in docs/operations.md); flags override it")
  .option("--prefix <prefix>", "key / subject prefix in a shared Redis or NATS (default sb)", parsePrefix)
  .option(
    "--log-level <level>",
    "fatal|error|warn|info|debug|trace|silent",
    parseLogLevel,
    HUB_DEFAULTS.logLevel,
  )
  .action(async (options) => {
    const hub = await runHub(options);
    process.stdout.write(`switchboard hub ${hub.node} on ${hub.url} (broker ${hub.broker.kind})\n`);
  });

program
  .command("start")
  .description("run the whole system locally: hub + host + sender + receiver")
  .option("--port-base <port>", "host on BASE, sender on BASE+1, receiver on BASE+2", parsePort, 3000)
  .option("--hub-port <port>", "hub port (default 7700; a free port with --port-base 0)", parsePort)
  .option("--host <host>", "address to bind", HUB_DEFAULTS.host)
  .option("--data <dir>", "embedded store folder (SQLite)", HUB_DEFAULTS.dataDir)
  .option(
    "--broker <spec>",
    "sqlite (alias memory) | redis://HOST:PORT | nats://HOST:PORT",
    parseBroker,
    HUB_DEFAULTS.broker,
  )
  .option("--config <file>", "hub config JSON")
  .option(
    "--hub-url <url>",
    "use this running hub instead of starting one (env SWITCHBOARD_HUB_URL)",
    urlParser("ws:", "wss:"),
  )
  .option(
    "--sender-url <url>",
    "sender remoteEntry.js URL told to the page (env SWITCHBOARD_SENDER_URL)",
    urlParser("http:", "https:"),
  )
  .option(
    "--receiver-url <url>",
    "receiver remoteEntry.js URL told to the page (env SWITCHBOARD_RECEIVER_URL)",
    urlParser("http:", "https:"),
  )
  .option("--log-level <level>", "hub log level", parseLogLevel, "warn")
  .action(async (options) => {
    const { runStart } = await import("./start-command.js");
    await runStart(options);
  });

program
  .command("bench")
  .description("load test a hub in its own process: progress on stderr, a final table (or --json)")
  .option("--subscribers <n>", "subscribed connections on one channel", parsePositiveInt, 1000)
  .option("--rate <n>", "publishes per second in the fixed-rate phase", parsePositiveInt, 100)
  .option("--seconds <n>", "length of each phase", parsePositiveInt, 5)
  .option("--payload <bytes>", "approximate size of each publication's data", parsePositiveInt, 100)
  .option(
    "--broker <spec>",
    "sqlite (alias memory) | redis://HOST:PORT | nats://HOST:PORT",
    parseBroker,
    HUB_DEFAULTS.broker,
  )
  .option(
    "--nodes <n>",
    "hub processes, subscribers split across them (> 1: Redis or NATS)",
    parsePositiveInt,
    1,
  )
  .option("--json", "print results as JSON", false)
  .option("--peers", "the same workloads against the hub, Socket.IO and a plain ws loop (docs/benchmarks.md)")
  .option("--workload <names>", "--peers: comma-separated workloads (default: all)")
  .option("--server <names>", "--peers: comma-separated servers: hub, socket.io, ws (default: all)")
  .option("--runs <n>", "--peers: runs per workload and server (medians)", parsePositiveInt, 3)
  .option(
    "--channels <n>",
    "--peers: channels of the channels workload (2 subscribers each)",
    parsePositiveInt,
  )
  .option("--connections <n>", "--peers: connections of the idle workload", parsePositiveInt)
  .option("--idle-seconds <n>", "--peers: idle window of the idle workload", parsePositiveInt)
  .option("--storm <n>", "--peers: clients of the connect storm", parsePositiveInt)
  .option(
    "--redis <url>",
    "--peers: Redis (or redis+cluster://h:p,… for the hub only) for the cross-node workload",
    "redis://127.0.0.1:6379",
  )
  .option("--write-docs", "--peers: regenerate docs/benchmarks.md's peer section and chart", false)
  .action(async (options) => {
    const { runBench } = await import("./bench/bench-command.js");
    await runBench(options);
  });

function fail(message: string): never {
  process.stderr.write(`switchboard: ${message.trim().replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(2);
}

try {
  if (process.argv.length <= 2) fail("missing command: start, hub or bench (see --help)");
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0 || err.code === "commander.helpDisplayed" || err.code === "commander.help")
      process.exit(0);
    fail(err.message.replace(/^error: /, ""));
  }
  if (err instanceof UsageError) fail(err.message);
  // A key file named by the config that turned out missing or not a key (found at hub start).
  if (err instanceof ConfigError) fail(`config: ${err.message}`);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") fail(`port already in use (${(err as Error).message})`);
  throw err;
}
