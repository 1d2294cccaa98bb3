/**
 * Renews the connection token before it expires (docs/client.md "Tokens"): when `connected` or
 * `refreshed` says `expires: S`, asks the token function for a fresh token a while before then
 * and sends `refresh`, so the connection outlives any number of token lifetimes without a
 * reconnect. A refused or failed renewal is reported; the hub's 4005 close then makes the
 * connection reconnect with a fresh token.
 */
import { encodeFrame, type HubFrame } from "@switchboard/protocol";
import { SwitchboardError } from "../errors.js";
import { resolveToken } from "../token.js";
import type { TokenSource } from "../types.js";

/** Renew this share of the lifetime before `exp`, at most RENEW_AHEAD_MAX_MS before it. */
const RENEW_AHEAD_SHARE = 1 / 3;
const RENEW_AHEAD_MAX_MS = 60_000;

export interface RenewalPort {
  nextId(): number;
  /** Sends an encoded frame on the current socket. */
  send(encoded: string): void;
  error(error: SwitchboardError): void;
}

export class TokenRenewal {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pendingId: number | undefined;
  /** Bumped by stop(): a renewal of an older socket does nothing. */
  private generation = 0;

  constructor(
    private readonly source: TokenSource | undefined,
    private readonly port: RenewalPort,
  ) {}

  /** The hub said the current token expires in `expires` seconds. */
  schedule(expires: number | undefined): void {
    clearTimeout(this.timer);
    if (expires === undefined || typeof this.source !== "function") return;
    const lifetimeMs = expires * 1000;
    const delay = Math.max(0, lifetimeMs - Math.min(RENEW_AHEAD_MAX_MS, lifetimeMs * RENEW_AHEAD_SHARE));
    const gen = this.generation;
    this.timer = setTimeout(() => void this.renew(gen), delay);
  }

  /** Takes the reply to our `refresh`; true when the frame was one. */
  handle(frame: HubFrame): boolean {
    if (this.pendingId === undefined || !("id" in frame) || frame.id !== this.pendingId) return false;
    this.pendingId = undefined;
    if (frame.type === "refreshed") this.schedule(frame.expires);
    else if (frame.type === "error")
      this.port.error(new SwitchboardError("UNAUTHORIZED", `token refresh refused: ${frame.message}`));
    return true;
  }

  stop(): void {
    this.generation++;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pendingId = undefined;
  }

  private async renew(gen: number): Promise<void> {
    let token: string | undefined;
    try {
      token = await resolveToken(this.source);
    } catch (err) {
      if (gen === this.generation)
        this.port.error(
          new SwitchboardError(
            "UNAUTHORIZED",
            `token source failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
        );
      return;
    }
    if (gen !== this.generation || token === undefined) return;
    const id = this.port.nextId();
    this.pendingId = id;
    this.port.send(encodeFrame({ type: "refresh", id, token }));
  }
}
