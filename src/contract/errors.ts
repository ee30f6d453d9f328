/**
 * Every error the API can answer, with its HTTP status and the words a user
 * needs to fix it. The problem responses, the OpenAPI document and the
 * troubleshooting table of docs/contract.md are all generated from this one catalogue.
 */

/** What the catalogue says of one error code. */
export interface ErrorInfo {
  status: number;
  title: string;
  cause: string;
  fix: string;
}

function catalogue<const T extends Record<string, ErrorInfo>>(t: T): T {
  return t;
}

/** The error catalogue, keyed by stable code. */
export const ERRORS = catalogue({
  malformed_json: {
    status: 400,
    title: "Request body is not valid JSON",
    cause:
      "The body could not be parsed as JSON (truncated, trailing comma, single quotes, empty body, bytes that are not UTF-8, a broken chunked encoding).",
    fix: "Send one JSON object, serialised by a JSON library rather than by hand.",
  },
  invalid_request: {
    status: 400,
    title: "Request does not match the schema",
    cause: "One or more fields are missing, of the wrong type or out of bounds; `errors` lists each field path.",
    fix: "Correct each field named in `errors` (see /openapi.json for the shape).",
  },
  unknown_field: {
    status: 400,
    title: "Request has fields the API does not know",
    cause:
      "The body has fields outside the published shape, often a misspelling (`external_user_id` instead of `externalUserId`, `custom_data` instead of `metadata`).",
    fix: "Rename each field named in `errors` as its message says (the field it most likely means), or remove it.",
  },
  body_too_large: {
    status: 413,
    title: "Request body is too large",
    cause: "The body is over the limit of this endpoint (16 KiB for visitor tokens, 32 KiB for widget calls).",
    fix: "Send less: `metadata` is limited to 4 KiB of JSON; put large data behind your own API.",
  },
  request_timeout: {
    status: 408,
    title: "Request body arrived too slowly",
    cause:
      "The body did not arrive in full within 10 s of the request's start: the client stalled half-way, or sent a `Content-Length` larger than its body.",
    fix: "Send the whole body right after the headers, with an exact `Content-Length`, and retry.",
  },
  unsupported_media_type: {
    status: 415,
    title: "Request body must be JSON",
    cause: "The `Content-Type` header is missing or is not `application/json`.",
    fix: "Send `Content-Type: application/json`.",
  },
  auth_missing: {
    status: 401,
    title: "Credentials are missing",
    cause: "No `Authorization: Bearer …` header was sent.",
    fix: "Send the token in `Authorization: Bearer <token>`, from your server only.",
  },
  auth_malformed: {
    status: 401,
    title: "Credentials are malformed",
    cause:
      "The header is not `Bearer <token>`, or the token's shape or checksum is wrong: it was mistyped, truncated or wrapped in quotes.",
    fix:
      "Send `Authorization: Bearer <token>` (the word `Bearer`, one space, the token); if it is there, copy the whole token again (it ends with a 6-character checksum) without quotes or spaces.",
  },
  auth_wrong_kind: {
    status: 401,
    title: "Credentials are of the wrong kind",
    cause:
      "A well-formed token of another kind was sent, such as the tenant admin token where the server token is expected.",
    fix:
      "Use the server-to-server token (`setchat_s2s_…`) for visitor tokens and the admin token (`setchat_adm_…`) for tenant operations.",
  },
  auth_unknown: {
    status: 401,
    title: "Credentials are not recognised",
    cause: "The token is well-formed but no tenant has it: it belongs to another environment or was never issued.",
    fix: "Check that the token and the API URL come from the same environment.",
  },
  auth_revoked: {
    status: 401,
    title: "Credentials have been revoked",
    cause: "The token was revoked, usually by `revoke-previous` after a rotation.",
    fix: "Deploy the current token from the last rotation; rotate again if it was lost.",
  },
  tenant_not_found: {
    status: 404,
    title: "Tenant not found",
    cause: "No tenant with this id is visible to these credentials.",
    fix: "Use the tenant id that the admin token belongs to (`SETCHAT_TENANT_ID`).",
  },
  site_not_allowed: {
    status: 403,
    title: "Site is not one of this tenant's sites",
    cause:
      "`siteApiKey` names no site of the tenant that owns the server token (it is unknown, or belongs to another tenant).",
    fix: "Use the site API key of the same tenant as the server token (`SETCHAT_SITE_API_KEY`).",
  },
  site_not_found: {
    status: 404,
    title: "Site not found",
    cause: "The widget sent a site API key that no site has.",
    fix: "Pass the site API key shown in your dashboard to `SetChat.init({ siteApiKey })`.",
  },
  rotation_pending: {
    status: 409,
    title: "A previous server token is still active",
    cause: "The last rotation has not been finished: the previous token is still active next to the current one.",
    fix: "Deploy the current token, call `revoke-previous`, then rotate again.",
  },
  visitor_token_invalid: {
    status: 401,
    title: "Visitor token is not valid",
    cause:
      "The visitor token is malformed, oversized, not signed by this server with the expected algorithm and key, of the wrong `typ`, for another site, issuer or tenant, or lives longer than allowed.",
    fix:
      "Mint visitor tokens on your server with `POST /api/widget/visitor-token` and pass them unchanged to the widget.",
  },
  visitor_token_expired: {
    status: 401,
    title: "Visitor token has expired",
    cause: "The token's `exp` is in the past (tokens live 5 minutes by default).",
    fix: "Give the widget a `getVisitorToken` callback that fetches a fresh token from your server.",
  },
  visitor_token_not_yet_valid: {
    status: 401,
    title: "Visitor token is not valid yet",
    cause: "The token's `iat` or `nbf` is in the future by more than the allowed clock skew (30 s).",
    fix: "Synchronise the clock of the server that mints the tokens (NTP).",
  },
  visitor_token_revoked: {
    status: 401,
    title: "Visitor token was minted by a revoked server token",
    cause:
      "The server-to-server token that minted this visitor token has been revoked since (`revoke-previous`): what it minted stops opening sessions at once.",
    fix:
      "Mint a new visitor token with the current server token; deploy the new token on every backend before calling `revoke-previous`.",
  },
  workspace_mismatch: {
    status: 403,
    title: "Visitor token is bound to another workspace",
    cause: "The visitor token was minted for one workspace and the widget asked for another.",
    fix: "Mint the token with the workspace the page passes to `SetChat.init({ workspace })`.",
  },
  session_invalid: {
    status: 401,
    title: "Widget session is not valid",
    cause: "The widget session token is unknown, or its session was ended by a logout.",
    fix: "Create a new widget session; the widget does this by itself after `SetChat.reset()` or a reload.",
  },
  session_expired: {
    status: 401,
    title: "Widget session has expired",
    cause: "A verified session lives as long as its visitor token; other sessions live 24 hours.",
    fix: "Create a new session with a fresh visitor token: give the widget a `getVisitorToken` callback.",
  },
  conversation_not_found: {
    status: 404,
    title: "Conversation not found",
    cause:
      "No conversation with this id is visible to this session (it may exist for another visitor, device or workspace).",
    fix: "List the conversations this session may see and use one of their ids.",
  },
  visitor_not_found: {
    status: 404,
    title: "Visitor not found",
    cause: "No visitor with this id belongs to this tenant.",
    fix: "Take the visitor id from a conversation of this tenant.",
  },
  widget_unavailable: {
    status: 503,
    title: "The widget script is not built",
    cause: "The server started without `dist/widget.js`.",
    fix: "Run `deno task build` (the `serve` and `test` tasks do it), then restart the server.",
  },
  route_not_found: {
    status: 404,
    title: "No such endpoint",
    cause: "No endpoint has this path.",
    fix: "Check the path against /openapi.json.",
  },
  method_not_allowed: {
    status: 405,
    title: "Method not allowed",
    cause:
      "The endpoint exists but not with this HTTP method (`OPTIONS` included, outside the widget API and the public documents); `Allow` lists the methods it has.",
    fix: "Use one of the methods in the `Allow` header.",
  },
  busy: {
    status: 503,
    title: "Too many writes at once",
    cause:
      "Many requests wrote to the same conversation or visitor at the same moment, and this one could not get through.",
    fix: "Retry after the time in `Retry-After` (1 s).",
  },
  internal_error: {
    status: 500,
    title: "Internal error",
    cause: "The server failed; no client input should cause this.",
    fix: "Retry; if it persists, report it with the response's `instance` id.",
  },
});

/** A stable error code: the value of `code` in every problem response. */
export type ErrorCode = keyof typeof ERRORS;

/** Every error code, in catalogue order. */
export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];
