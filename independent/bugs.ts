/**
 * Planted bugs: each switch turns the correct build into one that breaks exactly one rule of the contract, the way
 * real servers have been seen to break it. Nothing here is one of this implementation's own choices (error body,
 * 400 for a foreign site, the claim naming the tenant, the order of a history): only rules every implementation must
 * keep.
 */

/** Every planted bug, by name, with the one line a reviewer would write about it. */
export const BUGS = {
  // Server token authentication
  "server-token-prefix-compare":
    "Hashes only the first 24 characters of a presented server token, so a token with another tail is accepted",
  "server-token-case-folded":
    "Lower-cases the presented server token before hashing it, so an upper-cased copy (an unknown token) is accepted",
  "missing-token-trusts-site": "Mints without any Authorization header, taking the tenant from the site key",
  "empty-bearer-crash": "Answers 500 to an Authorization header holding the Bearer scheme and no token",
  "revoked-token-403": "Answers 403 instead of 401 to a revoked server token",
  "error-quotes-token": "Quotes the presented server token in the message of the 401 answer",
  "www-authenticate-echo": "Repeats the presented server token in the WWW-Authenticate header of the 401 answer",

  // Request body
  "invalid-json-500": "Lets a JSON syntax error escape, so a body that is not JSON answers 500 instead of 400",
  "null-body-crash": "Reads fields before validating the body, so a JSON null body answers 500",
  "user-id-coerced": "Coerces a numeric externalUserId to a string instead of refusing the wrong type with 400",
  "missing-field-422": "Answers 422 instead of 400 when a required field is missing",
  "metadata-recursive-walk":
    "Measures metadata with a recursive walk, so deeply nested metadata overflows the stack and answers 500",
  "oversized-body-500": "Throws on a body past 1 MiB instead of answering 413, so an oversized body gets a 500",

  // Sites
  "foreign-site-minted": "Checks only that the site exists, so a site of another tenant gets a token",
  "site-prefix-match":
    "Finds the site by prefix, so a site key with characters appended (an unknown site) gets a token",

  // Claims and lifetime
  "sub-case-folded": 'Lower-cases externalUserId into sub, so "Ada" and "ada" become one user',
  "sub-nfc-normalised": "NFC-normalises externalUserId into sub, so two normalisations of one name become one user",
  "sub-trimmed": "Trims the whitespace around externalUserId into sub",
  "aud-is-tenant": "Puts the tenant id in aud instead of the site API key",
  "iat-in-milliseconds": "Writes iat and exp in milliseconds since the epoch, so iat is not the time of minting",
  "exp-off-by-one": "Adds one second to exp, so exp - iat no longer equals expiresIn",
  "lifetime-one-hour": "Mints tokens that live 3600 s, past the 15-minute ceiling",
  "expires-in-milliseconds": "Announces expiresIn and expires_in in milliseconds while exp is in seconds",
  "expires-in-snake-missing": "Leaves expires_in out of the mint answer",
  "metadata-stringified": "Puts metadata in the token as a JSON string instead of the object given",
  "tenant-claim-missing": "Leaves the tenant out of the token's claims",

  // Signature
  "node-local-signing-key":
    "Each node signs with its own key while the JWKS lists only the first node's, so half the tokens fail to verify",
  "jwks-private-key":
    "Publishes the whole signing key pair, private part (d) included, beside the public key in the JWKS",

  // Rotation and revocation
  "rotate-revokes-previous":
    "Rotation revokes the previous server token at once instead of waiting for revoke-previous",
  "rotate-replaces-pending":
    "A second rotation overwrites the pending token, so the token the first rotation returned stops working",
  "rotate-replays-token":
    "Answers a rotation repeated within a minute with the same token, showing its plaintext a second time",
  "revoke-previous-revokes-current": "Revoke-previous revokes the current token too, locking the tenant out",
  "revoke-previous-only-last":
    "Revoke-previous revokes only the token just before the current one, so after two rotations the oldest still works",
  "revoke-previous-toggles": "Revoke-previous toggles the revoked flag, so a second call brings revoked tokens back",
  "revoke-previous-not-idempotent": "Answers 409 to a revoke-previous that finds nothing left to revoke",
  "revocation-lag": "Revocation takes effect only after a 30-second grace period",
  "stale-node-cache":
    "Rotation and revocation clear only the serving node's credential cache, so the other node keeps a revoked token alive",
  "revoke-echoes-current": "Repeats the current server token's plaintext in the revoke-previous answer",

  // Minting
  "empty-user-id-minted":
    "Mints a visitor token for an empty externalUserId, so every visitor without an id shares one",

  // Visitor tokens at the session exchange
  "audience-unchecked": "Opens a session for a visitor token minted for another site of the tenant",
  "tenant-claim-unchecked": "Leaves the org claim unchecked, so a token claiming another organisation opens a session",
  "revoked-minter-opens-sessions":
    "Opens sessions for visitor tokens whose server token has been revoked since, until they expire",

  // Who sees what
  "visibility-merges-by-email":
    "Shows a verified user's conversations to any unverified session that types the same email",
  "device-ignored-for-anonymous": "Shows every unverified conversation of the site to any unverified session",
  "site-ignored-for-verified": "Shows a verified user their conversations of every site of the tenant",
  "existence-leak-403": "Answers 403 for a conversation that exists out of sight, 404 only for one that does not",
  "claimed-user-id-echoed": "Shows the user id a page claimed as the identity of an unverified session",
  "history-oldest-first": "Lists a session's conversations oldest first, so the one just started is at the bottom",
  "device-adopted-across-tenants":
    "Adopts a device credential whatever tenant it was issued for, so one tenant's site names another's device",

  // Workspaces
  "workspace-ignored": "Keeps one history for every workspace of a site",
  "workspace-binding-ignored": "Opens a session in any workspace with a visitor token bound to another",

  // Logout
  "logout-keeps-device": "Ends the session at logout but keeps the device credential working",
  "logout-ends-one-tab": "Ends only the session that logs out, leaving the device's other tabs signed in",

  // Custom data
  "client-data-overwrites-verified": "Merges the page's customData into the verified custom data",

  // Message cursors
  "cursor-skips-one": "Lists messages from the second one after the cursor, so polling misses every other reply",
  "cursor-other-conversation":
    "Answers a cursor that names no message of the conversation with every message, as if none were given",

  // Request bodies of the widget API
  "widget-null-500": "Trims the page's user name before validating it, so a null name answers 500",

  // The agent API and the token listing
  "agent-reads-any-tenant": "Finds conversations and visitors by id alone, so one tenant's agent reads another's",
  "listing-shows-plaintext": "Shows each server token's plaintext in the token listing",

  // Tenant isolation
  "admin-any-tenant": "Accepts a tenant's admin token on another tenant's rotate and revoke-previous paths",
  "revoke-previous-all-tenants": "Revoke-previous revokes the older server tokens of every tenant, not only its own",
  "path-id-decode-crash": "Decodes the tenant id of the path unguarded, so a malformed percent-escape answers 500",
  "ops-error-quotes-admin-token": "Quotes the presented admin token in the message of the ops 401 answer",
} as const satisfies Record<string, string>;

/** The name of one planted bug. */
export type BugName = keyof typeof BUGS;

/** The names of every planted bug, in catalogue order. */
export const BUG_NAMES: readonly BugName[] = Object.keys(BUGS) as BugName[];

/** Tells whether a string names a planted bug. */
export function isBugName(name: string): name is BugName {
  return Object.hasOwn(BUGS, name);
}
