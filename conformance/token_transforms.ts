/**
 * Named attacks on a visitor token. A fixture asks for one by name
 * (`"transform": "alg_none"`) since none of them can be written as literal
 * JSON. Each takes a genuine token from the target and returns the attack.
 *
 * Some attacks need what only the target's operator has: its private signing
 * key, to sign a token whose only fault is one claim (wrong `typ`, expired,
 * too long-lived). Without it those cases are not applicable, not failed.
 */
import * as jose from "jose";
import { crc32 } from "node:zlib";
import { LIMITS } from "../src/contract/common.ts";

/** What an attack may need beyond the genuine token. */
export type TransformNeed = "signingKey" | "jwks" | "tenantClaim";

/** The target's keys, as far as the runner knows them. */
export interface TransformContext {
  /** The target's private signing key (the in-process reference, or `--signing-key`). */
  signingKey?: { kid: string; privateKey: CryptoKey; alg: string } | undefined;
  /** The target's published public keys. */
  jwks?: jose.JSONWebKeySet | undefined;
  /** The claim the target's discovery document says names the tenant. */
  tenantClaim?: string | undefined;
  /** The target's clock, in seconds since the epoch: its test clock's time when a case moved it. */
  nowSeconds: number;
  /** The target's base URL: key URLs that point back at the target itself. */
  apiUrl?: string | undefined;
}

/** The longest lifetime the vendor docs allow a visitor token, in seconds (15 minutes). */
export const MAX_LIFETIME_SECONDS = 900;

/** The clock skew the contract tolerates between servers, in seconds. */
export const SKEW_SECONDS = 30;

/** One named attack. */
export interface TokenTransform {
  description: string;
  needs: readonly TransformNeed[];
  apply(token: string, ctx: TransformContext): Promise<string>;
}

const enc = new TextEncoder();

function parts(token: string): { header: jose.ProtectedHeaderParameters; payload: jose.JWTPayload; sig: string } {
  return {
    header: jose.decodeProtectedHeader(token),
    payload: jose.decodeJwt(token),
    sig: token.split(".")[2] ?? "",
  };
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * A credential of the reference's checksummed format (`setchat_<kind>_`, 43
 * base62 digits, then 6 base62 digits of the CRC32 of what comes before)
 * changed by `change` and given a valid checksum again, so that only its
 * shape is wrong: a server that checks the checksum but not the whole shape
 * takes it for a credential it merely does not know, or fails on it. Any
 * other credential is returned as it is, which makes the case not applicable.
 */
function rechecksummed(token: string, change: (prefixAndBody: string) => string): Promise<string> {
  const shape = /^(setchat_[a-z0-9]+_[0-9A-Za-z]{43})[0-9A-Za-z]{6}$/.exec(token);
  if (!shape) return Promise.resolve(token);
  const text = change(shape[1]!);
  let digits = "";
  for (let n = crc32(text); n > 0; n = Math.floor(n / 62)) digits = BASE62[n % 62] + digits;
  return Promise.resolve(text + digits.padStart(6, "0"));
}

function b64json(value: unknown): string {
  return jose.base64url.encode(JSON.stringify(value));
}

/** Another character of the same kind as `ch`: a digit for a digit, a letter of the same case for a letter. */
function sameKind(ch: string): string {
  if (/[0-9]/.test(ch)) return ch === "7" ? "3" : "7";
  if (/[a-z]/.test(ch)) return ch === "e" ? "c" : "e";
  if (/[A-Z]/.test(ch)) return ch === "E" ? "C" : "E";
  return ch === "x" ? "y" : "x";
}

/** Re-encodes header and payload and keeps the original signature (which no longer matches). */
function reassemble(header: unknown, payload: unknown, sig: string): string {
  return `${b64json(header)}.${b64json(payload)}.${sig}`;
}

async function attackerKey(): Promise<{ privateKey: CryptoKey; jwk: jose.JWK; kid: string }> {
  const pair = await jose.generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await jose.exportJWK(pair.publicKey);
  return { privateKey: pair.privateKey, jwk, kid: await jose.calculateJwkThumbprint(jwk) };
}

