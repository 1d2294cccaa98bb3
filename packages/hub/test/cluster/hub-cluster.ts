/**
 * N `switchboard hub` PROCESSES over one broker, for scale-out tests: each node on its own
 * explicit free port (so a restarted node comes back where its clients look for it), its own
 * data folder, and one key / subject prefix per cluster (`--prefix`), so runs never collide on
 * the shared Redis / NATS. Nodes can be SIGKILLed, drained with SIGTERM (close 4100) and restarted.
 *
 * The hub processes run the built CLI (packages/cli/dist/main.js): `npm test` builds it first.
 * Debugging: SB_CLUSTER_CLI=<path to main.js> runs another build (e.g. one with extra logging);
 * SB_HUB_STDERR=1 copies every node's stderr, prefixed with its name, to the test's stderr.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, HubProcess, waitFor } from "@switchboard/testkit";
import { dropPrefix } from "../drop-prefix.js";

export const CLI_MAIN =
  process.env.SB_CLUSTER_CLI ?? fileURLToPath(new URL("../../../cli/dist/main.js", import.meta.url));

/** A prefix valid for both engines (`[A-Za-z0-9_-]`), unique per call. */
export function runPrefix(label: string): string {
  return `sbt_${label}_${randomBytes(4).toString("hex")}`;
}

export { httpStatus, httpText } from "@switchboard/testkit";

/** The kit's waitFor in the argument order of the cluster tests. */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  detail?: () => string,
): Promise<void> {
  await waitFor(what, condition, detail ? { timeoutMs, detail } : { timeoutMs });
}

export interface ClusterOptions {
  nodes: number;
  /** redis://HOST:PORT or nats://HOST:PORT (or memory, for a single node). */
  broker: string;
  /** Key / subject prefix; one per cluster when absent. */
  prefix?: string;
  /** Hub config object (docs/operations.md keys), written to a file and passed as --config. */
  config?: unknown;
}

export class HubCluster {
  private constructor(
    readonly nodes: HubProcess[],
    readonly broker: string,
    readonly prefix: string,
    private readonly dir: string,
  ) {}

  static async start(options: ClusterOptions): Promise<HubCluster> {
    if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run \`npx tsc -b\` first`);
    const prefix = options.prefix ?? runPrefix("cluster");
    const dir = mkdtempSync(join(tmpdir(), "sb-cluster-"));
    const args = ["--broker", options.broker, "--prefix", prefix];
    if (options.config !== undefined) {
      const file = join(dir, "config.json");
      writeFileSync(file, JSON.stringify(options.config));
      args.push("--config", file);
    }
    const nodes: HubProcess[] = [];
    for (let i = 1; i <= options.nodes; i++) {
      const data = join(dir, `hub-${i}`);
      nodes.push(
        new HubProcess({ name: `hub-${i}`, port: await freePort(), dataDir: data, args, main: CLI_MAIN }),
      );
    }
    const cluster = new HubCluster(nodes, options.broker, prefix, dir);
    try {
      await Promise.all(nodes.map((node) => startOnFreePort(node)));
    } catch (err) {
      await cluster.dispose();
      throw err;
    }
    return cluster;
  }

  node(index: number): HubProcess {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index}`);
    return node;
  }

  /** Every node's URL, starting with node `index`: a client homed there fails over to the others. */
  urlsFrom(index: number): string[] {
    const n = this.nodes.length;
    return Array.from({ length: n }, (_, i) => this.node((index + i) % n).url);
  }

  /** Kills every node, removes the data folders and the broker keys / streams of the prefix. */
  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.dir, { recursive: true, force: true });
    await dropPrefix(this.broker, this.prefix).catch(() => undefined);
  }
}

/** A free port can be taken between probing and listening: pick another once if it was. */
async function startOnFreePort(node: HubProcess): Promise<void> {
  try {
    await node.start();
  } catch (err) {
    if (!/port already in use/.test(node.stderr)) throw err;
    node.port = await freePort();
    await node.start();
  }
}
