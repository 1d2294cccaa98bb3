/**
 * Token lifetime over real sockets (docs/protocol.md "Token lifetime"): `expires`, `refresh`,
 * close 4005, channel-token claims and expiry, iss/aud, RS256 / ES256 / JWKS keys.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../src/config.js";
import { startHub } from "../src/hub.js";
import { type Frame, RawClient } from "./raw-client.js";
import { startTestHub, type TestHub, tempDir } from "./test-hub.js";

const secret = "token-lifetime-secret";
const key = new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);
/** An HS256 token that expires `seconds` from now. */
const sign = (claims: JWTPayload, seconds = 3600) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime(now() + seconds)
    .sign(key);

/** Resolves once the wall clock passes `at` (ms): a token deadline, not a timing target. */
function clockPasses(at: number): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (Date.now() <= at) return;
      clearInterval(poll);
      resolve();
    }, 50);
  });
}

async function open(hub: TestHub, token?: string): Promise<{ c: RawClient; connected: Frame }> {
  const c = new RawClient(hub.url);
  await c.opened;
  const connected = await c.request({ type: "connect", version: 1, ...(token ? { token } : {}) });
  return { c, connected };
}

describe("connection token lifetime", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ config: { auth: { anonymous: true, jwt: { secret } } } });
  });
  afterAll(() => hub.dispose());

  it("connected carries expires for an expiring token, none for an anonymous connection", async () => {
    const { c, connected } = await open(hub, await sign({ sub: "u1", channels: ["*"] }, 120));
    expect(connected.type).toBe("connected");
    expect(connected.expires).toBeGreaterThanOrEqual(118);
    expect(connected.expires).toBeLessThanOrEqual(120);
    const anonymous = await open(hub);
    expect(anonymous.connected.type).toBe("connected");
    expect(anonymous.connected.expires).toBeUndefined();
    c.close();
    anonymous.c.close();
  });

  it("refresh → refreshed with the new expires; the connection outlives the old token", async () => {
    const { c } = await open(hub, await sign({ sub: "u2", channels: ["*"] }, 2));
    const refreshed = await c.request({
      type: "refresh",
      token: await sign({ sub: "u2", channels: ["*"] }, 600),
    });
    expect(refreshed).toMatchObject({ type: "refreshed" });
    expect(refreshed.expires).toBeGreaterThanOrEqual(598);
    // Past the old exp + 2 s the connection still serves requests.
    const oldExp = Date.now() + 2000;
    await clockPasses(oldExp + 2500);
    expect(await c.request({ type: "publish", channel: "r:1", data: 1 })).toMatchObject({
      type: "published",
    });
    expect(c.closeCode).toBeUndefined();
    c.close();
  });

  it("a bad refresh is UNAUTHORIZED and the connection keeps its old token (closes 4005 at its exp)", async () => {
    const exp = now() + 3;
    const original = await new SignJWT({ sub: "u3", channels: ["*"] })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(exp)
      .sign(key);
    const { c } = await open(hub, original);
    const bad = [
      "not-a-jwt",
      await sign({ sub: "u3", channels: ["*"] }, -60),
      await sign({ sub: "someone-else", channels: ["*"] }, 600),
      await sign({ sub: "u3", channel: "r:x" }, 600),
      await new SignJWT({ sub: "u3" })
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime("10m")
        .sign(new TextEncoder().encode("another-secret")),
    ];
    for (const token of bad)
      expect(await c.request({ type: "refresh", token })).toMatchObject({
        type: "error",
        code: "UNAUTHORIZED",
      });
    expect(await c.request({ type: "publish", channel: "r:3", data: "still" })).toMatchObject({
      type: "published",
    });
    expect(await c.waitClosed((exp - now() + 5) * 1000)).toBe(4005);
    c.close();
  });

  it("expiry without refresh: disconnect 4005 then close 4005; nothing is published after exp", async () => {
    const exp = now() + 2;
    const token = await new SignJWT({ sub: "u4", channels: ["*"] })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(exp)
      .sign(key);
    const { c } = await open(hub, token);
    expect(await c.request({ type: "subscribe", channel: "r:4" })).toMatchObject({ type: "subscribed" });
    // Publish until the hub closes the connection: none of these may be stored after exp.
    let n = 0;
    const publisher = setInterval(
      () => c.send({ type: "publish", id: 1000 + n, channel: "r:4", data: n++ }),
      20,
    );
    const code = await c.waitClosed((exp - now() + 5) * 1000);
    clearInterval(publisher);
    expect(code).toBe(4005);
    expect(c.frames.at(-1)).toMatchObject({
      type: "disconnect",
      code: 4005,
      reason: "token expired",
      reconnect: true,
    });
    const reader = await open(hub);
    const page = await reader.c.request({ type: "history", channel: "r:4", limit: 1000 });
    const publications = page.publications as Array<{ time: number }>;
    expect(publications.length).toBeGreaterThan(0);
    // Stored at append time; a request dispatched before exp may finish its append just after.
    for (const p of publications) expect(p.time).toBeLessThan(exp * 1000 + 250);
    reader.c.close();
  });

  it("a token with a channel claim is refused at connect (4001)", async () => {
    const { c, connected } = await open(hub, await sign({ sub: "u5", channel: "r:5" }));
    expect(connected).toMatchObject({ type: "error", code: "UNAUTHORIZED" });
    expect(await c.waitClosed()).toBe(4001);
  });
});

