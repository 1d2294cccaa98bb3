/**
 * Connection and channel authorization (docs/security.md "hub: authentication"). Anonymous
 * access (the default without JWT settings) may use every channel; a JWT user may use the
 * channels its `channels` claim lists ("chat:*"). Connection tokens and channel tokens are told
 * apart by the `channel` claim, so neither can stand in for the other.
 */
import { channelMatches } from "@switchboard/protocol";
import { type JWTPayload, jwtVerify } from "jose";
import { loadVerifyKeys, type VerifyKeys } from "./auth-keys.js";
import type { HubConfig } from "./config.js";

export interface Identity {
  /** The JWT `sub`, absent for anonymous connections. */
  user?: string;
  /** Channel patterns the identity may subscribe to and publish in; undefined = all. */
  channels?: string[];
}

/** A verified token: who it is for and when it stops being valid (ms since the Unix epoch). */
export interface Grant {
  identity: Identity;
  expiresAt: number;
}

export class AuthError extends Error {
  override readonly name = "AuthError";
}

export class Authenticator {
  private constructor(
    private readonly keys: VerifyKeys | undefined,
    private readonly anonymous: boolean,
    private readonly issuer: string | undefined,
    private readonly audience: string | undefined,
  ) {}

  /** Throws ConfigError (naming the key) when a key file is missing, unreadable or not a key. */
  static async create(config: HubConfig): Promise<Authenticator> {
    const keys = await loadVerifyKeys(config);
    const jwt = config.auth?.jwt;
    const anonymous = config.auth?.anonymous ?? keys === undefined;
    return new Authenticator(keys, anonymous, jwt?.issuer, jwt?.audience);
  }

  /** The grant for a `connect` frame: undefined for an anonymous connection; AuthError when bad. */
  async connect(token: string | undefined): Promise<Grant | undefined> {
    if (token === undefined) {
      if (this.anonymous) return undefined;
      throw new AuthError("a token is required");
    }
    return this.connectionToken(token);
  }

  /** A `refresh` of the connection token: valid, a connection token, and for the same user. */
  async refresh(token: string, current: Identity): Promise<Grant> {
    const grant = await this.connectionToken(token);
    if (current.user === undefined || grant.identity.user !== current.user)
      throw new AuthError("token is for another user");
    return grant;
  }

  /**
   * A per-channel token: it names exactly this channel (claim `channel`) and carries a non-empty
   * `sub` equal to the connection's user. Returns when it expires.
   */
  async channelToken(token: string, channel: string, identity: Identity): Promise<number> {
    const payload = await this.verify(token);
    if (payload.channel === undefined) throw new AuthError("not a channel token (no channel claim)");
    if (payload.channel !== channel) throw new AuthError("token is for another channel");
    if (typeof payload.sub !== "string" || payload.sub === "")
      throw new AuthError("channel token has no sub");
    if (payload.sub !== identity.user) throw new AuthError("token is for another user");
    return expiresAt(payload);
  }

  allowed(identity: Identity, channel: string): boolean {
    if (!identity.channels) return true;
    return identity.channels.some((p) => channelMatches(p, channel));
  }

  private async connectionToken(token: string): Promise<Grant> {
    const payload = await this.verify(token);
    if (payload.channel !== undefined) throw new AuthError("a channel token is not a connection token");
    if (typeof payload.sub !== "string" || payload.sub === "") throw new AuthError("token has no sub");
    const channels = payload.channels;
    const identity: Identity = {
      user: payload.sub,
      channels: Array.isArray(channels) ? channels.filter((c): c is string => typeof c === "string") : [],
    };
    return { identity, expiresAt: expiresAt(payload) };
  }

  private async verify(token: string): Promise<JWTPayload> {
    const keys = this.keys;
    if (!keys) throw new AuthError("tokens are not configured on this hub");
    const options = {
      requiredClaims: ["exp"],
      algorithms: keys.algorithms,
      ...(this.issuer !== undefined ? { issuer: this.issuer } : {}),
      ...(this.audience !== undefined ? { audience: this.audience } : {}),
    };
    try {
      const { payload } =
        keys.kind === "jwks"
          ? await jwtVerify(token, keys.key, options)
          : await jwtVerify(token, keys.key, options);
      return payload;
    } catch (err) {
      throw new AuthError(err instanceof Error ? err.message : "invalid token");
    }
  }
}

function expiresAt(payload: JWTPayload): number {
  return (payload.exp ?? 0) * 1000;
}