/** Signs `payload` with the attacker's own key under `header`. */
async function signAsAttacker(
  token: string,
  header: (kid: string, jwk: jose.JWK) => Record<string, unknown>,
): Promise<string> {
  const { payload, header: genuine } = parts(token);
  const key = await attackerKey();
  // The token's own header, signed with the attacker's EdDSA key, and what the attack sets in it.
  const protectedHeader = { ...genuine, alg: "EdDSA", ...header(key.kid, key.jwk) } as jose.JWTHeaderParameters;
  return await new jose.SignJWT(payload).setProtectedHeader(protectedHeader).sign(key.privateKey);
}

/** Signs with the target's own key, changing header or claims: only one fault in the token. */
async function resign(
  token: string,
  ctx: TransformContext,
  change: (h: jose.JWTHeaderParameters, p: jose.JWTPayload) => void,
): Promise<string> {
  if (!ctx.signingKey) throw new TypeError("Cannot re-sign the token: the target's signing key is not known");
  const { header, payload } = parts(token);
  const h = { ...header, alg: ctx.signingKey.alg, kid: ctx.signingKey.kid } as jose.JWTHeaderParameters;
  const p = { ...payload };
  change(h, p);
  return await new jose.SignJWT(p).setProtectedHeader(h).sign(ctx.signingKey.privateKey);
}

/** The `typ` a genuine token carries, if any: a target that types its tokens must refuse another type. */
function typed(token: string): string | undefined {
  const typ = parts(token).header.typ;
  return typeof typ === "string" ? typ : undefined;
}

function publicKeyBytes(ctx: TransformContext): Uint8Array {
  const key = ctx.jwks?.keys[0];
  if (!key) throw new TypeError("Cannot confuse keys: the target publishes no JWKS");
  return enc.encode(JSON.stringify(key));
}

