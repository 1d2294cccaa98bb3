import { type Logger, pino } from "pino";

export type { Logger };

/** Structured JSON logs to stdout; `silent` for tests. */
export function createLogger(level: string, node: string): Logger {
  return pino({ level, base: { node } });
}
