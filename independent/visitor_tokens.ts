/**
 * Visitor tokens: ES256 JWTs typed `JWT`, signed by this server only. The tenant is the `org` claim, the server token
 * that minted one is its `stk` claim, the workspace it is bound to its `workspace_id` claim. Verification trusts
 * nothing the token says about its own key: one algorithm, keys by `kid` from this server only, canonical base64url.
 */
import { base64url, errors, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import type { BugName } from "./bugs.ts";
import { ApiError } from "./http.ts";

/** How long a visitor token lives, in seconds. */
export const TOKEN_LIFETIME_SECONDS = 600;
/** The longest lifetime a verifier accepts, in seconds. */
export const MAX_LIFETIME_SECONDS = 900;
/** Clock skew allowed between servers, in seconds, on every time claim. */
export const CLOCK_SKEW_SECONDS = 30;
/** The longest token looked at, in characters. */
export const MAX_TOKEN_CHARS = 8000;
/** The issuer of every visitor token. */
export const ISSUER = "urn:independent-setchat";

/** The header members through which a token could choose its own key: refused outright. */
const KEY_CHOOSING_HEADERS = ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"] as const;

/** The key a node signs visitor tokens with. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

/** What a minted token says. */
export interface MintInput {
  readonly subject: string;
  readonly site: string;
  readonly tenantId: string;
  readonly serverTokenId: string;
  readonly email?: string | undefined;
  readonly name?: string | undefined;
  readonly provider?: string | undefined;
  readonly metadata?: Record<string, unknown> | undefined;
  readonly workspace?: string | undefined;
}

/** The claims a session is opened from, once verified. */
export interface VerifiedClaims {
  readonly sub: string;
  readonly org: string;
  readonly stk: string;
  readonly exp: number;
  readonly email?: string;
  readonly name?: string;
  readonly provider?: string;
  readonly metadata?: Record<string, unknown>;
  readonly workspace?: string;
}

/** Signs a visitor token; `bugs` bend the claims the way the planted bugs say. */
export async function signVisitorToken(
  key: SigningKey,
  input: MintInput,
  bugs: ReadonlySet<BugName>,
): Promise<{ jwt: string; lifetime: number }> {
  const lifetime = bugs.has("lifetime-one-hour") ? 3600 : TOKEN_LIFETIME_SECONDS;
  const nowMs = Date.now();
  const issuedAt = bugs.has("iat-in-milliseconds") ? nowMs : Math.floor(nowMs / 1000);
  const expiresAt = issuedAt + lifetime + (bugs.has("exp-off-by-one") ? 1 : 0);
  const claims: Record<string, unknown> = { stk: input.serverTokenId };
  if (!bugs.has("tenant-claim-missing")) claims.org = input.tenantId;
  if (input.email !== undefined) claims.email = input.email;
  if (input.name !== undefined) claims.name = input.name;
  if (input.provider !== undefined) claims.provider = input.provider;
  if (input.metadata !== undefined) {
    claims.metadata = bugs.has("metadata-stringified") ? JSON.stringify(input.metadata) : input.metadata;
  }
  if (input.workspace !== undefined) claims.workspace_id = input.workspace;
  const jwt = await new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: key.kid })
    .setIssuer(ISSUER)
    .setSubject(input.subject)
    .setAudience(bugs.has("aud-is-tenant") ? input.tenantId : input.site)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
  return { jwt, lifetime };
}

function refused(code: string, detail: string): ApiError {
  return new ApiError(401, code, `Cannot open the session: the visitor token ${detail}`, {
    "www-authenticate": `Bearer realm="setchat", error="invalid_token"`,
  });
}

/** Whether a segment is the one base64url spelling of its bytes: no padding, no stray bits. */
function canonical(segment: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return false;
  try {
    return base64url.encode(base64url.decode(segment)) === segment;
  } catch {
    return false;
  }
}

/**
 * Verifies a visitor token for a site of a tenant at `nowMs`: a 401 for anything short of a genuine, live token of
 * this server, for this site and tenant.
 */
export async function verifyVisitorToken(
  token: string,
  options: {
    readonly keys: ReadonlyMap<string, CryptoKey>;
    readonly site: string;
    readonly tenantId: string;
    readonly nowMs: number;
    readonly bugs: ReadonlySet<BugName>;
  },
): Promise<VerifiedClaims> {
  if (token.length > MAX_TOKEN_CHARS) throw refused("invalid_visitor_token", "is too long");
  const segments = token.split(".");
  if (segments.length !== 3 || !segments.every(canonical)) {
    throw refused("invalid_visitor_token", "is not three canonical base64url segments");
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, (header) => {
      for (const name of KEY_CHOOSING_HEADERS) {
        if (name in header) throw refused("invalid_visitor_token", `names its own key ("${name}")`);
      }
      const key = typeof header.kid === "string" ? options.keys.get(header.kid) : undefined;
      if (key === undefined) throw refused("invalid_visitor_token", "names no key of this server");
      return key;
    }, {
      algorithms: ["ES256"],
      typ: "JWT",
      issuer: ISSUER,
      ...(options.bugs.has("audience-unchecked") ? {} : { audience: options.site }),
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(options.nowMs),
      requiredClaims: ["iss", "sub", "aud", "iat", "exp", "jti", "stk"],
    }));
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (error instanceof errors.JWTExpired) throw refused("expired_visitor_token", "has expired");
    throw refused("invalid_visitor_token", "is not valid");
  }
  const now = Math.floor(options.nowMs / 1000);
  const { sub, org, stk, iat, exp } = payload;
  if (typeof sub !== "string" || typeof stk !== "string" || typeof iat !== "number" || typeof exp !== "number") {
    throw refused("invalid_visitor_token", "lacks a claim");
  }
  if (iat > now + CLOCK_SKEW_SECONDS) throw refused("invalid_visitor_token", "is issued in the future");
  if (exp - iat > MAX_LIFETIME_SECONDS) throw refused("invalid_visitor_token", "lives too long");
  if (org !== options.tenantId && !options.bugs.has("tenant-claim-unchecked")) {
    throw refused("invalid_visitor_token", "is for another organisation");
  }
  const text = (name: string): Record<string, string> =>
    typeof payload[name] === "string" ? { [name]: payload[name] as string } : {};
  const metadata = payload.metadata;
  return {
    sub,
    org: String(org),
    stk,
    exp,
    ...text("email"),
    ...text("name"),
    ...text("provider"),
    ...(typeof metadata === "object" && metadata !== null && !Array.isArray(metadata)
      ? { metadata: metadata as Record<string, unknown> }
      : {}),
    ...(typeof payload.workspace_id === "string" ? { workspace: payload.workspace_id } : {}),
  };
}

/** The public keys by kid, from the published JWKS entries. */
export async function publicKeys(jwks: readonly JWK[]): Promise<Map<string, CryptoKey>> {
  const out = new Map<string, CryptoKey>();
  for (const jwk of jwks) {
    if (jwk.kid === undefined || jwk.d !== undefined) continue;
    out.set(jwk.kid, await importJWK(jwk, "ES256") as CryptoKey);
  }
  return out;
}
