/**
 * The page's client: one WebSocket per page, whatever the bundlers do. The first copy of this
 * package that creates it registers it on `globalThis` under a global symbol, with its package
 * and protocol versions. Any other copy (a host that bundles the client instead of sharing it,
 * a federation runtime that instantiates the singleton twice) finds it there and, when the
 * versions are compatible, returns that same object instead of opening a second socket.
 * packages/client/README.md ("One connection per page") describes the rules.
 */
import { PROTOCOL_VERSION } from "@switchboard/protocol";
import type { Client } from "./api.js";
import { createClient } from "./client.js";
import { SwitchboardError } from "./errors.js";
import { areCompatibleVersions, SWITCHBOARD_CLIENT_VERSION } from "./federation/switchboard-shared.js";
import type { ClientOptions } from "./types.js";

/** `Symbol.for`, so every copy of the package (and every bundle) names the same slot. */
export const PAGE_CLIENT_KEY: unique symbol = Symbol.for("switchboard.client");

/** What is stored under PAGE_CLIENT_KEY. Frozen: a later copy may read it, never rewrite it. */
export interface PageClientRecord {
  /** @switchboard/client version of the copy that created the client. */
  readonly version: string;
  /** Protocol version that copy speaks. */
  readonly protocolVersion: number;
  readonly client: Client;
}

type PageGlobal = { [PAGE_CLIENT_KEY]?: unknown };
const page = globalThis as PageGlobal;
/** Records this copy already complained about: one console error per copy, not one per render. */
const reported = new WeakSet<object>();

/**
 * The page's client. The first call on the page creates it (options required); later calls, from
 * this copy or any compatible other copy of the package, return that same object and ignore
 * options. A copy of another major version (for 0.x another minor) is refused: a console error
 * names both versions and the call throws INCOMPATIBLE_VERSION.
 */
export function getSharedClient(options?: ClientOptions): Client {
  const existing = page[PAGE_CLIENT_KEY];
  if (existing !== undefined) return attach(existing);
  if (!options)
    throw new SwitchboardError(
      "INVALID_ARGUMENT",
      "getSharedClient: the first call on the page must pass options (urls)",
    );
  const record: PageClientRecord = Object.freeze({
    version: SWITCHBOARD_CLIENT_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    client: createClient(options),
  });
  page[PAGE_CLIENT_KEY] = record;
  return record.client;
}

/** Closes and forgets the page's client (tests, hot module reload); the next call creates a new one. */
export function resetSharedClient(): void {
  const existing = page[PAGE_CLIENT_KEY];
  delete page[PAGE_CLIENT_KEY];
  if (isRecord(existing)) existing.client.close();
}

function attach(existing: unknown): Client {
  const found = isRecord(existing)
    ? `@switchboard/client ${existing.version} (protocol ${existing.protocolVersion})`
    : "something that is not a Switchboard client";
  if (
    isRecord(existing) &&
    existing.protocolVersion === PROTOCOL_VERSION &&
    areCompatibleVersions(existing.version, SWITCHBOARD_CLIENT_VERSION)
  )
    return existing.client;
  const message =
    `Switchboard: @switchboard/client ${SWITCHBOARD_CLIENT_VERSION} (protocol ${PROTOCOL_VERSION}) cannot use ` +
    `the page's client, created by ${found}: versions work together only with the same major ` +
    "(for 0.x the same minor). Share one copy of @switchboard/client (switchboardShared()) or align the versions.";
  const slot = typeof existing === "object" && existing !== null ? existing : reported;
  if (!reported.has(slot)) {
    reported.add(slot);
    console.error(message);
  }
  throw new SwitchboardError("INCOMPATIBLE_VERSION", message);
}

function isRecord(value: unknown): value is PageClientRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Partial<Record<keyof PageClientRecord, unknown>>;
  return (
    typeof r.version === "string" &&
    typeof r.protocolVersion === "number" &&
    typeof r.client === "object" &&
    r.client !== null
  );
}
