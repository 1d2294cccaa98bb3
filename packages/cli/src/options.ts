/** Flag parsers shared by the commands: each names the flag and what it expects. */
import { InvalidArgumentError } from "commander";

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError("expected a port number 0–65535");
  return port;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

/** `sqlite` is the embedded broker; `memory`, its former name, still works. */
export function parseBroker(value: string): string {
  if (value === "sqlite" || value === "memory" || /^(redis|rediss|redis\+cluster|nats):\/\/[^/]+/.test(value))
    return value;
  throw new InvalidArgumentError(
    "expected sqlite (or memory), redis://HOST:PORT, redis+cluster://HOST:PORT[,HOST:PORT…] or nats://HOST:PORT",
  );
}

/** Both engines accept this set (NATS: it becomes a subject token and part of stream names). */
export function parsePrefix(value: string): string {
  if (/^[A-Za-z0-9_-]{1,64}$/.test(value)) return value;
  throw new InvalidArgumentError("expected 1–64 characters of [A-Za-z0-9_-]");
}

export function parseLogLevel(value: string): string {
  const levels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
  if (levels.includes(value)) return value;
  throw new InvalidArgumentError(`expected one of ${levels.join(", ")}`);
}

/** A URL with one of the given schemes (e.g. "http:", "https:"). */
export function urlParser(...schemes: string[]): (value: string) => string {
  return (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`expected a ${schemes.join(" or ")} URL`);
    }
    if (!schemes.includes(url.protocol))
      throw new InvalidArgumentError(`expected a ${schemes.join(" or ")} URL`);
    return value;
  };
}
