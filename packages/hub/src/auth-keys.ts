/**
 * Loads the JWT verification keys of `auth.jwt` (docs/security.md "hub: authentication"):
 * an HS256 secret, an RSA or EC public key (SPKI PEM) or a JSON Web Key Set picked by `kid`.
 * A key file that is missing, unreadable or not a key is a ConfigError naming the key, so the
 * CLI exits 2 with one line instead of a stack trace.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { ConfigError, type HubConfig } from "./config.js";

export type VerifyKeys =
  | { kind: "secret"; key: Uint8Array; algorithms: string[] }
  | { kind: "public"; key: KeyObject; algorithms: string[] }
  | { kind: "jwks"; key: JWTVerifyGetKey; algorithms: string[] };

const RSA_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
const EC_ALGORITHMS: Record<string, string[]> = {
  prime256v1: ["ES256"],
  secp384r1: ["ES384"],
  secp521r1: ["ES512"],
};

async function readKeyFile(key: string, file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(key, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

function publicKeyOf(pem: string, file: string): VerifyKeys {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch {
    throw new ConfigError("auth.jwt.publicKeyFile", `${file} is not a PEM public key (SPKI)`);
  }
  if (key.asymmetricKeyType === "rsa") return { kind: "public", key, algorithms: RSA_ALGORITHMS };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const ec = key.asymmetricKeyType === "ec" && curve !== undefined ? EC_ALGORITHMS[curve] : undefined;
  if (ec) return { kind: "public", key, algorithms: ec };
  if (key.asymmetricKeyType === "ed25519") return { kind: "public", key, algorithms: ["EdDSA"] };
  throw new ConfigError(
    "auth.jwt.publicKeyFile",
    `${file}: unsupported key type ${key.asymmetricKeyType ?? "?"}${curve ? ` (${curve})` : ""}`,
  );
}

function jwksOf(text: string, file: string): VerifyKeys {
  let set: unknown;
  try {
    set = JSON.parse(text);
  } catch {
    throw new ConfigError("auth.jwt.jwksFile", `${file} is not valid JSON`);
  }
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ConfigError("auth.jwt.jwksFile", `${file} is not a JSON Web Key Set (no "keys")`);
  try {
    return {
      kind: "jwks",
      key: createLocalJWKSet(set as JSONWebKeySet),
      algorithms: [...RSA_ALGORITHMS, "ES256", "ES384", "ES512", "EdDSA"],
    };
  } catch (err) {
    throw new ConfigError("auth.jwt.jwksFile", `${file}: ${(err as Error).message}`);
  }
}

/** The configured verification keys, or undefined when the hub takes no tokens. */
export async function loadVerifyKeys(config: HubConfig): Promise<VerifyKeys | undefined> {
  const jwt = config.auth?.jwt;
  if (jwt?.secret)
    return { kind: "secret", key: new TextEncoder().encode(jwt.secret), algorithms: ["HS256"] };
  if (jwt?.publicKeyFile)
    return publicKeyOf(await readKeyFile("auth.jwt.publicKeyFile", jwt.publicKeyFile), jwt.publicKeyFile);
  if (jwt?.jwksFile) return jwksOf(await readKeyFile("auth.jwt.jwksFile", jwt.jwksFile), jwt.jwksFile);
  return undefined;
}
