/**
 * The contract's clauses: every conformance case names the one it checks,
 * and the README lists them. Ids are stable; the text is the rule.
 */
export const CLAUSES = {
  "S2S-MINT":
    "A valid server token and one of its tenant's sites mint a visitor token: 200 with `token`, `expiresIn`, `expires_in`, `expiresInLabel` and `Cache-Control: no-store`.",
  "S2S-AUTH":
    "A missing, malformed, mistyped, unknown, revoked or wrong-kind server token gets 401 with a stable code.",
  "S2S-BODY":
    "Unknown fields are refused with a 400 that names them; invalid fields with a 400 that names each field path.",
  "S2S-SITE": "A site of another tenant, or an unknown site, is refused: no token is minted.",
  "S2S-SERVER-ONLY": "The server-to-server endpoints do not answer browsers (no CORS).",
  "TOKEN-SHAPE":
    "A visitor token is an EdDSA JWT with `typ` `setchat-visitor+jwt`, the `kid` of a published key, and `sub`, `aud`, `iss`, `tenant`, `iat`, `exp`, `jti` and the profile claims.",
  "TOKEN-LIFETIME": "A visitor token lives 5 to 15 minutes.",
  "TOKEN-SIGNATURE": "A visitor token verifies against the target's published keys (JWKS).",
  "TOKEN-ATTACK":
    "`alg: none`, forged or tampered signatures, key confusion, embedded `jwk`, `jku`, and unknown or hostile `kid`s are refused with 401 `visitor_token_invalid`.",
  "TOKEN-CLAIMS":
    "A token with the wrong `typ`, `aud`, `iss` or tenant, without required claims, or living too long is refused with 401.",
  "TOKEN-TIME":
    "An expired token is refused with 401 `visitor_token_expired`, a token not yet valid with 401 `visitor_token_not_yet_valid`.",
  "TOKEN-SIZE": "An oversized visitor token is refused with 401, never a 5xx.",
  "ROT-ROTATE":
    "Rotation returns the new server token once (`Cache-Control: no-store`); the previous token keeps working until revoked.",
  "ROT-REVOKE":
    "revoke-previous revokes every token but the current one, which it never revokes; a revoked token gets 401 from the next request on; it is idempotent.",
  "ROT-LIST": "No endpoint returns a server token's plaintext again, the listing included.",
  "ROT-ADMIN":
    "Tenant operations need the tenant's admin token; another tenant's token acts as if the tenant did not exist.",
  "ROT-ATOMIC":
    "Concurrent rotations yield exactly one new token; a rotation while a previous token is active is refused (the reference's policy).",
  "SES-DEVICE": "The server issues the device credential; a browser cannot choose or adopt one.",
  "SES-MODES": "A session is anonymous, pre-chat form, client user data or verified; only a visitor token verifies.",
  "VIS-VERIFIED":
    "A verified session sees every conversation created through a verified session for the same site, user and workspace, on any device.",
  "VIS-DEVICE": "A non-verified session sees the non-verified conversations of its own device only.",
  "VIS-NO-MERGE":
    "An email, name or user id typed or passed in the browser never verifies a session nor reveals verified history.",
  "VIS-SEPARATE": "Verified and non-verified conversations are never mixed, even on one device.",
  "VIS-404": "A conversation the session may not see answers 404, exactly like one that does not exist (never 403).",
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
  "INPUT": "Bad input gets a clear 4xx problem (413, 415, malformed JSON, unknown fields), never a 5xx.",
  "ERRORS": "Every error is `application/problem+json` with a stable `code`.",
  "META": "The target publishes its keys (JWKS), its OpenAPI document, its version and a health check.",
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
