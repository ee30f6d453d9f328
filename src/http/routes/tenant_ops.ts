import { RevokePreviousResponse, RotateResponse, S2sTokenList, type S2sTokenSummary } from "../../contract/s2s.ts";
import { generateSecret } from "../../identity/secret_token.ts";
import { newId } from "../../identity/encoding.ts";
import type { CredentialRecord } from "../../store/store.ts";
import type { AppDeps, AppRoute, Principals } from "../context.ts";
import { json } from "../problem.ts";
import { defineRoute } from "../router.ts";
import { ADMIN_ERRORS } from "./_errors.ts";

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A stored token as the API shows it: never its hash, never its plaintext. */
export function summarise(
  c: CredentialRecord,
  currentId: string,
  lastUsedAt: number | null = null,
): S2sTokenSummary {
  return {
    id: c.id,
    displayPrefix: c.displayPrefix,
    status: c.status,
    current: c.id === currentId,
    createdAt: new Date(c.createdAt).toISOString(),
    revokedAt: iso(c.revokedAt),
    lastUsedAt: iso(lastUsedAt),
  };
}

/** Rotation, revocation and listing of a tenant's server-to-server tokens (admin token). */
export function tenantOpsRoutes(deps: AppDeps): AppRoute[] {
  const base = "/api/tenants/:tenantId/widget-identity";
  const tag = "Tenant operations";
  const currentId = async (tenantId: string) => (await deps.store.getTenant(tenantId))?.currentS2sTokenId ?? "";
  return [
    defineRoute<Principals, "admin">({
      method: "GET",
      path: `${base}/s2s-tokens`,
      operationId: "listS2sTokens",
      summary: "List the tenant's server-to-server tokens (never their plaintext)",
      tag,
      security: "admin",
      responses: { 200: { description: "The tokens, oldest first", schema: S2sTokenList } },
      errors: ADMIN_ERRORS,
      async handle({ principal }) {
        const tokens = await deps.store.listS2sTokens(principal.tenantId);
        const current = await currentId(principal.tenantId);
        return json(200, { tokens: tokens.map((t) => summarise(t, current, t.lastUsedAt)) });
      },
    }),
    defineRoute<Principals, "admin">({
      method: "POST",
      path: `${base}/s2s-token/rotate`,
      operationId: "rotateS2sToken",
      summary: "Create a new server-to-server token; its plaintext is returned this once",
      description: "The previous token keeps working until `revoke-previous`. While a previous token is still " +
        "active, another rotation is refused with `rotation_pending`, so at most two tokens are ever active.",
      tag,
      security: "admin",
      responses: { 200: { description: "The new current token", schema: RotateResponse } },
      errors: [...ADMIN_ERRORS, "rotation_pending"],
      async handle({ principal }) {
        const now = deps.now();
        const secret = generateSecret("s2s");
        const record: CredentialRecord = {
          kind: "s2s",
          id: newId("s2s", now),
          tenantId: principal.tenantId,
          hash: secret.hash,
          displayPrefix: secret.displayPrefix,
          status: "active",
          createdAt: now,
          revokedAt: null,
        };
        await deps.store.rotateS2sToken(principal.tenantId, record);
        return json(200, { token: secret.plaintext, tokenInfo: summarise(record, record.id) });
      },
    }),
    defineRoute<Principals, "admin">({
      method: "POST",
      path: `${base}/s2s-token/revoke-previous`,
      operationId: "revokePreviousS2sTokens",
      summary: "Revoke every server-to-server token but the current one",
      description: "Idempotent; never revokes the current token. A revoked token is refused from the next request on.",
      tag,
      security: "admin",
      responses: { 200: { description: "What was revoked, and the current token", schema: RevokePreviousResponse } },
      errors: ADMIN_ERRORS,
      async handle({ principal }) {
        const revoked = new Set(
          (await deps.store.revokePreviousS2sTokens(principal.tenantId, deps.now())).map((t) => t.id),
        );
        const current = await currentId(principal.tenantId);
        const tokens = await deps.store.listS2sTokens(principal.tenantId);
        const cur = tokens.find((t) => t.id === current);
        if (!cur) throw new Error(`Cannot find the current server token of ${principal.tenantId}`);
        return json(200, {
          revoked: tokens.filter((t) => revoked.has(t.id)).map((t) => summarise(t, current, t.lastUsedAt)),
          current: summarise(cur, current, cur.lastUsedAt),
        });
      },
    }),
  ];
}
