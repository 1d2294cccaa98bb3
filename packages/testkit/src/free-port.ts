import { createServer } from "node:net";

/**
 * A TCP port free right now on `host`. Only for processes that must be told their port up front
 * (a child hub restarted on the same port, a Redis of our own); in-process servers listen on 0.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
