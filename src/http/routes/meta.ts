import { Discovery, Health, Jwks, SURFACES, Version } from "../../contract/meta.ts";
import { AppError } from "../../domain/app_error.ts";
import { CONTRACT_VERSION } from "../../contract/meta.ts";
import { IMPLEMENTATION, VERSION } from "../../version.ts";
import type { AppDeps, AppRoute, Principals } from "../context.ts";
import { json } from "../problem.ts";
import { defineRoute } from "../router.ts";

/** Health, version and the public signing keys. */
export function metaRoutes(deps: AppDeps): AppRoute[] {
  return [
    defineRoute<Principals, "none">({
      method: "GET",
      path: "/healthz",
      operationId: "health",
      summary: "Liveness check",
      tag: "Meta",
      security: "none",
      responses: { 200: { description: "The server is up", schema: Health } },
      errors: [],
      handle: () => json(200, { status: "ok" }),
    }),
    defineRoute<Principals, "none">({
      method: "GET",
      path: "/api/version",
      operationId: "version",
      summary: "Which implementation this is, and which contract version it follows",
      tag: "Meta",
      security: "none",
      responses: { 200: { description: "Implementation and contract versions", schema: Version } },
      errors: [],
      handle: () =>
        json(200, {
          implementation: IMPLEMENTATION,
          version: VERSION,
          contractVersion: CONTRACT_VERSION,
          issuer: deps.config.issuer,
        }),
    }),
    defineRoute<Principals, "none">({
      method: "GET",
      path: "/widget.js",
      operationId: "widgetScript",
      summary: "The embeddable widget: load it with <script src>, then call SetChat.init()",
      tag: "Widget",
      security: "none",
      cors: true,
      responses: { 200: { description: "The widget script", contentType: "text/javascript" } },
      errors: ["widget_unavailable"],
      handle() {
        if (!deps.widgetScript) {
          throw new AppError("widget_unavailable", "Cannot serve the widget: dist/widget.js was not built");
        }
        return new Response(deps.widgetScript, {
          headers: {
            "content-type": "text/javascript; charset=utf-8",
            "cache-control": "no-cache",
          },
        });
      },
    }),
    defineRoute<Principals, "none">({
      method: "GET",
      path: "/.well-known/setchat.json",
      operationId: "discovery",
      summary: "What this implementation offers: its surfaces of the contract, for conformance runners",
      tag: "Meta",
      security: "none",
      cors: true,
      responses: { 200: { description: "The discovery document", schema: Discovery } },
      errors: [],
      handle: () =>
        json(
          200,
          {
            implementation: IMPLEMENTATION,
            contractVersion: CONTRACT_VERSION,
            surfaces: [...SURFACES],
            referenceChoices: true,
            jwksUri: "/.well-known/jwks.json",
            widgetScript: "/widget.js",
            rotateTokenField: "token",
            tenantClaim: "tenant",
            tokenListing: "/api/tenants/{tenantId}/widget-identity/s2s-tokens",
            deviceScope: "site",
            credentialPrefixes: ["setchat_s2s_", "setchat_adm_", "setchat_wss_", "setchat_dev_"],
            ...(deps.testClock ? { testClock: "/api/test/clock" } : {}),
          } satisfies Discovery,
        ),
    }),
    defineRoute<Principals, "none">({
      method: "GET",
      path: "/.well-known/jwks.json",
      operationId: "jwks",
      summary: "Public keys that verify visitor tokens",
      tag: "Meta",
      security: "none",
      cors: true,
      responses: { 200: { description: "A JSON Web Key Set", schema: Jwks } },
      errors: [],
      handle: () => json(200, deps.keys.jwks, { "cache-control": "public, max-age=300" }),
    }),
  ];
}