describe("channel tokens", () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ config: { auth: { jwt: { secret } } } });
  });
  afterAll(() => hub.dispose());

  it("refuses a channel token without channel, without or with another sub, or for another channel", async () => {
    // The connection itself may not use private:* — only a channel token opens it.
    const { c } = await open(hub, await sign({ sub: "alice", channels: ["pub:*"] }));
    expect(await c.request({ type: "subscribe", channel: "private:a" })).toMatchObject({
      code: "PERMISSION_DENIED",
    });
    for (const token of [
      await sign({ sub: "alice", channels: ["*"] }),
      await sign({ channel: "private:a" }),
      await sign({ sub: "", channel: "private:a" }),
      await sign({ sub: "bob", channel: "private:a" }),
      await sign({ sub: "alice", channel: "private:b" }),
      await sign({ sub: "alice", channel: "private:a" }, -60),
    ])
      expect(await c.request({ type: "subscribe", channel: "private:a", token })).toMatchObject({
        type: "error",
        code: "UNAUTHORIZED",
      });
    expect(
      await c.request({
        type: "subscribe",
        channel: "private:a",
        token: await sign({ sub: "alice", channel: "private:a" }),
      }),
    ).toMatchObject({ type: "subscribed" });
    c.close();
  });

  it("expiry ends the subscription (token_expired, resubscribe); a new token with since loses nothing", async () => {
    const { c } = await open(hub, await sign({ sub: "carol", channels: ["pub:*"] }));
    const channel = "private:exp";
    const publisher = await open(hub, await sign({ sub: "pub", channels: ["private:*"] }));
    const sub = await c.request({
      type: "subscribe",
      channel,
      token: await sign({ sub: "carol", channel }, 2),
    });
    expect(sub.type).toBe("subscribed");
    expect(await publisher.c.request({ type: "publish", channel, data: "a" })).toMatchObject({
      type: "published",
    });
    await c.waitFor((f) => f.type === "pub" && f.data === "a");
    const ended = await c.waitFor((f) => f.type === "unsubscribed" && f.channel === channel, 6000);
    expect(ended).toMatchObject({ reason: "token_expired", resubscribe: true });
    expect(ended.id).toBeUndefined();
    // Published while carol is not subscribed: recovered through since.
    expect(await publisher.c.request({ type: "publish", channel, data: "b" })).toMatchObject({
      type: "published",
    });
    const last = c.pubs(channel).at(-1) as Frame;
    const again = await c.request({
      type: "subscribe",
      channel,
      token: await sign({ sub: "carol", channel }, 600),
      since: { epoch: sub.epoch, offset: last.offset },
    });
    expect(again).toMatchObject({ type: "subscribed", recovered: true });
    expect((again.publications as Frame[]).map((p) => p.data)).toEqual(["b"]);
    // The expired subscription delivered nothing after it ended.
    expect(c.pubs(channel).map((p) => p.data)).toEqual(["a"]);
    c.close();
    publisher.c.close();
  });

  it("refresh of a channel token in place keeps the subscription past the old exp", async () => {
    const { c } = await open(hub, await sign({ sub: "dave", channels: [] }));
    const channel = "private:refresh";
    const publisher = await open(hub, await sign({ sub: "pub", channels: ["private:*"] }));
    const oldExp = (now() + 2) * 1000;
    await c.request({ type: "subscribe", channel, token: await sign({ sub: "dave", channel }, 2) });
    expect(
      await c.request({
        type: "refresh",
        channel: "private:other",
        token: await sign({ sub: "dave", channel: "private:other" }),
      }),
    ).toMatchObject({ code: "NOT_SUBSCRIBED" });
    expect(
      await c.request({ type: "refresh", channel, token: await sign({ sub: "eve", channel }, 600) }),
    ).toMatchObject({ code: "UNAUTHORIZED" });
    const refreshed = await c.request({
      type: "refresh",
      channel,
      token: await sign({ sub: "dave", channel }, 600),
    });
    expect(refreshed).toMatchObject({ type: "refreshed", channel });
    expect(refreshed.expires).toBeGreaterThanOrEqual(598);
    await clockPasses(oldExp + 2500);
    await publisher.c.request({ type: "publish", channel, data: "after" });
    await c.waitFor((f) => f.type === "pub" && f.data === "after");
    expect(c.frames.some((f) => f.type === "unsubscribed")).toBe(false);
    c.close();
    publisher.c.close();
  });
});

