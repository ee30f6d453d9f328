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
  /** The clock, in seconds since the epoch. */
  nowSeconds: number;
}

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
  header: (kid: string, jwk: jose.JWK) => jose.JWTHeaderParameters,
): Promise<string> {
  const { payload } = parts(token);
  const key = await attackerKey();
  return await new jose.SignJWT(payload).setProtectedHeader(header(key.kid, key.jwk)).sign(key.privateKey);
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
        .setProtectedHeader({ ...header, alg: "HS256" } as jose.JWTHeaderParameters)
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
        .setProtectedHeader({ ...header, alg: "HS256" } as jose.JWTHeaderParameters)
        .sign(jose.base64url.decode(x));
    },
  },
  embedded_jwk: {
    description: `signed by the attacker, who puts the matching public key in the "jwk" header`,
    needs: [],
    apply: (token) =>
      signAsAttacker(
        token,
        (kid, jwk) => ({ ...parts(token).header, alg: "EdDSA", kid, jwk } as jose.JWTHeaderParameters),
      ),
  },
  jku_header: {
    description: `signed by the attacker, with a "jku" header pointing at the attacker's key set`,
    needs: [],
    apply: (token) =>
      signAsAttacker(
        token,
        (kid) => ({ ...parts(token).header, alg: "EdDSA", kid, jku: "https://attacker.invalid/jwks.json" }),
      ),
  },
  x5u_header: {
    description: `signed by the attacker, with an "x5u" header pointing at the attacker's certificate`,
    needs: [],
    apply: (token) =>
      signAsAttacker(
        token,
        (kid) => ({ ...parts(token).header, alg: "EdDSA", kid, x5u: "https://attacker.invalid/cert.pem" }),
      ),
  },
  unknown_kid: {
    description: `signed by the attacker under a "kid" the target does not have`,
    needs: [],
    apply: (token) => signAsAttacker(token, () => ({ ...parts(token).header, alg: "EdDSA", kid: "no-such-key" })),
  },
  kid_path_traversal: {
    description: `a "kid" that is a path ("../../../../dev/null"), signed by the attacker`,
    needs: [],
    apply: (token) =>
      signAsAttacker(token, () => ({ ...parts(token).header, alg: "EdDSA", kid: "../../../../../../dev/null" })),
  },
  kid_injection: {
    description: `a "kid" that is an SQL injection, signed by the attacker`,
    needs: [],
    apply: (token) =>
      signAsAttacker(token, () => ({ ...parts(token).header, alg: "EdDSA", kid: "x' UNION SELECT 'secret' --" })),
  },
  no_kid: {
    description: `signed by the attacker with no "kid" at all`,
    needs: [],
    apply: (token) =>
      signAsAttacker(token, () => {
        const { kid: _, ...header } = parts(token).header;
        return { ...header, alg: "EdDSA" };
      }),
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
  resigned_without_exp: {
    description: `validly signed by the target's key, with no "exp"`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void delete p.exp),
  },
  resigned_without_sub: {
    description: `validly signed by the target's key, with no "sub"`,
    needs: ["signingKey"],
    apply: (token, ctx) => resign(token, ctx, (_, p) => void delete p.sub),
  },
} satisfies Record<string, TokenTransform>;

/** The name of an attack. */
export type TransformName = keyof typeof TOKEN_TRANSFORMS;

/** Every attack's name. */
export const TRANSFORM_NAMES = Object.keys(TOKEN_TRANSFORMS) as [TransformName, ...TransformName[]];
