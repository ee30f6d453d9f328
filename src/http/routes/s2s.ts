import { LIMITS } from "../../contract/common.ts";
import { MintVisitorTokenRequest, MintVisitorTokenResponse } from "../../contract/s2s.ts";
import { AppError } from "../../domain/app_error.ts";
import { formatDuration } from "../../domain/lifetime.ts";
import { mintVisitorToken } from "../../identity/visitor_token.ts";
import type { AppDeps, AppRoute, Principals } from "../context.ts";
import { defineRoute } from "../router.ts";
import { BODY_ERRORS, CREDENTIAL_ERRORS } from "./_errors.ts";

/** `POST /api/widget/visitor-token`: the customer's backend mints a visitor token. */
export function s2sRoutes(deps: AppDeps): AppRoute[] {
  const ttl = deps.config.visitorTokenLifetime;
  const label = formatDuration(ttl);
  return [
    defineRoute<Principals, "s2s", MintVisitorTokenRequest>({
      method: "POST",
      path: "/api/widget/visitor-token",
      operationId: "mintVisitorToken",
      summary: "Mint a visitor token for a logged-in user (server to server)",
      description: "Called by the customer's backend with its server-to-server token, never from a browser. " +
        "The token identifies `externalUserId` on `siteApiKey` and lives 5 minutes by default.",
      tag: "Server to server",
      security: "s2s",
      body: MintVisitorTokenRequest,
      bodyLimit: LIMITS.mintBodyBytes,
      responses: { 200: { description: "A signed visitor token", schema: MintVisitorTokenResponse } },
      errors: [...CREDENTIAL_ERRORS, ...BODY_ERRORS, "site_not_allowed"],
      async handle({ principal, body, respond }) {
        // A cached site comes without a promise, and awaiting one would cost a turn.
        const found = deps.store.findSiteByApiKey(body.siteApiKey);
        const site = found instanceof Promise ? await found : found;
        if (!site || site.tenantId !== principal.tenantId) {
          throw new AppError(
            "site_not_allowed",
            `Cannot mint a visitor token: "siteApiKey" names no site of the tenant that owns this server token`,
          );
        }
        const token = await mintVisitorToken(deps.keys, {
          externalUserId: body.externalUserId,
          email: body.email,
          name: body.name,
          provider: body.provider,
          metadata: body.metadata,
          workspace: body.workspace?.externalId,
        }, {
          issuer: deps.config.issuer,
          siteApiKey: site.apiKey,
          tenantId: site.tenantId,
          s2sTokenId: principal.id,
          lifetimeSeconds: ttl,
          nowMs: deps.now(),
        });
        return respond(200, { token, expiresIn: ttl, expires_in: ttl, expiresInLabel: label });
      },
    }),
  ];
}
