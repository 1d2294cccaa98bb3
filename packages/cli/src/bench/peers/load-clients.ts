/**
 * Load-generator clients for the three servers the peer bench compares, behind one interface:
 * the hub over its own protocol (raw frames, no SDK), Socket.IO through socket.io-client
 * (websocket transport), the `ws` loop over its JSON frames.
 */
import { io as ioClient } from "socket.io-client";
import { WebSocket } from "ws";

/** What every publication carries: a per-channel sequence, the send time, padding. */
export interface Payload {
  s: number;
  t: number;
  p: string;
}
export type OnMessage = (channel: string, data: Payload) => void;

export interface PeerClient {
  subscribe(channel: string): Promise<void>;
  /** Resolves when the server acknowledged the publication. */
  publish(channel: string, data: Payload): Promise<void>;
  /** False once the server closed the connection (e.g. missed heartbeats). */
  isOpen(): boolean;
  close(): void;
}
export type Connect = (url: string, onMessage: OnMessage) => Promise<PeerClient>;

const noop = () => undefined;

/** Sends JSON requests carrying an `id`/`i` field and settles them on the matching reply. */
class Pending {
  private next = 1;
  private waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  add(): { id: number; done: Promise<void> } {
    const id = this.next++;
    const done = new Promise<void>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    return { id, done };
  }
  settle(id: number, error?: string): void {
    const entry = this.waiting.get(id);
    this.waiting.delete(id);
    if (error) entry?.reject(new Error(error));
    else entry?.resolve();
  }
  failAll(reason: string): void {
    for (const entry of this.waiting.values()) entry.reject(new Error(reason));
    this.waiting.clear();
  }
}

function openWs(url: string, protocols: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.once("error", reject);
    ws.once("open", () => {
      ws.off("error", reject);
      ws.on("error", noop);
      resolve(ws);
    });
  });
}

export const connectHub: Connect = async (url, onMessage) => {
  const ws = await openWs(url, ["switchboard.v1"]);
  const pending = new Pending();
  ws.on("close", () => pending.failAll("closed"));
  ws.on("message", (raw) => {
    const text = raw.toString();
    // The hub may batch several frames into one WebSocket message, one per line.
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      const frame = JSON.parse(text.slice(start, end)) as {
        type: string;
        id?: number;
        channel?: string;
        data?: Payload;
        code?: string;
      };
      start = end + 1;
      if (frame.type === "pub") onMessage(frame.channel ?? "", frame.data as Payload);
      else if (frame.type === "ping") ws.send('{"type":"pong"}');
      else if (typeof frame.id === "number")
        pending.settle(frame.id, frame.type === "error" ? `hub error ${frame.code}` : undefined);
    }
  });
  const request = (frame: Record<string, unknown>) => {
    const { id, done } = pending.add();
    ws.send(JSON.stringify({ ...frame, id }));
    return done;
  };
  await request({ type: "connect", version: 1, name: "bench" });
  return {
    subscribe: (channel) => request({ type: "subscribe", channel }),
    publish: (channel, data) => request({ type: "publish", channel, data }),
    isOpen: () => ws.readyState === WebSocket.OPEN,
    close: () => ws.terminate(),
  };
};

export const connectWsLoop: Connect = async (url, onMessage) => {
  const ws = await openWs(url, []);
  const pending = new Pending();
  ws.on("close", () => pending.failAll("closed"));
  ws.on("message", (raw) => {
    const frame = JSON.parse(raw.toString()) as { t: string; i?: number; c?: string; d?: Payload };
    if (frame.t === "msg") onMessage(frame.c ?? "", frame.d as Payload);
    else if (frame.t === "ok" && frame.i !== undefined) pending.settle(frame.i);
  });
  const request = (frame: Record<string, unknown>) => {
    const { id, done } = pending.add();
    ws.send(JSON.stringify({ ...frame, i: id }));
    return done;
  };
  return {
    subscribe: (c) => request({ t: "sub", c }),
    publish: (c, d) => request({ t: "pub", c, d }),
    isOpen: () => ws.readyState === WebSocket.OPEN,
    close: () => ws.terminate(),
  };
};

export const connectSocketIo: Connect = (url, onMessage) =>
  new Promise((resolve, reject) => {
    const socket = ioClient(url, { transports: ["websocket"], forceNew: true, reconnection: false });
    socket.on("msg", (channel: string, data: Payload) => onMessage(channel, data));
    socket.once("connect_error", reject);
    socket.once("connect", () => {
      socket.off("connect_error", reject);
      resolve({
        subscribe: async (channel) => {
          await socket.emitWithAck("sub", channel);
        },
        publish: async (channel, data) => {
          await socket.emitWithAck("pub", channel, data);
        },
        isOpen: () => socket.connected,
        close: () => {
          socket.disconnect();
        },
      });
    });
  });
