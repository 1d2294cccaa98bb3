/** Minimal protocol clients for load: many sockets in one process, no SDK overhead. */
import { WebSocket } from "ws";

export interface LoadSocket {
  ws: WebSocket;
  request(frame: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export function openSocket(
  url: string,
  onPub: (frame: { data: unknown; offset: number }) => void,
): Promise<LoadSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["switchboard.v1"], { perMessageDeflate: false });
    let nextId = 1;
    const pending = new Map<number, (frame: Record<string, unknown>) => void>();
    ws.on("message", (data) => {
      const text = data.toString();
      let start = 0;
      while (start < text.length) {
        let end = text.indexOf("\n", start);
        if (end < 0) end = text.length;
        const frame = JSON.parse(text.slice(start, end)) as Record<string, unknown> & { type: string };
        start = end + 1;
        if (frame.type === "pub") onPub(frame as unknown as { data: unknown; offset: number });
        else if (frame.type === "ping") ws.send('{"type":"pong"}');
        else if (typeof frame.id === "number") {
          pending.get(frame.id)?.(frame);
          pending.delete(frame.id);
        }
      }
    });
    const socket: LoadSocket = {
      ws,
      request(frame) {
        const id = nextId++;
        return new Promise((done) => {
          pending.set(id, done);
          ws.send(JSON.stringify({ ...frame, id }));
        });
      },
    };
    ws.once("error", reject);
    ws.once("open", async () => {
      const reply = await socket.request({ type: "connect", version: 1, name: "bench" });
      if (reply.type !== "connected") reject(new Error(`connect: ${JSON.stringify(reply)}`));
      else resolve(socket);
    });
  });
}
