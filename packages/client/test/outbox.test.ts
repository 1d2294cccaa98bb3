/**
 * The offline outbox in Node (memory-only, docs/client.md "Offline") over a real hub: a publish
 * made while the hub is down does not time out and is stored once when it is back; the caps
 * refuse with OUTBOX_FULL; `outbox` events count what waits.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { OutboxState } from "../src/index.js";
import { client, closeClients, httpHistory, hub, removeTempDirs, tempDir, waitFor } from "./helpers/hub.js";

afterEach(() => {
  closeClients();
  removeTempDirs();
});

describe("offline outbox (Node: memory)", () => {
  it("keeps a publish made while the hub is down past publishTimeoutMs and stores it once after the restart", async () => {
    const dataDir = tempDir();
    let running = await hub({ dataDir });
    const port = running.port;
    const c = client(running.url, { publishTimeoutMs: 300 });
    const states: OutboxState[] = [];
    c.on("outbox", (s) => states.push(s));
    await waitFor(() => c.state === "connected", "connected");
    await running.close();
    await waitFor(() => c.state !== "connected", "disconnected");
    const published = c.publish("chat:outbox", { text: "while down" });
    expect(c.outbox).toMatchObject({ queued: 1, persistent: false });
    // Longer than publishTimeoutMs with no connection: still waiting, not TIMEOUT.
    const early = await Promise.race([
      published.then(
        () => "settled",
        () => "rejected",
      ),
      new Promise((resolve) => setTimeout(resolve, 800, "waiting")),
    ]);
    expect(early).toBe("waiting");
    running = await hub({ dataDir, port });
    try {
      await expect(published).resolves.toMatchObject({ offset: 1 });
      expect(c.outbox.queued).toBe(0);
      expect(states.map((s) => s.queued)).toEqual([1, 0]);
      const page = await httpHistory(running, "chat:outbox");
      expect(page.publications.map((p) => p.data)).toEqual([{ text: "while down" }]);
    } finally {
      await running.close();
    }
  });

  it("refuses beyond maxEntries or maxBytes with OUTBOX_FULL, queues nothing, and still times out while connected", async () => {
    const running = await hub();
    try {
      const c = client(running.url, { autoConnect: false, outbox: { maxEntries: 2, maxBytes: 200 } });
      const a = c.publish("chat:cap", "a");
      const b = c.publish("chat:cap", "b");
      await expect(c.publish("chat:cap", "c")).rejects.toMatchObject({ code: "OUTBOX_FULL" });
      expect(c.outbox.queued).toBe(2);
      c.connect();
      await expect(Promise.all([a, b])).resolves.toHaveLength(2);
      await expect(c.publish("chat:cap", "x".repeat(300))).rejects.toMatchObject({
        code: "OUTBOX_FULL",
        message: expect.stringContaining("bytes"),
      });
      expect((await httpHistory(running, "chat:cap")).publications.map((p) => p.data)).toEqual(["a", "b"]);
      // outbox: false keeps the old behaviour: TIMEOUT even while not connected.
      const plain = client(running.url, { autoConnect: false, outbox: false, publishTimeoutMs: 100 });
      await expect(plain.publish("chat:cap", "never")).rejects.toMatchObject({ code: "TIMEOUT" });
    } finally {
      await running.close();
    }
  });
});
