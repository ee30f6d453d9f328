import type { Problem } from "../contract/common.ts";
import { type ErrorCode, ERRORS } from "../contract/errors.ts";
import { AppError } from "../domain/app_error.ts";

/** Headers every API answer carries: nothing may be sniffed, and nothing cached unless its route says otherwise. */
export const API_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
} as const;

/** The realm of the RFC 6750 challenges. */
export const REALM = "setchat";

/**
 * The `WWW-Authenticate` challenge every 401 carries (RFC 9110 requires
 * one). RFC 6750 leaves `error` out when no credential was sent at all; any
 * other refusal is `invalid_token`: malformed, unknown, revoked or expired.
 */
export function bearerChallenge(code: ErrorCode): string {
  return code === "auth_missing" ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`;
}

/**
 * A JSON answer with {@linkcode API_HEADERS}, which `headers` may override.
 * Given at once, the app finds them there and sets none one by one.
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...API_HEADERS, ...headers },
  });
}

/**
 * A secret of this server (`setchat_s2s_…`, `setchat_adm_…`, `setchat_wss_…`,
 * `setchat_dev_…`) or a JWT, whole or cut short, as a detail may quote it.
 */
const CREDENTIAL = /setchat_(?:s2s|adm|wss|dev)_[0-9A-Za-z]{4,}|eyJ[\w-]{4,}(?:\.[\w-]*){0,2}/g;

/**
 * `text` with every value shaped like a credential masked. A detail may quote
 * what the client sent (a path, a field, a parser's excerpt of the body), and a
 * client may have sent a token where it does not belong: the answer never
 * repeats one, nor does anything that logs or shows it.
 */
export function maskCredentials(text: string): string {
  return text.replace(CREDENTIAL, (m) => `${m.startsWith("eyJ") ? "eyJ" : m.slice(0, 12)}[redacted]`);
}

/**
 * Turns any error into an RFC 9457 problem. An {@linkcode AppError} keeps its
 * code and, below 500, its detail; anything else is an internal error whose
 * detail stays in the server log under the request id.
 */
export function problemResponse(error: unknown, requestId: string): Response {
  const known = error instanceof AppError ? error : undefined;
  if (!known || !known.expose) {
    console.error(`Request ${requestId} failed:`, error);
  }
  const code = known?.code ?? "internal_error";
  const info = ERRORS[code];
  const body: Problem = {
    type: `urn:setchat:error:${code}`,
    title: info.title,
    status: info.status,
    detail: known?.expose ? maskCredentials(known.message) : "The server failed to answer this request",
    code,
    fix: info.fix,
    instance: `urn:setchat:request:${requestId}`,
  };
  if (known && known.errors.length > 0) {
    body.errors = known.errors.map((e) => ({
      ...e,
      path: maskCredentials(e.path),
      message: maskCredentials(e.message),
    }));
  }
  const headers = new Headers(known?.headers);
  headers.set("content-type", "application/problem+json");
  if (info.status === 401) headers.set("www-authenticate", bearerChallenge(code));
  return new Response(JSON.stringify(body), { status: info.status, headers });
}
