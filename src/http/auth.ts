import { AppError } from "../domain/app_error.ts";
import { hashesEqual, type ParsedSecret, parseSecret, type SecretKind } from "../identity/secret_token.ts";
import type { Awaitable, CredentialRecord, SessionRecord, Store } from "../store/store.ts";
import { Lru } from "../store/lru.ts";

const KIND_NAMES: Record<SecretKind, string> = {
  s2s: "a server-to-server token",
  adm: "a tenant admin token",
  wss: "a widget session token",
  dev: "a device credential",
};

/** The bearer token of a request; throws `auth_missing` or `auth_malformed`. */
export function bearerToken(request: Request): string {
  // The runtime strips a header's optional white space, spaces and tabs (RFC 9110), from both ends; other white
  // space (U+00A0 say, which JavaScript's trim() would remove) is part of the value, which is then no credential.
  const header = request.headers.get("authorization");
  if (header === null || header === "") {
    throw new AppError("auth_missing", "Cannot authenticate: the Authorization header is missing");
  }
  const match = /^Bearer +(\S+)$/i.exec(header);
  if (!match?.[1]) {
    throw new AppError("auth_malformed", `Cannot authenticate: the Authorization header must be "Bearer <token>"`);
  }
  return match[1];
}

/**
 * Tenant credentials already parsed, by their text: a backend sends the same
 * server token with every request, and its checksum and SHA-256 cost more
 * than the rest of authenticating it. Only the parse is kept, which depends on
 * the text alone: the record, and so a revocation, is looked up every time.
 * Each app keeps its own, so that servers in one process share nothing.
 */
export type ParsedCredentials = Lru<string, ParsedSecret>;

/** An empty cache of parsed credentials, for one app. */
export function parsedCredentialCache(): ParsedCredentials {
  return new Lru<string, ParsedSecret>(256);
}

/**
 * Authenticates a tenant credential of `kind`: shape and checksum first (a
 * mistyped token is told apart from a wrong one), then the stored hash,
 * compared in constant time, then its status. Answers at once, without a
 * promise, when the store does: a failure is then thrown, not rejected.
 */
export function authenticateCredential(
  store: Store,
  request: Request,
  kind: "s2s" | "adm",
  nowMs: number,
  parsedCredentials: ParsedCredentials,
): Awaitable<CredentialRecord> {
  const token = bearerToken(request);
  let parsed = parsedCredentials.get(token);
  if (!parsed) {
    parsed = parseSecret(token);
    if (parsed) parsedCredentials.set(token, parsed);
  }
  if (!parsed) {
    const why = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(token)
      ? "this is a JWT (a visitor token?), not a SetChat credential"
      : token.startsWith("setchat_")
      ? "the token is truncated or mistyped (its checksum does not match)"
      : `expected ${KIND_NAMES[kind]} starting with "setchat_${kind}_"`;
    throw new AppError("auth_malformed", `Cannot authenticate: ${why}`);
  }
  if (parsed.kind !== kind) {
    throw new AppError(
      "auth_wrong_kind",
      `Cannot authenticate: this endpoint takes ${KIND_NAMES[kind]}, not ${KIND_NAMES[parsed.kind]}`,
    );
  }
  const found = store.findCredential(parsed.hash);
  return found instanceof Promise
    ? found.then((record) => admitted(store, record, parsed, nowMs))
    : admitted(store, found, parsed, nowMs);
}

/** `record` if it is the active credential `parsed` names, its use noted; throws otherwise. */
function admitted(
  store: Store,
  record: CredentialRecord | null,
  parsed: ParsedSecret,
  nowMs: number,
): CredentialRecord {
  const kind = parsed.kind;
  if (!record || record.kind !== kind || !hashesEqual(record.hash, parsed.hash)) {
    throw new AppError("auth_unknown", `Cannot authenticate: ${KIND_NAMES[kind]} is not recognised`);
  }
  if (record.status !== "active") {
    throw new AppError("auth_revoked", `Cannot authenticate: ${KIND_NAMES[kind]} ${record.displayPrefix} was revoked`);
  }
  store.recordCredentialUse(record, nowMs);
  return record;
}

/**
 * Authenticates a widget session token. Unknown, ended, or on a device a
 * logout retired (from any tab of the browser) is `session_invalid`; past its
 * time is `session_expired`, unless `allowExpired` (logging out is always allowed).
 */
export async function authenticateSession(
  store: Store,
  request: Request,
  nowMs: number,
  options: { allowExpired?: boolean } = {},
): Promise<SessionRecord> {
  const parsed = parseSecret(bearerToken(request));
  if (!parsed) {
    throw new AppError(
      "auth_malformed",
      `Cannot authenticate: expected ${KIND_NAMES.wss} starting with "setchat_wss_"`,
    );
  }
  if (parsed.kind !== "wss") {
    throw new AppError(
      "auth_wrong_kind",
      `Cannot authenticate: the widget API takes ${KIND_NAMES.wss}, not ${KIND_NAMES[parsed.kind]}`,
    );
  }
  const found = await store.findSessionWithDevice(parsed.hash);
  const session = found?.session;
  if (!session || !hashesEqual(session.hash, parsed.hash)) {
    throw new AppError("session_invalid", "Cannot authenticate: the widget session is unknown or has ended");
  }
  const device = found!.device;
  if (!device || device.retiredAt !== null) {
    throw new AppError("session_invalid", "Cannot authenticate: a logout on this browser ended the widget session");
  }
  if (session.expiresAt <= nowMs && !options.allowExpired) {
    throw new AppError("session_expired", "Cannot authenticate: the widget session has expired");
  }
  return session;
}
