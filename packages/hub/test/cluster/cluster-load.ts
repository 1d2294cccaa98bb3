/**
 * Load for cluster tests, through our client SDK: subscribers spread over the nodes (each given
 * every node's URL, its own first), publishers that await every ack and record what was
 * acknowledged, and the check that a subscriber's stream is exactly the acknowledged one.
 */
import { type Client, createClient, type LostEvent, type SubscribedEvent } from "@switchboard/client";
import { WebSocket } from "ws";
import { eventually, type HubCluster } from "./hub-cluster.js";

const CLIENT_OPTIONS = {
  WebSocket,
  // Fast failover: a killed node's clients are back on another node within ~100 ms.
  backoff: { initialMs: 50, maxMs: 500 },
  // Long enough to ride out a killed node or a 2 s broker outage (publishes are retried, same key).
  publishTimeoutMs: 30_000,
  requestTimeoutMs: 30_000,
};

/** One delivered publication, with the epoch the subscription was in when it arrived. */
export interface Received {
  epoch: string;
  offset: number;
  data: unknown;
}

export interface SubscriberProbe {
  readonly index: number;
  /** The node it was homed on (its first URL). */
  readonly home: number;
  readonly client: Client;
  readonly received: Received[];
  readonly subscribed: SubscribedEvent[];
  readonly lost: LostEvent[];
  /** Nodes it was connected to, in order (from `connected` state events). */
  readonly nodes: string[];
  /** Close codes of its connections that ended (4100: the node drained). */
  readonly closes: number[];
}

export interface Acked {
  epoch: string;
  offset: number;
  data: string;
}

/** Opens `count` subscribers, homed round-robin on the nodes; resolves once all are subscribed. */
export async function startSubscribers(
  cluster: HubCluster,
  channel: string,
  count: number,
  timeoutMs = 30_000,
): Promise<SubscriberProbe[]> {
  const probes: SubscriberProbe[] = [];
  for (let index = 0; index < count; index++) {
    const home = index % cluster.nodes.length;
    const client = createClient({ ...CLIENT_OPTIONS, urls: cluster.urlsFrom(home), name: `sub-${index}` });
    const probe: SubscriberProbe = {
      index,
      home,
      client,
      received: [],
      subscribed: [],
      lost: [],
      nodes: [],
      closes: [],
    };
    client.on("state", (e) => {
      if (e.state === "connected") probe.nodes.push(e.node);
      else if (e.state === "connecting" && e.code !== undefined) probe.closes.push(e.code);
    });
    const sub = client.subscribe(channel);
    sub.on("publication", (m) => {
      probe.received.push({ epoch: sub.position?.epoch ?? "?", offset: m.offset ?? -1, data: m.data });
    });
    sub.on("subscribed", (e) => probe.subscribed.push(e));
    sub.on("lost", (e) => probe.lost.push(e));
    probes.push(probe);
  }
  await eventually(
    `${count} subscribers to be subscribed`,
    () => probes.every((p) => p.subscribed.length > 0),
    timeoutMs,
    () => `(${probes.filter((p) => p.subscribed.length > 0).length} are)`,
  );
  return probes;
}

/**
 * Publishers (one client each) that publish one after another, awaiting every ack. Records each
 * acknowledged position; two acks for one position is an error in itself.
 */
export class Publishers {
  readonly acked = new Map<string, Acked>();
  readonly errors: string[] = [];
  readonly clients: Client[];
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    cluster: HubCluster,
    private readonly channel: string,
    /** Home node of each publisher. */
    homes: readonly number[],
  ) {
    this.clients = homes.map((home, n) =>
      createClient({ ...CLIENT_OPTIONS, urls: cluster.urlsFrom(home), name: `pub-${n}` }),
    );
  }

  get count(): number {
    return this.acked.size;
  }

  /** Starts publishing: each publisher sends `perPublisher` (or until stop()), `pauseMs` between. */
  start(perPublisher = Number.POSITIVE_INFINITY, pauseMs = 0): void {
    this.running = Promise.all(
      this.clients.map(async (client, n) => {
        for (let i = 0; i < perPublisher && !this.stopped; i++) {
          const data = `p${n}-${i}`;
          try {
            const { epoch, offset } = await client.publish(this.channel, data);
            const at = `${epoch}:${offset}`;
            const before = this.acked.get(at);
            if (before) this.errors.push(`${at} acknowledged twice: ${before.data} and ${data}`);
            this.acked.set(at, { epoch, offset, data });
          } catch (err) {
            this.errors.push(`${data}: ${(err as Error).message}`);
          }
          if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      }),
    ).then(() => undefined);
  }

  /** Lets every publisher finish its current publish, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Resolves when every publisher finished its count. */
  async done(): Promise<void> {
    await this.running;
  }

  /**
   * Publishes one last publication and returns its position. Once a subscriber has it, anything
   * that was still on its way to it (a late duplicate, say) has arrived: delivery is in order.
   */
  async fence(): Promise<Acked> {
    const client = this.clients[0];
    if (!client) throw new Error("no publisher");
    const { epoch, offset } = await client.publish(this.channel, "fence");
    const acked = { epoch, offset, data: "fence" };
    this.acked.set(`${epoch}:${offset}`, acked);
    return acked;
  }

  /** Acknowledged publications of one epoch, by offset. */
  inEpoch(epoch: string): Map<number, string> {
    const out = new Map<number, string>();
    for (const a of this.acked.values()) if (a.epoch === epoch) out.set(a.offset, a.data);
    return out;
  }

  epochs(): string[] {
    return [...new Set([...this.acked.values()].map((a) => a.epoch))];
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

/**
 * What is wrong with one subscriber's stream of one epoch, compared with the acknowledged
 * publications of that epoch, or undefined when it is exactly offsets `from+1 … top` with the
 * acknowledged data, each once, in order. `top` defaults to the highest acknowledged offset.
 */
export function streamProblem(
  received: readonly Received[],
  acked: ReadonlyMap<number, string>,
  from = 0,
  top = Math.max(0, ...acked.keys()),
): string | undefined {
  const offsets = received.map((r) => r.offset);
  const seen = new Set<number>();
  const duplicates: number[] = [];
  for (const o of offsets) {
    if (seen.has(o)) duplicates.push(o);
    seen.add(o);
  }
  if (duplicates.length > 0) return `duplicates ${summarize(duplicates)}`;
  for (let i = 1; i < offsets.length; i++)
    if ((offsets[i] ?? 0) <= (offsets[i - 1] ?? 0))
      return `out of order at #${i}: ${offsets[i - 1]} then ${offsets[i]}`;
  const missing: number[] = [];
  for (let o = from + 1; o <= top; o++) if (!seen.has(o)) missing.push(o);
  if (missing.length > 0) return `missing ${summarize(missing)} (has ${summarize(offsets)})`;
  const extra = offsets.filter((o) => o <= from || o > top);
  if (extra.length > 0) return `unexpected offsets ${summarize(extra)} (acked ${from + 1}..${top})`;
  for (const r of received) {
    const want = acked.get(r.offset);
    if (want !== undefined && r.data !== want)
      return `offset ${r.offset} carries ${JSON.stringify(r.data)}, acknowledged as ${want}`;
  }
  return undefined;
}

/** "1-5, 9, 12-14" */
export function summarize(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] ?? 0) === (sorted[j] ?? 0) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.length > 12 ? `${parts.slice(0, 12).join(", ")}, … (${values.length})` : parts.join(", ");
}

export function closeAll(probes: readonly SubscriberProbe[]): void {
  for (const p of probes) p.client.close();
}
