/**
 * The contract's rules, one table: each clause's rule at each level it has,
 * in the contract's own words, and the section of docs/contract.md that
 * states it. `deno task docs` writes the rules into docs/contract.md (section
 * by section) and docs/conformance.md (the clause table, the levels table)
 * from here, and `clauses_test.ts` holds the table against the fixtures and
 * the browser scenarios: every rule is checked at its level, and no check
 * has a level its rule does not give. Ids are stable.
 *
 * A `must` rule states what every implementation does; a `should` rule says
 * "should"; a `reference` rule says what the reference chose, which only the
 * reference profile holds.
 */
import type { Level } from "./levels.ts";

/** The sections of docs/contract.md that state rules, by the name of their generated block. */
export const CONTRACT_SECTIONS = {
  mint: "`POST /api/widget/visitor-token`",
  token: "The visitor token",
  rotation: "Rotating and revoking the server-to-server token",
  identity: "Identity modes: who may see what",
  widget: "The widget API",
  agent: "The agent API",
  script: "The widget script",
  endpoints: "Other endpoints",
  limits: "Limits",
  errors: "Errors",
} as const;
/** A section of docs/contract.md. */
export type ContractSection = keyof typeof CONTRACT_SECTIONS;

/** One clause: where the contract states it, and its rule at each level it has. */
export type Clause = { section: ContractSection } & { [L in Level]?: string };

