/** Error codes routes document in the OpenAPI document, by what can fail. */
import type { ErrorCode } from "../../contract/errors.ts";

/** A server-to-server or admin credential that is refused. */
export const CREDENTIAL_ERRORS: readonly ErrorCode[] = [
  "auth_missing",
  "auth_malformed",
  "auth_wrong_kind",
  "auth_unknown",
  "auth_revoked",
];

/** A tenant operation: the admin credential, and a tenant that is not its own. */
export const ADMIN_ERRORS: readonly ErrorCode[] = [...CREDENTIAL_ERRORS, "tenant_not_found"];

/** A widget session token that is refused. */
export const SESSION_ERRORS: readonly ErrorCode[] = [
  "auth_missing",
  "auth_malformed",
  "auth_wrong_kind",
  "session_invalid",
  "session_expired",
];

/** A JSON body that cannot be read or does not match its schema. */
export const BODY_ERRORS: readonly ErrorCode[] = [
  "unsupported_media_type",
  "body_too_large",
  "request_timeout",
  "malformed_json",
  "invalid_request",
  "unknown_field",
];

/** A query string that does not match its schema, or has parameters the route does not know. */
export const QUERY_ERRORS: readonly ErrorCode[] = ["invalid_request", "unknown_field"];
