/**
 * Append throughput of SqliteBroker, batched (one transaction per event-loop turn) vs one
 * transaction per append. Not a test; run it by hand:
 *
 *   node --import tsx packages/hub/bench/sqlite-append-bench.ts [appendsPerCase]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteBroker } from "../src/brokers/sqlite/sqlite-broker.js";

const TOTAL = Number(process.argv[2] ?? 20_000);
const HISTORY = { size: 1000, ttlSeconds: 300 };

interface Case {
  inFlight: number;
  channels: number;
  keyed: boolean;
}

async function run(batchAppends: boolean, c: Case): Promise<number> {
  const folder = await mkdtemp(join(tmpdir(), "switchboard-bench-"));
  const broker = new SqliteBroker({ path: join(folder, "bench.db"), batchAppends });
  let delivered = 0;
  await broker.start(() => {
    delivered++;
  });
  for (let ch = 0; ch < c.channels; ch++) await broker.subscribe(`bench:${ch}`);
  let next = 0;
  const data = { text: "hello from the sender module", user: "u42", n: 0 };
  async function worker(): Promise<void> {
    while (next < TOTAL) {
      const i = next++;
      await broker.append({
        channel: `bench:${i % c.channels}`,
        data: { ...data, n: i },
        info: { client: "c_bench", user: "u42" },
        ...(c.keyed ? { key: `k-${i}` } : {}),
        history: HISTORY,
        dedupeSeconds: 300,
      });
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: c.inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setImmediate(resolve));
  if (delivered !== TOTAL) throw new Error(`delivered ${delivered} of ${TOTAL}`);
  await broker.close();
  await rm(folder, { recursive: true, force: true });
  return Math.round(TOTAL / seconds);
}

const cases: Case[] = [
  { inFlight: 1, channels: 1, keyed: true },
  { inFlight: 16, channels: 1, keyed: true },
  { inFlight: 256, channels: 1, keyed: true },
  { inFlight: 256, channels: 100, keyed: true },
  { inFlight: 256, channels: 100, keyed: false },
];
console.log(`${TOTAL} appends per case, ~150-byte payloads, history size ${HISTORY.size}`);
console.log("in flight | channels | keyed | batched appends/s | unbatched appends/s");
for (const c of cases) {
  const batched = await run(true, c);
  const unbatched = await run(false, c);
  console.log(
    `${String(c.inFlight).padStart(9)} | ${String(c.channels).padStart(8)} | ${String(c.keyed).padStart(5)} | ${String(batched).padStart(17)} | ${String(unbatched).padStart(19)}`,
  );
}
