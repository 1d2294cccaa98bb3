/**
 * A fault-injecting WebSocket proxy between a client and a REAL hub: it forwards every message
 * unchanged unless a test tells it to drop or answer specific frames, freeze, or cut connections.
 * Used where only a misbehaving network (or a hub bug) can produce the case under test.
 */
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";

export type Frame = Record<string, unknown> & { type: string };

/** Decide per frame: return the frame (maybe changed) to forward it, or null to drop it. */
export type FrameFilter = (frame: Frame, link: ProxyLink) => Frame | null;

export interface ProxyLink {
  /** Sends a frame to the client as if the hub had. */
  toClient(frame: Frame): void;
  /** Sends a frame to the hub as if the client had. */
  toHub(frame: Frame): void;
  /** Closes the client side abruptly (no close handshake): the hub never hears of it in time. */
  cut(): void;
  frozen: boolean;
}

export class FrameProxy {
  toClient: FrameFilter = (f) => f;
  toHub: FrameFilter = (f) => f;
  readonly links = new Set<ProxyLink>();
  /** Every frame the client sent, in order. */
  readonly fromClient: Frame[] = [];
  /** Every WebSocket message the client sent (to check coalescing). */
  readonly fromClientMessages: string[] = [];
  private readonly server: WebSocketServer;

  private constructor(
    private readonly hubUrl: string,
    server: WebSocketServer,
  ) {
    this.server = server;
    server.on("connection", (client, req) => this.accept(client, req.headers["sec-websocket-protocol"]));
  }

  static async start(hubUrl: string): Promise<FrameProxy> {
    const server = new WebSocketServer({
      port: 0,
      host: "127.0.0.1",
      handleProtocols: (offered) => (offered.has("switchboard.v1") ? "switchboard.v1" : false),
    });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    return new FrameProxy(hubUrl, server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws`;
  }

  /** Stops forwarding in both directions on every open link (a hub that hangs). */
  freeze(): void {
    for (const link of this.links) link.frozen = true;
  }

  cutAll(): void {
    for (const link of [...this.links]) link.cut();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: WebSocket, protocol: string | undefined): void {
    const upstream = new WebSocket(this.hubUrl, protocol ? protocol.split(",").map((p) => p.trim()) : []);
    const early: string[] = [];
    const link: ProxyLink = {
      frozen: false,
      toClient: (frame) => client.readyState === WebSocket.OPEN && client.send(JSON.stringify(frame)),
      toHub: (frame) => upstream.readyState === WebSocket.OPEN && upstream.send(JSON.stringify(frame)),
      cut: () => {
        this.links.delete(link);
        client.terminate();
        upstream.terminate();
      },
    };
    this.links.add(link);
    const relay = (text: string, filter: FrameFilter, target: WebSocket, record: boolean) => {
      if (link.frozen) return;
      if (record) this.fromClientMessages.push(text);
      const out: string[] = [];
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        const frame = JSON.parse(line) as Frame;
        if (record) this.fromClient.push(frame);
        const kept = filter(frame, link);
        if (kept) out.push(JSON.stringify(kept));
      }
      if (out.length > 0 && target.readyState === WebSocket.OPEN) target.send(out.join("\n"));
    };
    client.on("message", (data) => {
      const text = data.toString();
      if (upstream.readyState === WebSocket.OPEN) relay(text, this.toHub, upstream, true);
      else early.push(text);
    });
    upstream.on("open", () => {
      for (const text of early.splice(0)) relay(text, this.toHub, upstream, true);
    });
    upstream.on("message", (data) => relay(data.toString(), this.toClient, client, false));
    upstream.on("close", (code, reason) => {
      if (link.frozen || client.readyState !== WebSocket.OPEN) return;
      client.close(code === 1005 || code === 1006 ? 1011 : code, reason.toString());
    });
    client.on("close", () => {
      this.links.delete(link);
      upstream.terminate();
    });
    client.on("error", () => undefined);
    upstream.on("error", () => client.terminate());
  }
}
