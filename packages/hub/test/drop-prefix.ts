/** Deletes what one test run's prefix left in a shared Redis or NATS (SCAN, never KEYS, on Redis). */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect as natsConnect } from "@nats-io/transport-node";
import { Redis } from "ioredis";

export async function dropPrefix(broker: string, prefix: string): Promise<void> {
  if (broker.startsWith("redis")) {
    const redis = new Redis(broker, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on("error", () => undefined);
    try {
      await redis.connect();
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== "0");
    } finally {
      redis.disconnect();
    }
  } else if (broker.startsWith("nats")) {
    const nc = await natsConnect({ servers: broker, timeout: 2000 });
    try {
      const jsm = await jetstreamManager(nc);
      for (const stream of [`${prefix}_history`, `KV_${prefix}_members`, `KV_${prefix}_dedupe`])
        await jsm.streams.delete(stream).catch(() => false);
    } finally {
      await nc.close();
    }
  }
}
