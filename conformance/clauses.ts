/**
 * The contract's clauses: every conformance case names the one it checks,
 * and docs/conformance.md lists them. Ids are stable; the text is the rule.
 */
export const CLAUSES = {
  "S2S-MINT":
    "A valid server token and one of its tenant's sites mint a visitor token: 200 with `token`, `expiresIn` and `expires_in` (and, recommended, `expiresInLabel` and `Cache-Control: no-store`).",
  "S2S-AUTH":
    "A missing, malformed, mistyped, unknown, revoked or wrong-kind server token gets 401; a token is compared whole and case-sensitively.",
  "S2S-NO-ECHO": "No answer, in its body or its headers, contains a credential the request carried.",
  "S2S-BODY":
    "A body without `siteApiKey` or `externalUserId`, or with a field of the wrong type, gets 400 and no token; unknown fields and invalid emails are refused too, named (recommended).",
  "S2S-SITE":
    "A site of another tenant, or an unknown site, is refused with a 4xx (403 recommended): no token is minted.",
  "S2S-SERVER-ONLY": "The server-to-server endpoints do not answer browsers (no CORS).",
  "TOKEN-SHAPE":
    "A visitor token is a JWT with `sub`, `aud` (the site), `iat` and `exp`; recommended: an asymmetric `alg`, an explicit `typ`, a `kid`, `iss`, `jti` and the profile claims. The reference signs EdDSA with `typ` `setchat-visitor+jwt` and a `tenant` claim.",
  "TOKEN-SUBJECT":
    "`sub` is exactly the `externalUserId`, byte for byte: ids that differ in case or Unicode normalisation are different users, with separate verified histories.",
  "TOKEN-LIFETIME":
    "A visitor token lives 5 to 15 minutes: `exp - iat` equals `expiresIn` and `expires_in`, and `iat` is the time of minting.",
  "TOKEN-UNIQUE": "Every visitor token has its own `jti` (recommended).",
  "TOKEN-SIGNATURE": "A visitor token verifies against the target's published keys (JWKS).",
  "TOKEN-ATTACK":
    "`alg: none`, forged, tampered or re-spelled signatures, key confusion, embedded `jwk`, `jku`, and unknown or hostile `kid`s are refused with 401 (the reference: `visitor_token_invalid`).",
  "TOKEN-CLAIMS":
    "A token with the wrong `typ`, `aud`, `iss` or tenant, without required claims, or living too long is refused with 401.",
  "TOKEN-TIME":
    "An expired token, or one not yet valid, is refused with 401 (the reference: `visitor_token_expired`, `visitor_token_not_yet_valid`).",
  "TOKEN-SIZE": "An oversized visitor token is refused with 401, never a 5xx.",
  "ROT-ROTATE":
    "Rotation returns the new server token once (`Cache-Control: no-store`); the previous token keeps working until revoked.",
  "ROT-REVOKE":
    "revoke-previous revokes every token but the current one, which it never revokes; a revoked token gets 401 from the next request on; it is idempotent.",
  "ROT-MINTED":
    "A visitor token minted by a server token since revoked opens no session (recommended): revocation also ends what the token minted.",
  "ROT-LIST": "No endpoint returns a server token's plaintext again, the listing included.",
  "ROT-ADMIN":
    "Rotation and revocation need the tenant's own operations credential: none, a made-up one, or another tenant's is refused (the server token too, recommended).",
  "ROT-ATOMIC":
    "The reference's policy: concurrent rotations yield exactly one new token, and a rotation while a previous token is active is refused.",
  "SES-DEVICE": "The server issues the device credential; a browser cannot choose or adopt one.",
  "SES-MODES": "A session is anonymous, pre-chat form, client user data or verified; only a visitor token verifies.",
  "VIS-VERIFIED":
    "A verified session sees every conversation created through a verified session for the same site, user and workspace, on any device.",
  "VIS-DEVICE": "A non-verified session sees the non-verified conversations of its own device only.",
  "VIS-NO-MERGE":
    "An email, name or user id typed or passed in the browser never verifies a session nor reveals verified history.",
  "VIS-SEPARATE": "Verified and non-verified conversations are never mixed, even on one device.",
  "VIS-404": "A conversation the session may not see answers 404, exactly like one that does not exist (never 403).",
  "VIS-SITE":
    "A session sees the conversations of its own site only, even those of the same verified user on another site.",
  "WS-SCOPE": "Workspaces separate sessions and histories in every mode.",
  "WS-BIND": "A visitor token minted with a workspace is refused for another workspace.",
  "LOGOUT":
    "Logout ends the session and retires the device credential: the next person on the browser sees nothing of the previous one.",
  "CUSTOM-DATA":
    "The token's `metadata` is verified custom data; browser data is kept as `non_verified_custom_data` and never overwrites it.",
  "CONV":
    "Conversations are chats, tickets (with a subject) or flows (the bot speaks first); messages are read in order and polled after a given message.",
  "AGENT":
    "The agent API lists, reads and answers the tenant's conversations and reads its visitors, never another tenant's.",
  "INPUT":
    "Bad input gets a 4xx, never a 5xx: malformed JSON a 400; recommended, 413 for a body too large and 415 for one that is not JSON.",
  "ERRORS":
    "Errors are `application/problem+json` naming their error (recommended); the reference's each have a stable `code`.",
  "META":
    "The target's JWKS holds public keys only; the reference also publishes its OpenAPI document, its version, a health check and a discovery document.",
  "CORS": "The widget API answers browsers on any origin.",
  "WIDGET-RENEW":
    "Before a verified session expires, the widget gets a new token from `getVisitorToken()` and keeps the open conversation.",
  "WIDGET-IDENTITY-LOST":
    "Without a new token the widget shows the visitor signed out, emits `identity-lost`, and shows no verified history: never a silent fall back to anonymous.",
  "WIDGET-LIVE": "An agent's reply appears in the open widget without a reload, on every device.",
} as const;

/** A clause id. */
export type ClauseId = keyof typeof CLAUSES;

/** Every clause id. */
export const CLAUSE_IDS = Object.keys(CLAUSES) as [ClauseId, ...ClauseId[]];
