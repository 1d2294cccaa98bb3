/**
 * Connection and channel authorization. Anonymous access (the default without JWT settings) may
 * use every channel; a JWT user may use the channels its `channels` claim lists ("chat:*").
 */
import { readFile } from "node:fs/promises";
import { channelMatches } from "@switchboard/protocol";
import { type CryptoKey, importSPKI, type JWTPayload, jwtVerify, type KeyObject } from "jose";
import type { HubConfig } from "./config.js";

export interface Identity {
  /** The JWT `sub`, absent for anonymous connections. */
  user?: string;
  /** Channel patterns the identity may subscribe to and publish in; undefined = all. */
  channels?: string[];
}

export class AuthError extends Error {
  override readonly name = "AuthError";
}

type VerifyKey = Uint8Array | CryptoKey | KeyObject;

export class Authenticator {
  private constructor(
    private readonly key: VerifyKey | undefined,
    private readonly anonymous: boolean,
  ) {}

  static async create(config: HubConfig): Promise<Authenticator> {
    const jwt = config.auth?.jwt;
    let key: VerifyKey | undefined;
    if (jwt?.secret) key = new TextEncoder().encode(jwt.secret);
    else if (jwt?.publicKeyFile) {
      const pem = await readFile(jwt.publicKeyFile, "utf8");
      key = await importSPKI(pem, pem.includes("EC PUBLIC") ? "ES256" : "RS256");
    }
    const anonymous = config.auth?.anonymous ?? key === undefined;
    return new Authenticator(key, anonymous);
  }

  /** Identity for a `connect` frame; throws AuthError when credentials are required and bad. */
  async connect(token: string | undefined): Promise<Identity> {
    if (token === undefined) {
      if (this.anonymous) return {};
      throw new AuthError("a token is required");
    }
    const payload = await this.verify(token);
    if (typeof payload.sub !== "string") throw new AuthError("token has no sub");
    const identity: Identity = { user: payload.sub };
    const channels = payload.channels;
    if (Array.isArray(channels))
      identity.channels = channels.filter((c): c is string => typeof c === "string");
    else identity.channels = [];
    return identity;
  }

  /** Verifies a per-channel subscription token: it must name this channel (claim `channel`). */
  async channelToken(token: string, channel: string, identity: Identity): Promise<void> {
    const payload = await this.verify(token);
    if (payload.channel !== channel) throw new AuthError("token is for another channel");
    if (identity.user !== undefined && payload.sub !== undefined && payload.sub !== identity.user)
      throw new AuthError("token is for another user");
  }

  allowed(identity: Identity, channel: string): boolean {
    if (!identity.channels) return true;
    return identity.channels.some((p) => channelMatches(p, channel));
  }

  private async verify(token: string): Promise<JWTPayload> {
    if (!this.key) throw new AuthError("tokens are not configured on this hub");
    try {
      const { payload } = await jwtVerify(token, this.key, { requiredClaims: ["exp"] });
      return payload;
    } catch (err) {
      throw new AuthError(err instanceof Error ? err.message : "invalid token");
    }
  }
}