/** The three segments of a token, and one of them changed by `change`. */
function withSegment(token: string, index: number, change: (segment: string) => string): string {
  const segments = token.split(".");
  segments[index] = change(segments[index] ?? "");
  return segments.join(".");
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * The segment with its last character changed so that it decodes to the
 * same bytes: the bits a decoder ignores are set. `undefined` when the
 * segment's length leaves no such bits (a multiple of four characters).
 */
function strayBits(segment: string): string {
  const unused = [0, 0, 4, 2][segment.length % 4]!;
  if (unused === 0) return segment;
  const last = B64URL.indexOf(segment.at(-1)!);
  return segment.slice(0, -1) + B64URL[last | ((1 << unused) - 1)]!;
}

/**
 * Re-signs with the target's key, padded to exactly `length` characters: a
 * claim grows the payload, and a header member of 0 to 3 characters shifts
 * the total past the lengths base64url cannot end on.
 */
async function resignToLength(token: string, ctx: TransformContext, length: number): Promise<string> {
  for (let h = 0; h < 4; h++) {
    const make = (p: number) =>
      resign(token, ctx, (header, payload) => {
        (header as Record<string, unknown>).pad = "y".repeat(h);
        payload.pad = "x".repeat(p);
      });
    const start = await make(0);
    let p = Math.max(0, Math.floor(((length - start.length) * 3) / 4) - 3);
    let t = await make(p);
    while (t.length < length) t = await make(++p);
    if (t.length === length) return t;
  }
  throw new TypeError(`Cannot make a token of exactly ${length} characters`);
}

/** Every attack, by the name fixtures use. */
export const TOKEN_TRANSFORMS = {
  alg_none: {
    description: `"alg": "none" with the signature removed`,
    needs: [],
    apply: (token) => {
      const { header, payload } = parts(token);
      return Promise.resolve(`${b64json({ ...header, alg: "none" })}.${b64json(payload)}.`);
    },
  },
  alg_none_uppercase: {
    description: `"alg": "NONE", a spelling some libraries let through`,
    needs: [],
    apply: (token) => {
      const { header, payload } = parts(token);
      return Promise.resolve(`${b64json({ ...header, alg: "NONE" })}.${b64json(payload)}.`);
    },
  },
  unsecured_jwt: {
    description: "an unsecured JWT (jose's UnsecuredJWT) with the same claims",
    needs: [],
    apply: (token) => Promise.resolve(new jose.UnsecuredJWT(parts(token).payload).encode()),
  },
  hmac_with_public_key: {
    description: "re-signed with HS256 using the published public key as the HMAC secret (key confusion)",
    needs: ["jwks"],
    apply: async (token, ctx) => {
      const { header, payload } = parts(token);
      return await new jose.SignJWT(payload)
        .setProtectedHeader({ ...header, alg: "HS256" })
        .sign(publicKeyBytes(ctx));
    },
  },
  hmac_with_public_key_x: {
    description: `re-signed with HS256 using the public key's raw "x" bytes as the HMAC secret`,
    needs: ["jwks"],
    apply: async (token, ctx) => {
      const x = ctx.jwks?.keys[0]?.x;
      if (!x) throw new TypeError('Cannot confuse keys: the target\'s first key has no "x"');
      const { header, payload } = parts(token);
      return await new jose.SignJWT(payload)
        .setProtectedHeader({ ...header, alg: "HS256" })
        .sign(jose.base64url.decode(x));
    },
  },
  embedded_jwk: {
    description: `signed by the attacker, who puts the matching public key in the "jwk" header`,
    needs: [],
    apply: (token) =>
      signAsAttacker(
        token,
        (kid, jwk) => ({ kid, jwk }),
      ),
  },
  jku_header: {
    description: `signed by the attacker, with a "jku" header pointing at the attacker's key set`,
    needs: [],
    apply: (token) =>
      signAsAttacker(
        token,
        (kid) => ({ kid, jku: "https://attacker.invalid/jwks.json" }),
      ),
  },
  x5u_header: {
    description: `signed by the attacker, with an "x5u" header pointing at the attacker's certificate`,
    needs: [],
    apply: (token) =>
      signAsAttacker(
        token,
        (kid) => ({ kid, x5u: "https://attacker.invalid/cert.pem" }),
      ),
  },
  x5c_header: {
    description: `signed by the attacker, with an "x5c" certificate chain in the header`,
    needs: [],
    apply: (token) =>
      signAsAttacker(
        token,
        (kid) => ({
          kid,
          x5c: [jose.base64url.encode(crypto.getRandomValues(new Uint8Array(96)))],
        }),
      ),
  },
  x5t_header: {
    description: `signed by the attacker, with an "x5t" certificate thumbprint in the header`,
    needs: [],
    apply: (token) =>
      signAsAttacker(
        token,
        (kid) => ({
          kid,
          x5t: jose.base64url.encode(crypto.getRandomValues(new Uint8Array(20))),
        }),
      ),
  },
  x5t_s256_header: {
    description: `signed by the attacker, with an "x5t#S256" certificate thumbprint in the header`,
    needs: [],
    apply: (token) =>
      signAsAttacker(
        token,
        (kid) => ({
          kid,
          "x5t#S256": jose.base64url.encode(crypto.getRandomValues(new Uint8Array(32))),
        }),
      ),
  },
  jku_same_origin: {
    description: `signed by the attacker, with a "jku" pointing at the target's own JWKS and the genuine "kid"`,
    needs: [],
    apply: (token, ctx) =>
      signAsAttacker(
        token,
        () => ({ jku: `${ctx.apiUrl ?? ""}/.well-known/jwks.json` }),
      ),
  },
  jku_userinfo: {
    description: `signed by the attacker, with a "jku" that names the target as user info before the attacker's host`,
    needs: [],
    apply: (token, ctx) =>
      signAsAttacker(token, (kid) => ({
        kid,
        jku: `https://${new URL(ctx.apiUrl ?? "https://target.invalid").host}@attacker.invalid/jwks.json`,
      })),
  },
  x5u_same_origin: {
    description: `signed by the attacker, with an "x5u" pointing at a path of the target itself`,
    needs: [],
    apply: (token, ctx) =>
      signAsAttacker(
        token,
        (kid) => ({ kid, x5u: `${ctx.apiUrl ?? ""}/cert.pem` }),
      ),
  },
  jwk_with_genuine_kid: {
    description: `signed by the attacker, whose key is embedded as "jwk" under the genuine "kid"`,
    needs: [],
    apply: (token) => signAsAttacker(token, (_, jwk) => ({ jwk })),
  },
  signature_padded: {
    description: `the genuine signature with "=" padding appended, which base64url never has`,
    needs: [],
    apply: (token) => Promise.resolve(withSegment(token, 2, (s) => s + "=".repeat((4 - (s.length % 4)) % 4 || 4))),
  },
  signature_stray_bits: {
    description: "the genuine signature with the bits its last character does not encode set: the same bytes, " +
      "written another way",
    needs: [],
    apply: (token) => Promise.resolve(withSegment(token, 2, strayBits)),
  },
  payload_stray_bits: {
    description: "the genuine payload with the bits its last character does not encode set",
    needs: [],
    apply: (token) => Promise.resolve(withSegment(token, 1, strayBits)),
  },
  header_stray_bits: {
    description: "the genuine header with the bits its last character does not encode set",
    needs: [],
    apply: (token) => Promise.resolve(withSegment(token, 0, strayBits)),
  },
  signature_with_space: {
    description: "a space inside the genuine signature",
    needs: [],
    apply: (token) => Promise.resolve(withSegment(token, 2, (s) => `${s.slice(0, 10)} ${s.slice(10)}`)),
  },
  four_segments: {
    description: "the genuine token with a fourth segment appended",
    needs: [],
    apply: (token) => Promise.resolve(`${token}.${token.split(".")[2]}`),
  },
  two_segments: {
    description: "header and payload only, not even the dot before the signature",
    needs: [],
    apply: (token) => Promise.resolve(token.split(".").slice(0, 2).join(".")),
  },
  unknown_kid: {
    description: `signed by the attacker under a "kid" the target does not have`,
    needs: [],
    apply: (token) => signAsAttacker(token, () => ({ kid: "no-such-key" })),
  },
  kid_path_traversal: {
    description: `a "kid" that is a path ("../../../../dev/null"), signed by the attacker`,
    needs: [],
    apply: (token) => signAsAttacker(token, () => ({ kid: "../../../../../../dev/null" })),
  },
  kid_injection: {
    description: `a "kid" that is an SQL injection, signed by the attacker`,
    needs: [],
    apply: (token) => signAsAttacker(token, () => ({ kid: "x' UNION SELECT 'secret' --" })),
  },
  no_kid: {
    description: `signed by the attacker with no "kid" at all`,
    needs: [],
    apply: (token) =>
      // An undefined member is left out of the header's JSON.
      signAsAttacker(token, () => ({ kid: undefined })),
  },
  tampered_payload: {
    description: `"sub" changed to another user, signature kept`,
    needs: [],
    apply: (token) => {
      const { header, payload, sig } = parts(token);
      return Promise.resolve(reassemble(header, { ...payload, sub: `${payload.sub}-admin` }, sig));
    },
  },
  tampered_signature: {
    description: "one byte of the signature flipped",
    needs: [],
    apply: (token) => {
      const { sig } = parts(token);
      const bytes = jose.base64url.decode(sig);
      bytes[0] = (bytes[0] ?? 0) ^ 0x01;
      return Promise.resolve(`${token.split(".").slice(0, 2).join(".")}.${jose.base64url.encode(bytes)}`);
    },
  },
  signature_stripped: {
    description: "the signature removed, header unchanged",
    needs: [],
    apply: (token) => Promise.resolve(`${token.split(".").slice(0, 2).join(".")}.`),
  },
  truncated: {
    description: "the last character removed (a token cut short when copied)",
    needs: [],
    apply: (token) => Promise.resolve(token.slice(0, -1)),
  },
  mistyped: {
    description: "one character in the middle changed to another of its kind (a typo that keeps the token's alphabet)",
    needs: [],
    apply: (token) => {
      const i = Math.floor(token.length / 2);
      return Promise.resolve(token.slice(0, i) + sameKind(token[i]!) + token.slice(i + 1));
    },
  },
  extended: {
    description: "one character of the same kind added at the end (a token compared by its prefix would match)",
    needs: [],
    apply: (token) => Promise.resolve(token + sameKind(token.at(-1) ?? "a")),
  },
  tail_changed: {
    description: "the last character changed to another of its kind (a token compared by its prefix would match)",
    needs: [],
    apply: (token) => Promise.resolve(token.slice(0, -1) + sameKind(token.at(-1) ?? "a")),
  },
  case_swapped: {
    description: "every letter's case swapped (a token compared without case would still match)",
    needs: [],
    apply: (token) =>
      Promise.resolve(
        [...token].map((ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase())).join(""),
      ),
  },
  rechecksummed_prefixed: {
    description: "a character put before it, with a checksum that matches again (the reference's credential format)",
    needs: [],
    apply: (token) => rechecksummed(token, (text) => `x${text}`),
  },
  rechecksummed_longer: {
    description: "one digit more in its body, with a checksum that matches again (the reference's credential format)",
    needs: [],
    apply: (token) => rechecksummed(token, (text) => `${text}7`),
  },
  rechecksummed_other_kind: {
    description:
      "of a kind that does not exist, with a checksum that matches again (the reference's credential format)",
    needs: [],
    apply: (token) => rechecksummed(token, (text) => text.replace(/^setchat_[a-z0-9]+_/, "setchat_xyz_")),
  },
  quoted: {
    description: "wrapped in double quotes (copied from a JSON file)",
    needs: [],
    apply: (token) => Promise.resolve(`"${token}"`),
  },
  not_a_jwt: {
    description: "a string that is not a JWT at all",
    needs: [],
    apply: () => Promise.resolve("not-a-token"),
  },
  oversized: {
    description: "a token of more than 8 KiB (a padded claim)",
    needs: [],
    apply: (token) => {
      const { header, payload, sig } = parts(token);
      return Promise.resolve(reassemble(header, { ...payload, pad: "x".repeat(8192) }, sig));
    },
  },
  resigned_wrong_typ: {
    description: `validly signed by the target's key, with another "typ" than its tokens' (an access token's, ` +
      `"at+jwt"; or "JWT" for a target whose tokens say "at+jwt"): a token of another kind`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      typed(token) === undefined
        ? Promise.resolve(token)
        : resign(token, ctx, (h) => void (h.typ = typed(token) === "at+jwt" ? "JWT" : "at+jwt")),
  },
  resigned_no_typ: {
    description: `validly signed by the target's key, with no "typ" (for a target whose tokens have one)`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      typed(token) === undefined ? Promise.resolve(token) : resign(token, ctx, (h) => void delete h.typ),
  },
  resigned_wrong_issuer: {
    description: `validly signed by the target's key, with another "iss" (for a target whose tokens have one)`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      parts(token).payload.iss === undefined
        ? Promise.resolve(token)
        : resign(token, ctx, (_, p) => void (p.iss = "https://attacker.invalid")),
  },
  resigned_wrong_audience: {
    description: `validly signed by the target's key, with another site as "aud"`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void (p.aud = "site_someone_else")),
  },
  resigned_other_tenant: {
    description: "validly signed by the target's key, claiming another tenant in the claim its discovery document " +
      "names (tenantClaim)",
    needs: ["signingKey", "tenantClaim"],
    apply: (token, ctx) => {
      const claim = ctx.tenantClaim;
      if (!claim) throw new TypeError("Cannot claim another tenant: the target declares no tenant claim");
      return resign(token, ctx, (_, p) => void (p[claim] = `${String(p[claim] ?? "tenant")}-someone-else`));
    },
  },
  resigned_expired: {
    description: "validly signed by the target's key, expired ten minutes ago",
    needs: ["signingKey"],
    apply: (token, ctx) =>
      resign(token, ctx, (_, p) => {
        p.iat = ctx.nowSeconds - 900;
        p.exp = ctx.nowSeconds - 600;
      }),
  },
  resigned_not_yet_valid: {
    description: `validly signed by the target's key, with "nbf" ten minutes ahead`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void (p.nbf = ctx.nowSeconds + 600)),
  },
  resigned_issued_in_future: {
    description: `validly signed by the target's key, with "iat" ten minutes ahead`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      resign(token, ctx, (_, p) => {
        p.iat = ctx.nowSeconds + 600;
        p.exp = ctx.nowSeconds + 900;
      }),
  },
  resigned_too_long_lived: {
    description: "validly signed by the target's key, living one day instead of at most 15 minutes",
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void (p.exp = (p.iat ?? ctx.nowSeconds) + 86400)),
  },
  resigned_lifetime_at_limit: {
    description:
      `validly signed by the target's key, living ${MAX_LIFETIME_SECONDS} s: the longest the contract allows`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      resign(token, ctx, (_, p) => {
        p.iat = ctx.nowSeconds;
        p.exp = ctx.nowSeconds + MAX_LIFETIME_SECONDS;
      }),
  },
  resigned_lifetime_past_limit: {
    description: `validly signed by the target's key, living ${MAX_LIFETIME_SECONDS + 1} s: one second too long`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      resign(token, ctx, (_, p) => {
        p.iat = ctx.nowSeconds;
        p.exp = ctx.nowSeconds + MAX_LIFETIME_SECONDS + 1;
      }),
  },
  resigned_issued_at_skew: {
    description:
      `validly signed by the target's key, issued ${SKEW_SECONDS} s ahead of the target's clock: within the skew`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      resign(token, ctx, (_, p) => {
        p.iat = ctx.nowSeconds + SKEW_SECONDS;
        p.exp = ctx.nowSeconds + SKEW_SECONDS + 300;
      }),
  },
  resigned_issued_past_skew: {
    description: `validly signed by the target's key, issued ${SKEW_SECONDS + 1} s ahead: one second past the skew`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      resign(token, ctx, (_, p) => {
        p.iat = ctx.nowSeconds + SKEW_SECONDS + 1;
        p.exp = ctx.nowSeconds + SKEW_SECONDS + 301;
      }),
  },
  resigned_expired_within_skew: {
    description: `validly signed by the target's key, expired ${SKEW_SECONDS - 1} s ago: within the skew`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      resign(token, ctx, (_, p) => {
        p.iat = ctx.nowSeconds - 300 - (SKEW_SECONDS - 1);
        p.exp = ctx.nowSeconds - (SKEW_SECONDS - 1);
      }),
  },
  resigned_expired_past_skew: {
    description: `validly signed by the target's key, expired ${SKEW_SECONDS} s ago: at the end of the skew`,
    needs: ["signingKey"],
    apply: (token, ctx) =>
      resign(token, ctx, (_, p) => {
        p.iat = ctx.nowSeconds - 300 - SKEW_SECONDS;
        p.exp = ctx.nowSeconds - SKEW_SECONDS;
      }),
  },
  resigned_expiring_soon: {
    description: "validly signed by the target's key, expiring 3 s from now",
    needs: ["signingKey"],
    apply: (token, ctx) =>
      resign(token, ctx, (_, p) => {
        p.iat = ctx.nowSeconds - 297;
        p.exp = ctx.nowSeconds + 3;
      }),
  },
  resigned_length_at_limit: {
    description:
      `validly signed by the target's key and padded to ${LIMITS.visitorTokenChars} characters: the longest the reference reads`,
    needs: ["signingKey"],
    apply: (token, ctx) => resignToLength(token, ctx, LIMITS.visitorTokenChars),
  },
  resigned_length_past_limit: {
    description: `validly signed by the target's key and padded to ${
      LIMITS.visitorTokenChars + 1
    } characters: one too many`,
    needs: ["signingKey"],
    apply: (token, ctx) => resignToLength(token, ctx, LIMITS.visitorTokenChars + 1),
  },
  resigned_without_exp: {
    description: `validly signed by the target's key, with no "exp"`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void delete p.exp),
  },
  resigned_iat_as_string: {
    description: `validly signed by the target's key, its "iat" written as a string of digits instead of a number`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void (p.iat = String(p.iat ?? ctx.nowSeconds) as never)),
  },
  resigned_exp_as_string: {
    description: `validly signed by the target's key, its "exp" written as a string of digits instead of a number`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void (p.exp = String(p.exp ?? ctx.nowSeconds + 300) as never)),
  },
  resigned_nbf_as_string: {
    description: `validly signed by the target's key, with an "nbf" of now written as a string instead of a number`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void (p.nbf = String(ctx.nowSeconds) as never)),
  },
  resigned_without_sub: {
    description: `validly signed by the target's key, with no "sub"`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void delete p.sub),
  },
  resigned_unknown_minter: {
    description: `validly signed by the target's key, naming in "s2sTokenId" a server token that does not exist`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void (p.s2sTokenId = "s2s_0000000000000000000000")),
  },
  resigned_metadata_not_object: {
    description: `validly signed by the target's key, with "metadata" a string instead of an object`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void (p.metadata = "not an object")),
  },
  resigned_payload_not_json: {
    description: "validly signed by the target's key over a payload that is not JSON",
    needs: ["signingKey"],
    apply: async (token, ctx) => {
      if (!ctx.signingKey) throw new TypeError("Cannot re-sign the token: the target's signing key is not known");
      const header = { ...parts(token).header, alg: ctx.signingKey.alg, kid: ctx.signingKey.kid };
      return await new jose.CompactSign(enc.encode("not json")).setProtectedHeader(header).sign(
        ctx.signingKey.privateKey,
      );
    },
  },
} satisfies Record<string, TokenTransform>;

/** The name of an attack. */
export type TransformName = keyof typeof TOKEN_TRANSFORMS;

/** Every attack's name. */
export const TRANSFORM_NAMES = Object.keys(TOKEN_TRANSFORMS) as [TransformName, ...TransformName[]];