/** Every clause. */
export const CLAUSES = {
  "S2S-MINT": {
    section: "mint",
    must:
      "A valid server token and a site of its tenant mint a visitor token: `200` with `token`, `expiresIn` and `expires_in`.",
    should: "The answer should carry `expiresInLabel` and `Cache-Control: no-store`.",
    reference:
      "The reference answers with the `MintVisitorTokenResponse` shape (`expiresInLabel` such as `5m`) and leaves out of the token what the body did not give.",
  },
  "S2S-AUTH": {
    section: "mint",
    must:
      "A missing, malformed, mistyped, unknown, revoked or wrong-kind server token gets `401`: a token is compared whole and case-sensitively.",
    should:
      "`Bearer` and its token apart by more than one space should be taken as one credential, as RFC 6750 allows; other white space than spaces and tabs around the header's value (U+00A0, U+3000) is part of it (RFC 9110), and a header with it should get `401`.",
    reference:
      "The reference answers a credential of the wrong kind with `auth_wrong_kind`, naming the kind the endpoint takes and the kind it was given.",
  },
  "S2S-NO-ECHO": {
    section: "mint",
    must:
      "No answer, in its body or its headers, contains a credential the request carried or one the server showed before.",
  },
  "S2S-BODY": {
    section: "mint",
    must:
      "A body without `siteApiKey` or `externalUserId`, or with a field of the wrong type, gets `400`; an empty `siteApiKey` or `externalUserId` gets a `4xx`; none of them gets a token.",
    should:
      "Unknown fields (`custom_data`), invalid emails and an empty `siteApiKey` or `externalUserId` should get `400` naming the field, and `metadata` should be bounded (a quarter mebibyte refused).",
    reference: "The reference bounds `metadata` at 4 KiB of JSON and names an unknown field inside `workspace` too.",
  },
  "S2S-SITE": {
    section: "mint",
    must: "A site of another tenant, or an unknown site, gets a `4xx` and no token.",
    should: "Both should get `403`, one answer for both, so that it tells nothing of other tenants.",
  },
  "S2S-SERVER-ONLY": {
    section: "mint",
    should:
      "The endpoints that take a server's secret (minting, rotation, revocation, a token listing, the agent API) should send no CORS headers, so that no browser reads their answers.",
  },
  "TOKEN-SHAPE": {
    section: "token",
    must: "A visitor token is a JWT with `sub`, `aud` (the site), `iat` and `exp`.",
    should:
      "It should be signed with an asymmetric algorithm by a key published with a `kid`, carry an explicit `typ`, `iss`, a `jti` and the tenant, and carry `email`, `name`, `provider` and `metadata` (an object) when given.",
    reference:
      "The reference signs with EdDSA, types its tokens `setchat-visitor+jwt`, names the tenant in a `tenant` claim and binds the `workspace` given.",
  },
  "TOKEN-SUBJECT": {
    section: "token",
    must:
      "`sub` is exactly `externalUserId`, byte for byte (ids that differ in case or Unicode normalisation are different users, with separate verified histories), and `metadata` never overrides a registered claim.",
  },
  "TOKEN-LIFETIME": {
    section: "token",
    must:
      "A visitor token lives 5 to 15 minutes: `exp - iat` equals `expiresIn` and `expires_in`, and `iat` is the time of minting, within the 30 s clock skew.",
    reference:
      "The reference issues a token at the second its clock shows and states its lifetime exactly, however far its clock is moved.",
  },
  "TOKEN-UNIQUE": { section: "token", should: "Every visitor token should have its own `jti`." },
  "TOKEN-SIGNATURE": {
    section: "token",
    must: "A visitor token verifies against the keys the server publishes (its JWKS), whichever node minted it.",
  },
  "TOKEN-ATTACK": {
    section: "token",
    must:
      "`alg: none`, forged, tampered or re-spelled signatures, key confusion, a key the token names itself (`jwk`, `jku`, `x5u`) and unknown or hostile `kid`s open no session: `401`.",
    reference:
      "The reference refuses every attack with `visitor_token_invalid`, a validly signed token whose payload is not JSON included.",
  },
  "TOKEN-CLAIMS": {
    section: "token",
    must:
      "A token for another site, issuer or tenant (in the claim the server declares), of another `typ` than the server's, without a required claim, or living more than 15 minutes opens no session: `401`.",
    should: "A token living exactly 15 minutes, the longest allowed, should be accepted.",
    reference:
      "The reference refuses a token whose claims do not have the published shape (a `metadata` that is not an object) with `visitor_token_invalid`.",
  },
  "TOKEN-TIME": {
    section: "token",
    must:
      "A token expired, or not yet valid (`nbf` or `iat` ahead), by more than the 30 s clock skew opens no session: `401`. The skew applies to `exp` as to the others: a token is refused from 30 s past its `exp`.",
    reference:
      "The reference accepts a token up to 30 s past its `exp` or ahead of its `iat`, and opens for one exchanged so late a session of the skew's 30 s.",
  },
  "TOKEN-SIZE": {
    section: "token",
    must: "An oversized visitor token opens no session: `401`, never a `5xx`.",
    reference:
      "The reference refuses a visitor token longer than 4096 characters with `visitor_token_invalid`, saying so.",
  },
  "ROT-MINTED": {
    section: "token",
    must:
      "A visitor token opens sessions only while the server token that minted it is active: once that token is revoked, the exchange gets `401`.",
    reference:
      "The reference names the minting server token in an `s2sTokenId` claim, and refuses a token whose `s2sTokenId` names none of the tenant's with `visitor_token_invalid`.",
  },
  "ROT-ROTATE": {
    section: "rotation",
    must:
      "Rotation answers `2xx` and shows a new server token this once, never an earlier one; the previous token keeps working until revoked.",
    should: "The rotate answer should carry `Cache-Control: no-store`.",
    reference: "The reference answers `200` with `{ token, tokenInfo }`.",
  },
  "ROT-REVOKE": {
    section: "rotation",
    must:
      "revoke-previous revokes every token of the calling tenant but the current one, which it never revokes; a revoked token gets `401` from the next request on, on every node; revoke-previous is idempotent.",
    should: "Each rotate answer should carry `Cache-Control: no-store`.",
    reference:
      "The reference answers `200` with `{ revoked, current }`, and refuses a second rotation while the previous token is active (`409`).",
  },
  "ROT-LIST": {
    section: "rotation",
    must:
      "No endpoint shows a server token's plaintext again: a token listing, which the contract does not require, answers its own tenant's operations credential only, and never with a plaintext.",
    reference:
      "The reference lists each token's id, display prefix, status, current flag and times (`S2sTokenList`) at `/api/tenants/:id/widget-identity/s2s-tokens`, oldest first, tokens made in one millisecond in the order they were made.",
  },
  "ROT-ADMIN": {
    section: "rotation",
    must:
      "Rotation, revocation and a token listing need the tenant's own operations credential, sent as a Bearer token: none, a made-up one or another tenant's gets a `4xx` and changes nothing.",
    should: "A missing or made-up credential should get `401`, and the server token should be refused.",
    reference:
      "The reference answers another tenant's id, or an unknown one, with `404`, and the server token with `401`.",
  },
  "ROT-ATOMIC": {
    section: "rotation",
    reference:
      "The reference rotates one at a time: concurrent rotations yield exactly one new token, and a rotation while the previous token is active gets `409`.",
  },
  "SES-MODES": {
    section: "identity",
    must:
      "A session is anonymous, pre-chat form, client user data or verified, and only a visitor token verifies: a session that is not verified shows `identity.externalUserId` as `null`, whatever id the page claimed. The widget API refuses calls without a live session token (`401`), and a site key no site has gets a `4xx`.",
    reference: "The reference answers an unknown site key with `404`.",
  },
  "SES-EXPIRY": {
    section: "identity",
    must:
      "A verified session lives no longer than its visitor token and the 30 s clock skew; a session past its end gets `401`; `expiresIn` counts down the whole seconds left.",
    should: "A session past its end should still log out: `DELETE /api/widget/session` answers `204`.",
    reference:
      "The reference keeps a verified session until its token's `exp`, for at least the 30 s of skew, and any other session 24 hours, to the second.",
  },
  "VIS-VERIFIED": {
    section: "identity",
    must:
      "A verified session sees every conversation created through a verified session for the same site, user and workspace, on any device, and no other user's.",
  },
  "VIS-DEVICE": {
    section: "identity",
    must: "A non-verified session sees the non-verified conversations of its own device only.",
  },
  "VIS-NO-MERGE": {
    section: "identity",
    must:
      "An email, name or user id typed or passed in the browser never verifies a session nor reveals verified history.",
  },
  "VIS-SEPARATE": {
    section: "identity",
    must: "Verified and non-verified conversations are never mixed, even on one device.",
  },
  "VIS-404": {
    section: "identity",
    must: "A conversation the session may not see answers `404`, exactly like one that does not exist (never `403`).",
  },
  "VIS-SITE": {
    section: "identity",
    must:
      "A session sees the conversations of its own site only, even those of the same verified user on another site.",
  },
  "WS-SCOPE": {
    section: "identity",
    must:
      "Workspaces separate sessions and histories in every mode; a visitor token minted without a workspace follows the widget's.",
  },
  "WS-BIND": {
    section: "identity",
    must: "A visitor token minted with a workspace opens no session in another workspace, or in none: a `4xx`.",
    reference: "The reference answers `403`.",
  },
  "LOGOUT": {
    section: "identity",
    must:
      "Logout ends the session and every other session of its device (another tab) and retires the device credential: the next person on the browser sees nothing of the previous one, who sees it all again on signing in.",
    should: "The other tabs of the browser should show nothing of the previous visitor 2 s after a logout in one.",
  },
  "CUSTOM-DATA": {
    section: "identity",
    must:
      "The token's `metadata` is verified custom data; what the browser sends is kept as `non_verified_custom_data` and never overwrites it.",
    reference:
      "The reference replaces a visitor's verified profile and custom data whole with each new visitor token's.",
  },
  "SES-DEVICE": {
    section: "widget",
    must:
      "The server issues the device credential; a browser cannot choose one: an unknown, retired or foreign credential (one the server did not issue for a browser of this site's tenant) is replaced, never adopted, and a credential issued on another site of the tenant never shows that site's conversations.",
    should: "A new session's answer should carry `Cache-Control: no-store`.",
    reference: "The reference scopes devices by site: a credential of another site is replaced too.",
  },
  "CONV": {
    section: "widget",
    must:
      "Conversations are chats, tickets (with a subject) or flows (the bot speaks first), each message read in order; `after` lists the messages after one of this conversation's, and a cursor that names no message of it gets a `4xx`, never an empty page; the history lists the conversation started last first.",
    should:
      "These refusals should be `400`: a cursor that names no message, a ticket without a subject, an unknown kind, an empty message.",
    reference:
      "The reference orders a history by creation: a later message does not move a conversation up. A chat started with a message is titled by its first line, spaces collapsed, cut at a word to at most 60 characters with an ellipsis.",
  },
  "CORS": {
    section: "widget",
    must:
      "The widget API answers browsers on any origin: preflights, answers and errors carry `Access-Control-Allow-Origin`.",
    should:
      "A preflight on a widget API path should allow the methods of that path and the `Authorization` and `Content-Type` headers the widget sends.",
    reference:
      "The reference answers a preflight with `204`, the path's methods, `Access-Control-Max-Age: 600`, `Vary: Origin` and `X-Request-Id` exposed; it answers none on a path browsers may not call (`404`), and lets any page read its published documents, each cached as it says.",
  },
  "AGENT": {
    section: "agent",
    must:
      "With the tenant's operations credential, the agent API lists, reads and answers the tenant's conversations and reads its visitors; another tenant's get a `4xx` and none of their data, and the server token and session tokens are refused.",
    reference:
      "The reference answers another tenant's objects with `404` and other tokens with `401`, and signs a reply sent without `authorName` as `Support`.",
  },
  "PAGING": {
    section: "agent",
    must:
      "Walking the agent listing page by page, each `nextCursor` sent back as `cursor`, gives each conversation once, newest first, whatever the page size, and ends with no `nextCursor`.",
    reference:
      "The reference pages 1 to 100 conversations (50 by default) and answers a size out of bounds with `400`, and a cursor that is no `nextCursor` of the listing (another tenant's conversation, or another site's in a site's listing) with `400` naming `cursor`.",
  },
  "WIDGET-RENEW": {
    section: "script",
    must:
      "Before a verified session expires, the widget gets a new token from `getVisitorToken()` and keeps the open conversation.",
    reference:
      "The reference widget asks for a new token 30 seconds before the session expires, not long before, and reads the open conversation again as each renewed session opens: what came meanwhile shows at once, not at the next poll.",
  },
  "WIDGET-IDENTITY-LOST": {
    section: "script",
    must:
      "Without a new token the widget shows the visitor signed out, emits `identity-lost`, and shows no verified history: never a silent fall back to anonymous.",
  },
  "WIDGET-LIVE": {
    section: "script",
    must: "An agent's reply appears in the open widget without a reload, on every device.",
  },
  "WIDGET-API": {
    section: "script",
    must:
      "The widget script defines `SetChat` with the functions, return values, state and events docs/widget.md states, and `reset()` ends the session, forgets the browser's data and leaves nothing of the previous visitor, late answers included.",
  },
  "WIDGET-TEXT": {
    section: "script",
    must:
      "Whatever a visitor, a page or an agent wrote (names, subjects, messages, custom data) is shown as text, never run as markup or script.",
    reference: "The reference's agent console shows what visitors wrote as text too.",
  },
  "HTTP": {
    section: "endpoints",
    should:
      "Every `GET` endpoint should answer `HEAD` as it answers `GET`: the same status and headers, the body's `Content-Length`, no body; and a JSON body should be known by its media type whatever its case and parameters (`Application/JSON; charset=utf-8`).",
    reference:
      "The reference answers `HEAD` on its published documents and token listing too, and takes any structured `+json` media type as JSON.",
  },
  "LIMITS": {
    section: "limits",
    reference:
      "The reference holds each limit of the table to the unit: a value at the limit is accepted, one past it refused (`413` for a body, `400` naming the field, `401` for a visitor token).",
  },
  "INPUT": {
    section: "errors",
    must:
      "Bad input gets a `4xx`, never a `5xx`, and a refused request stores nothing: a body that is not JSON gets `400`, and a field missing, `null` or of the wrong type, or an empty required string, a `4xx`.",
    should:
      "A body too large should get `413` and one that is not JSON `415` (`application/json` followed by other white space than spaces and tabs, U+00A0 say, is another media type); deep nesting, unknown fields, empty strings and strings past their bounds should be refused, with `400`.",
    reference:
      "The reference takes bodies of at most 16 KiB (visitor tokens) and 32 KiB (widget calls); a body that stops half-way gets `408` once it stops waiting, and a chunked body whose framing cannot be read `400`, each closing the connection.",
  },
  "ERRORS": {
    section: "errors",
    must: "A known path called with a method it does not have gets a `4xx`.",
    should:
      "Errors should be RFC 9457 problems (`application/problem+json`) naming their error by a `code` or a `type`, and a method a path does not have should get `405` with `Allow`.",
    reference:
      "The reference's problems each carry a stable `code` of its catalogue and, for a bad body, the path of each field at fault in `errors`; an unknown path is `404`.",
  },
  "META": {
    section: "errors",
    must:
      "The published keys (JWKS) are public keys only, each with its `kty`; a widget script a server declares is served.",
    should: "Each key should have a `kid`, and the widget script should be served as JavaScript.",
    reference:
      "The reference signs with EdDSA keys, and publishes its OpenAPI document, its version, a health check and its discovery document.",
  },
  "TEST-CLOCK": {
    section: "endpoints",
    reference:
      "The reference started with `--test-clock` declares `testClock` in its discovery document and shows the clock there (`GET`) to a tenant admin token, which moves it (`POST`): `reset` to the real time, then `freeze` at the start of the second it shows (or let it run from there), then `advanceSeconds`, whole seconds from a day back to a week ahead; it answers `now`, `nowMs`, `frozen` and `offsetSeconds`, how far it is from the real time. Any other body is `400`, any other credential `401`, and so is a move before 2000 or past 8000-01-01T00:00:00.000Z, the last time it holds: `400` naming `advanceSeconds`, the clock unmoved.",
  },
} as const satisfies Record<string, Clause>;

/** A clause id. */
export type ClauseId = keyof typeof CLAUSES;

/** Every clause id. */
export const CLAUSE_IDS = Object.keys(CLAUSES) as [ClauseId, ...ClauseId[]];

/** One rule: a clause at one level. */
export interface Rule {
  clause: ClauseId;
  level: Level;
  text: string;
  section: ContractSection;
}

/** Every rule of the table, clause by clause, strongest level first. */
export function rules(): Rule[] {
  return CLAUSE_IDS.flatMap((clause) => {
    const c: Clause = CLAUSES[clause];
    return (["must", "should", "reference"] as const).flatMap((level) => {
      const text = c[level];
      return text === undefined ? [] : [{ clause, level, text, section: c.section }];
    });
  });
}
