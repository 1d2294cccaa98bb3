/**
 * The plain `ws` broadcast loop the peer bench compares against (docs/benchmarks.md, "Peers").
 * Run as its own process: `node ws-loop-server.js [--redis URL]`; prints "ready on ws://…".
 *
 * Protocol (JSON text frames): {"t":"sub","c":CHANNEL,"i":ID} → joins the channel's Set, replies
 * {"t":"ok","i":ID}; {"t":"pub","c":CHANNEL,"d":DATA,"i":ID} → sends {"t":"msg","c":…,"d":…} to
 * every socket in the Set (one `send` each, the frame serialized once), then replies ok. With
 * `--redis` (cross-node), it also publishes the frame on one Redis pub/sub channel, and every other
 * node broadcasts what it receives there to its own sockets (like Socket.IO's redis adapter). Heartbeat: a ping to every socket each 25 s (the hub's
 * and Socket.IO's default interval), sockets silent for a whole interval are terminated.
 */
import { Redis } from "ioredis";
import { type WebSocket, WebSocketServer } from "ws";

const HEARTBEAT_MS = 25_000;
const RELAY = "bench-ws-loop";
const NODE = `${process.pid}|`;

const redisUrl = process.argv.includes("--redis")
  ? process.argv[process.argv.indexOf("--redis") + 1]
  : undefined;
const channels = new Map<string, Set<WebSocket>>();
const alive = new WeakSet<WebSocket>();

function broadcast(channel: string, frame: string): void {
  const members = channels.get(channel);
  if (members) for (const socket of members) socket.send(frame);
}

const pub = redisUrl ? new Redis(redisUrl) : undefined;
if (redisUrl) {
  const sub = new Redis(redisUrl);
  await sub.subscribe(RELAY);
  sub.on("message", (_relay: string, message: string) => {
    if (message.startsWith(NODE)) return;
    const frame = message.slice(message.indexOf("|") + 1);
    broadcast((JSON.parse(frame) as { c: string }).c, frame);
  });
}

const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
server.on("connection", (socket) => {
  alive.add(socket);
  const joined = new Set<string>();
  socket.on("pong", () => alive.add(socket));
  socket.on("message", (raw) => {
    const frame = JSON.parse(raw.toString()) as { t: string; c: string; d?: unknown; i: number };
    if (frame.t === "sub") {
      const members = channels.get(frame.c) ?? new Set<WebSocket>();
      channels.set(frame.c, members);
      members.add(socket);
      joined.add(frame.c);
    } else if (frame.t === "pub") {
      const out = JSON.stringify({ t: "msg", c: frame.c, d: frame.d });
      broadcast(frame.c, out);
      if (pub) void pub.publish(RELAY, NODE + out);
    }
    socket.send(`{"t":"ok","i":${frame.i}}`);
  });
  socket.on("close", () => {
    for (const channel of joined) {
      const members = channels.get(channel);
      members?.delete(socket);
      if (members?.size === 0) channels.delete(channel);
    }
  });
});
setInterval(() => {
  for (const socket of server.clients) {
    if (!alive.has(socket)) socket.terminate();
    else {
      alive.delete(socket);
      socket.ping();
    }
  }
}, HEARTBEAT_MS).unref();
server.on("listening", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`ready on ws://127.0.0.1:${port}/\n`);
});
process.on("SIGTERM", () => process.exit(0));
