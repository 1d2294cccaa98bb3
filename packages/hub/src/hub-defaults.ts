/**
 * Where a hub listens and keeps its data when nothing else is said — the one copy the CLI's flag
 * defaults and startHub both read (docs/operations.md).
 */
import { EMBEDDED_BROKER_SPECS } from "./brokers/create-broker.js";

export const HUB_DEFAULTS = {
  port: 7700,
  host: "127.0.0.1",
  /** Folder of the embedded store (created if missing). */
  dataDir: "./data",
  /** The embedded SQLite broker. */
  broker: EMBEDDED_BROKER_SPECS[0],
  logLevel: "info",
} as const;
