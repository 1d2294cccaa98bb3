/**
 * The Socket.IO 4.8 server the peer bench compares against (docs/benchmarks.md, "Peers"):
 * default settings except `transports: ["websocket"]`. Run as its own process:
 * `node sio-server.js [--redis URL]` (with `@socket.io/redis-adapter` for the cross-node case);
 * prints "ready on ws://…".
 *
 * Events: `sub(channel, ack)` joins the room and acks; `pub(channel, data, ack)` emits
 * `msg(channel, data)` to the room (Socket.IO encodes it once per broadcast), then acks.
 */
import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";

const redisUrl = process.argv.includes("--redis")
  ? process.argv[process.argv.indexOf("--redis") + 1]
  : undefined;
const http = createServer();
const io = new Server(http, { transports: ["websocket"] });
if (redisUrl) {
  const pubClient = new Redis(redisUrl);
  io.adapter(createAdapter(pubClient, pubClient.duplicate()));
}
io.on("connection", (socket) => {
  socket.on("sub", (channel: string, ack: () => void) => {
    socket.join(channel);
    ack();
  });
  socket.on("pub", (channel: string, data: unknown, ack: () => void) => {
    io.to(channel).emit("msg", channel, data);
    ack();
  });
});
http.listen(0, "127.0.0.1", () => {
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`ready on ws://127.0.0.1:${port}/\n`);
});
process.on("SIGTERM", () => process.exit(0));