describe("keys, issuer and audience", () => {
  it("checks iss and aud when configured", async () => {
    const hub = await startTestHub({
      config: { auth: { jwt: { secret, issuer: "https://id.example", audience: "switchboard" } } },
    });
    try {
      const good = await new SignJWT({ sub: "u" })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer("https://id.example")
        .setAudience("switchboard")
        .setExpirationTime("5m")
        .sign(key);
      expect((await open(hub, good)).connected.type).toBe("connected");
      for (const token of [
        await sign({ sub: "u" }),
        await sign({ sub: "u", iss: "https://evil.example", aud: "switchboard" }),
        await sign({ sub: "u", iss: "https://id.example", aud: "other" }),
      ]) {
        const { c, connected } = await open(hub, token);
        expect(connected).toMatchObject({ code: "UNAUTHORIZED" });
        expect(await c.waitClosed()).toBe(4001);
      }
    } finally {
      await hub.dispose();
    }
  });

  for (const alg of ["RS256", "ES256"] as const)
    it(`verifies ${alg} tokens against an SPKI PEM publicKeyFile`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg);
      const file = join(tempDir(), `${alg}.pem`);
      writeFileSync(file, await exportSPKI(publicKey));
      const hub = await startTestHub({ config: { auth: { jwt: { publicKeyFile: file } } } });
      try {
        const token = await new SignJWT({ sub: "k" })
          .setProtectedHeader({ alg })
          .setExpirationTime("5m")
          .sign(privateKey);
        expect((await open(hub, token)).connected.type).toBe("connected");
        const other = await generateKeyPair(alg);
        const forged = await new SignJWT({ sub: "k" })
          .setProtectedHeader({ alg })
          .setExpirationTime("5m")
          .sign(other.privateKey);
        expect((await open(hub, forged)).connected).toMatchObject({ code: "UNAUTHORIZED" });
      } finally {
        await hub.dispose();
      }
    });

  it("verifies tokens against a JWKS file, picking the key by kid", async () => {
    const rsa = await generateKeyPair("RS256");
    const ec = await generateKeyPair("ES256");
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256" },
      { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256" },
    ];
    const file = join(tempDir(), "keys.json");
    writeFileSync(file, JSON.stringify({ keys }));
    const hub = await startTestHub({ config: { auth: { jwt: { jwksFile: file } } } });
    try {
      const tokenOf = (alg: string, kid: string, pk: CryptoKey) =>
        new SignJWT({ sub: "j" }).setProtectedHeader({ alg, kid }).setExpirationTime("5m").sign(pk);
      expect((await open(hub, await tokenOf("RS256", "rsa-1", rsa.privateKey))).connected.type).toBe(
        "connected",
      );
      expect((await open(hub, await tokenOf("ES256", "ec-1", ec.privateKey))).connected.type).toBe(
        "connected",
      );
      // The EC key signed it but the header names the RSA key: refused.
      expect((await open(hub, await tokenOf("ES256", "rsa-1", ec.privateKey))).connected).toMatchObject({
        code: "UNAUTHORIZED",
      });
      expect((await open(hub, await tokenOf("RS256", "unknown", rsa.privateKey))).connected).toMatchObject({
        code: "UNAUTHORIZED",
      });
    } finally {
      await hub.dispose();
    }
  });

  it("a missing or bad key file fails startup with a ConfigError naming the key", async () => {
    const dir = tempDir();
    const notKey = join(dir, "not-a-key.pem");
    writeFileSync(notKey, "hello");
    for (const [jwt, pattern] of [
      [{ publicKeyFile: join(dir, "absent.pem") }, /^auth\.jwt\.publicKeyFile: cannot read .* \(ENOENT\)$/],
      [{ publicKeyFile: notKey }, /^auth\.jwt\.publicKeyFile: .*not a PEM public key/],
      [{ jwksFile: notKey }, /^auth\.jwt\.jwksFile: .*not valid JSON/],
    ] as const) {
      const started = startHub({ port: 0, host: "127.0.0.1", dataDir: dir, config: { auth: { jwt } } });
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(pattern);
    }
  });
});
