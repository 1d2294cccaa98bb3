/**
 * A bare-protocol test client: speaks docs/protocol.md frames over a plain WebSocket (not our SDK),
 * records every frame, and waits for frames by predicate with a deadline.
 */
import { WebSocket } from "ws";

export type Frame = Record<string, unknown> & { type: string };

export class RawClient {
  readonly frames: Frame[] = [];
  readonly rawMessages: string[] = [];
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];
  private nextId = 1;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(
    readonly url: string,
    protocols: string[] = ["switchboard.v1"],
    readonly ws = new WebSocket(url, protocols),
  ) {
    this.opened = new Promise((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    this.closed = new Promise((resolve) => {
      ws.once("close", (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      });
    });
    ws.on("error", () => undefined);
    ws.on("message", (data) => {
      const text = data.toString();
      this.rawMessages.push(text);
      for (const line of text.split("\n")) if (line.trim()) this.frames.push(JSON.parse(line) as Frame);
      this.wake();
    });
  }

  static async connect(url: string, connect: Record<string, unknown> = {}): Promise<RawClient> {
    const client = new RawClient(url);
    await client.opened;
    const reply = await client.request({ type: "connect", version: 1, ...connect });
    if (reply.type !== "connected") throw new Error(`connect failed: ${JSON.stringify(reply)}`);
    return client;
  }

  get clientId(): string {
    const connected = this.frames.find((f) => f.type === "connected");
    return String(connected?.client);
  }

  send(frame: Record<string, unknown> | string): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Sends a request with a fresh id and resolves with the reply carrying that id. */
  async request(frame: Record<string, unknown>, timeoutMs = 5000): Promise<Frame> {
    const id = this.nextId++;
    this.send({ ...frame, id });
    return this.waitFor((f) => f.id === id, timeoutMs);
  }

  /** Resolves with the first recorded frame (from `from` on) that matches. */
  waitFor(match: (f: Frame) => boolean, timeoutMs = 5000, from = 0): Promise<Frame> {
    return this.until(() => this.frames.slice(from).find(match), timeoutMs, "frame");
  }

  /** Resolves once `count` frames match. */
  async waitForCount(match: (f: Frame) => boolean, count: number, timeoutMs = 10_000): Promise<Frame[]> {
    return this.until(
      () => {
        const found = this.frames.filter(match);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
      `${count} frames`,
    );
  }

  waitClosed(timeoutMs = 5000): Promise<number> {
    return this.until(() => this.closeCode, timeoutMs, "close");
  }

  pubs(channel: string): Frame[] {
    return this.frames.filter((f) => f.type === "pub" && f.channel === channel);
  }

  close(): void {
    this.ws.terminate();
  }

  private until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const value = probe();
        if (value === undefined) return false;
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(`timed out waiting for ${what}; last frames: ${JSON.stringify(this.frames.slice(-5))}`),
        );
      }, timeoutMs);
      const waiter = () => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** The raw clients one test opens, closed together after it (`afterEach`). */
export class RawClients {
  readonly #open: RawClient[] = [];

  async connect(url: string, connect?: Record<string, unknown>): Promise<RawClient> {
    const c = await RawClient.connect(url, connect);
    this.#open.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.#open.splice(0)) c.close();
  }
}
