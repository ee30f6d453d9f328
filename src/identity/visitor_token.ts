import * as jose from "jose";
import { LIMITS } from "../contract/common.ts";
import { type VisitorTokenClaims, VisitorTokenClaims as ClaimsSchema } from "../contract/s2s.ts";
import { AppError } from "../domain/app_error.ts";
import { CLOCK_SKEW_SECONDS, VISITOR_TOKEN_LIFETIME } from "../domain/lifetime.ts";
import { type SigningKeys, VISITOR_TOKEN_ALG } from "./signing_keys.ts";

/** The explicit `typ` header of visitor tokens. */
export const VISITOR_TOKEN_TYP = "setchat-visitor+jwt";

/** Who the token is about, as the customer's backend stated it. */
export interface VisitorProfile {
  externalUserId: string;
  email?: string | undefined;
  name?: string | undefined;
  provider?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  workspace?: string | undefined;
}

/** Where, when and by whom a visitor token is minted. */
export interface MintOptions {
  issuer: string;
  siteApiKey: string;
  tenantId: string;
  /** The public id of the server-to-server token that asked for it (never the token itself). */
  s2sTokenId: string;
  lifetimeSeconds: number;
  nowMs: number;
}

/** What a verifier expects of a visitor token. */
export interface VerifyOptions {
  issuer: string;
  siteApiKey: string;
  tenantId: string;
  nowMs: number;
}

/** Header parameters that would let a token choose its own key: always refused. */
const KEY_CHOOSING_HEADERS = ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"] as const;

/**
 * Whether a segment is the one canonical encoding of its bytes: base64url
 * with no padding and no stray bits in its last character. Decoders accept
 * `==` and ignore those bits, so without this check one signature could be
 * written sixteen ways, and a token's text would not name it uniquely. The
 * round trip alone decides: decoding refuses `+`, `/` and anything outside
 * the alphabet, and re-encoding drops padding, white space and stray bits, so
 * any of them makes the text differ. It reads each character once, where a
 * pattern test can cost the square of a long segment's length. No part of a
 * token may be empty (an unsigned token's signature is), so an empty segment
 * is refused here too.
 */
function canonicalSegment(segment: string): boolean {
  if (segment === "") return false;
  try {
    return jose.base64url.encode(jose.base64url.decode(segment)) === segment;
  } catch {
    return false;
  }
}

/** Signs a visitor token with the current key. */
export function mintVisitorToken(
  keys: SigningKeys,
  profile: VisitorProfile,
  options: MintOptions,
): Promise<string> {
  const iat = Math.floor(options.nowMs / 1000);
  const claims: Record<string, unknown> = { tenant: options.tenantId, s2sTokenId: options.s2sTokenId };
  if (profile.email !== undefined) claims.email = profile.email;
  if (profile.name !== undefined) claims.name = profile.name;
  if (profile.provider !== undefined) claims.provider = profile.provider;
  if (profile.metadata !== undefined) claims.metadata = profile.metadata;
  if (profile.workspace !== undefined) claims.workspace = profile.workspace;
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: VISITOR_TOKEN_ALG, typ: VISITOR_TOKEN_TYP, kid: keys.current.kid })
    .setIssuer(options.issuer)
    .setSubject(profile.externalUserId)
    .setAudience(options.siteApiKey)
    .setIssuedAt(iat)
    .setExpirationTime(iat + options.lifetimeSeconds)
    .setJti(crypto.randomUUID())
    .sign(keys.current.privateKey);
}

function invalid(reason: string, cause?: unknown): AppError {
  return new AppError("visitor_token_invalid", `Cannot verify visitor token: ${reason}`, { cause });
}

/**
 * Verifies a visitor token: one algorithm, one `typ`, a key of ours chosen by
 * `kid` only, the site as audience, our issuer, the site's tenant, a bounded
 * lifetime and {@linkcode CLOCK_SKEW_SECONDS} of skew. Throws an
 * {@linkcode AppError} whose code says what a client can do about it.
 */
export async function verifyVisitorToken(
  keys: SigningKeys,
  token: string,
  options: VerifyOptions,
): Promise<VisitorTokenClaims> {
  if (token.length > LIMITS.visitorTokenChars) {
    throw invalid(`it is longer than ${LIMITS.visitorTokenChars} characters`);
  }
  const segments = token.split(".");
  if (segments.length !== 3 || !segments.every(canonicalSegment)) {
    throw invalid("it is not three segments of canonical base64url (no padding, no stray bits)");
  }
  let payload: jose.JWTPayload;
  try {
    ({ payload } = await jose.jwtVerify(token, (header) => keyFor(keys, header), {
      algorithms: [VISITOR_TOKEN_ALG],
      typ: VISITOR_TOKEN_TYP,
      audience: options.siteApiKey,
      issuer: options.issuer,
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(options.nowMs),
      requiredClaims: ["iss", "sub", "aud", "iat", "exp", "jti"],
    }));
  } catch (error) {
    throw translate(error);
  }
  const now = Math.floor(options.nowMs / 1000);
  const claims = ClaimsSchema.safeParse(payload);
  if (!claims.success) throw invalid("its claims do not have the published shape", claims.error);
  const { iat, exp, tenant } = claims.data;
  if (iat > now + CLOCK_SKEW_SECONDS) {
    throw new AppError("visitor_token_not_yet_valid", `Cannot verify visitor token: "iat" is in the future`);
  }
  if (exp - iat > VISITOR_TOKEN_LIFETIME.max) {
    throw invalid(`it lives ${exp - iat} s, more than the ${VISITOR_TOKEN_LIFETIME.max} s allowed`);
  }
  if (tenant !== options.tenantId) throw invalid(`"tenant" is not the site's tenant`);
  return claims.data;
}

function keyFor(keys: SigningKeys, header: jose.JWSHeaderParameters): CryptoKey {
  for (const name of KEY_CHOOSING_HEADERS) {
    if (name in header) throw invalid(`the header carries "${name}"; keys come from this server only`);
  }
  const kid = header.kid;
  if (typeof kid !== "string") throw invalid(`the header has no "kid"`);
  const key = keys.publicKeys.get(kid);
  if (!key) throw invalid(`"kid" names no signing key of this server`);
  return key;
}

function translate(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof jose.errors.JWTExpired) {
    return new AppError("visitor_token_expired", `Cannot verify visitor token: "exp" is in the past`, { cause: error });
  }
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    // A time claim that is there but ahead; one of the wrong type is as malformed as any other claim.
    if ((error.claim === "nbf" || error.claim === "iat") && error.reason === "check_failed") {
      return new AppError(
        "visitor_token_not_yet_valid",
        `Cannot verify visitor token: "${error.claim}" is in the future`,
        {
          cause: error,
        },
      );
    }
    return invalid(`claim "${error.claim}" is missing or wrong`, error);
  }
  if (error instanceof jose.errors.JOSEAlgNotAllowed) {
    return invalid(`only "alg": "${VISITOR_TOKEN_ALG}" is accepted`, error);
  }
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) {
    return invalid("the signature does not match", error);
  }
  if (error instanceof jose.errors.JOSEError) return invalid("it is not a well-formed signed token", error);
  if (error instanceof TypeError) return invalid("it is not a well-formed signed token", error);
  throw error;
}
