import assert from "node:assert/strict";
import * as jose from "jose";
import { TOKEN_TRANSFORMS, TRANSFORM_NAMES, type TransformName } from "../../conformance/token_transforms.ts";
import { AppError } from "../domain/app_error.ts";
import { generateSigningKey, importSigningKeys } from "./signing_keys.ts";
import { mintVisitorToken, verifyVisitorToken, VISITOR_TOKEN_TYP } from "./visitor_token.ts";

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const keys = await importSigningKeys([await generateSigningKey(NOW)]);
const site = { issuer: "setchat-test", siteApiKey: "site_a", tenantId: "ten_a" };
const minter = { s2sTokenId: "s2s_a" };
const mint = (nowMs = NOW, lifetimeSeconds = 300) =>
  mintVisitorToken(
    keys,
    { externalUserId: "u-1", email: "u@example.com", metadata: { plan: "pro" }, workspace: "w1" },
    {
      ...site,
      ...minter,
      lifetimeSeconds,
      nowMs,
    },
  );
const verify = (token: string, nowMs = NOW, over: Partial<typeof site> = {}) =>
  verifyVisitorToken(keys, token, { ...site, ...over, nowMs });

async function refused(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof AppError, `not an AppError: ${e}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, 401);
    return true;
  });
}

Deno.test("mintVisitorToken() signs an EdDSA token with an explicit typ, our kid and every claim", async () => {
  const token = await mint();
  const header = jose.decodeProtectedHeader(token);
  assert.deepEqual(header, { alg: "EdDSA", typ: VISITOR_TOKEN_TYP, kid: keys.current.kid });
  const claims = jose.decodeJwt(token);
  assert.equal(claims.sub, "u-1");
  assert.equal(claims.aud, "site_a");
  assert.equal(claims.iss, "setchat-test");
  assert.equal(claims.tenant, "ten_a");
  assert.equal(claims.s2sTokenId, "s2s_a");
  assert.equal(claims.exp! - claims.iat!, 300);
  assert.equal(claims.iat, NOW / 1000);
  assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
  assert.deepEqual(claims.metadata, { plan: "pro" });
  assert.equal(claims.workspace, "w1");
  assert.notEqual(jose.decodeJwt(await mint()).jti, claims.jti);
});

Deno.test("verifyVisitorToken() accepts a genuine token within its lifetime and the clock skew", async () => {
  const token = await mint();
  assert.equal((await verify(token)).sub, "u-1");
  assert.equal((await verify(token, NOW + 299_000)).email, "u@example.com");
  assert.equal((await verify(token, NOW + 320_000)).sub, "u-1", "30 s of skew after exp");
  assert.equal((await verify(await mint(NOW + 20_000))).sub, "u-1", "iat 20 s ahead is within the skew");
});

Deno.test("verifyVisitorToken() refuses a token once expired past the skew", async () => {
  await refused(verify(await mint(), NOW + 331_000), "visitor_token_expired");
});

Deno.test("verifyVisitorToken() refuses another site, issuer or tenant", async () => {
  const token = await mint();
  await refused(verify(token, NOW, { siteApiKey: "site_b" }), "visitor_token_invalid");
  await refused(verify(token, NOW, { issuer: "someone-else" }), "visitor_token_invalid");
  await refused(verify(token, NOW, { tenantId: "ten_b" }), "visitor_token_invalid");
});

Deno.test("verifyVisitorToken() refuses a token signed by a key that is not ours", async () => {
  const other = await importSigningKeys([await generateSigningKey(NOW)]);
  const foreign = await mintVisitorToken(other, { externalUserId: "u-1" }, {
    ...site,
    ...minter,
    lifetimeSeconds: 300,
    nowMs: NOW,
  });
  await refused(verify(foreign), "visitor_token_invalid");
});

Deno.test("verifyVisitorToken() accepts tokens of an older key still published", async () => {
  const older = await generateSigningKey(NOW - 1000);
  const newer = await generateSigningKey(NOW);
  const before = await importSigningKeys([older]);
  const token = await mintVisitorToken(before, { externalUserId: "u-1" }, {
    ...site,
    ...minter,
    lifetimeSeconds: 300,
    nowMs: NOW,
  });
  const after = await importSigningKeys([older, newer]);
  assert.equal(after.current.kid, newer.kid);
  assert.equal((await verifyVisitorToken(after, token, { ...site, nowMs: NOW })).sub, "u-1");
});

/** What the transforms get: the reference's own key, as a vendor gives the suite its signing key. */
const ctx = {
  signingKey: { kid: keys.current.kid, privateKey: keys.current.privateKey, alg: "EdDSA" },
  jwks: keys.jwks as jose.JSONWebKeySet,
  tenantClaim: "tenant",
  nowSeconds: NOW / 1000,
};

const EXPECTED: Partial<Record<TransformName, string>> = {
  resigned_expired: "visitor_token_expired",
  resigned_expired_past_skew: "visitor_token_expired",
  resigned_not_yet_valid: "visitor_token_not_yet_valid",
  resigned_issued_in_future: "visitor_token_not_yet_valid",
  resigned_issued_past_skew: "visitor_token_not_yet_valid",
};

/**
 * The transforms that make a token the contract accepts: each sits at a bound
 * (lifetime, skew, length) on its accepted side. A server token that does not
 * exist is refused by the exchange, which looks it up, not by the signature
 * check.
 */
const ACCEPTED: ReadonlySet<TransformName> = new Set<TransformName>([
  "resigned_lifetime_at_limit",
  "resigned_issued_at_skew",
  "resigned_expired_within_skew",
  "resigned_expiring_soon",
  "resigned_length_at_limit",
  "resigned_unknown_minter",
]);

Deno.test("verifyVisitorToken() accepts each token made at a bound on its accepted side", async (t) => {
  for (const name of ACCEPTED) {
    await t.step(`${name}: ${TOKEN_TRANSFORMS[name].description}`, async () => {
      const token = await TOKEN_TRANSFORMS[name].apply(await mint(), ctx);
      assert.equal((await verify(token)).sub, "u-1");
    });
  }
});

/** Attacks on the reference's checksummed credentials: a visitor token is not one, and they leave it as it is. */
const CREDENTIAL_ONLY: ReadonlySet<TransformName> = new Set<TransformName>([
  "rechecksummed_prefixed",
  "rechecksummed_longer",
  "rechecksummed_other_kind",
]);

Deno.test("the attacks on credentials leave a visitor token as it is", async () => {
  const token = await mint();
  for (const name of CREDENTIAL_ONLY) assert.equal(await TOKEN_TRANSFORMS[name].apply(token, ctx), token, name);
});

Deno.test("verifyVisitorToken() refuses every named attack", async (t) => {
  for (const name of TRANSFORM_NAMES.filter((n) => !ACCEPTED.has(n) && !CREDENTIAL_ONLY.has(n))) {
    await t.step(`${name}: ${TOKEN_TRANSFORMS[name].description}`, async () => {
      const attack = await TOKEN_TRANSFORMS[name].apply(await mint(), ctx);
      await refused(verify(attack), EXPECTED[name] ?? "visitor_token_invalid");
    });
  }
});

Deno.test("verifyVisitorToken() holds when the re-signing attacks keep the genuine claims", async () => {
  // Guards the attacks themselves: re-signing without a change must verify,
  // or the resigned_* cases above would pass for the wrong reason.
  const { SignJWT, decodeJwt, decodeProtectedHeader } = jose;
  const token = await mint();
  const copy = await new SignJWT(decodeJwt(token))
    .setProtectedHeader(decodeProtectedHeader(token) as jose.JWTHeaderParameters)
    .sign(keys.current.privateKey);
  assert.equal((await verify(copy)).sub, "u-1");
});

/** Every other spelling of `segment`'s last character that decodes to the same bytes. */
function sameBytesSpellings(segment: string): string[] {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const bytes = jose.base64url.decode(segment).join();
  return [...alphabet].map((c) => segment.slice(0, -1) + c).filter((s) => {
    if (s === segment) return false;
    try {
      return jose.base64url.decode(s).join() === bytes;
    } catch {
      return false;
    }
  });
}

Deno.test("verifyVisitorToken() refuses every non-canonical spelling of a genuine token", async (t) => {
  const token = await mint();
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const variants = sameBytesSpellings(signature);
  // An Ed25519 signature is 64 bytes: 86 characters whose last carries 4 unused bits.
  assert.equal(variants.length, 15);
  for (const sig of variants) {
    await t.step(`signature ending in "${sig.at(-1)}" instead of "${signature.at(-1)}"`, async () => {
      await refused(verify(`${header}.${payload}.${sig}`), "visitor_token_invalid");
    });
  }
  for (const pad of ["=", "=="]) {
    await t.step(`"${pad}" after each segment`, async () => {
      await refused(verify(`${header}.${payload}.${signature}${pad}`), "visitor_token_invalid");
      await refused(verify(`${header}.${payload}${pad}.${signature}`), "visitor_token_invalid");
      await refused(verify(`${header}${pad}.${payload}.${signature}`), "visitor_token_invalid");
    });
  }
  await t.step("standard base64 characters, spaces and a fourth segment", async () => {
    await refused(
      verify(`${header}.${payload}.${signature.replaceAll("_", "/").replaceAll("-", "+")}/+`),
      "visitor_token_invalid",
    );
    await refused(verify(`${header}.${payload}. ${signature}`), "visitor_token_invalid");
    await refused(verify(`${token}.${signature}`), "visitor_token_invalid");
  });
  await t.step("an empty segment in each place", async () => {
    for (const empty of ["..", `.${payload}.${signature}`, `${header}..${signature}`, `${header}.${payload}.`]) {
      await refused(verify(empty), "visitor_token_invalid");
    }
  });
  assert.equal((await verify(token)).sub, "u-1", "the canonical spelling verifies");
});
