import { LIMITS } from "../contract/common.ts";
import { AppError } from "../domain/app_error.ts";
import type { Awaitable } from "../store/store.ts";
import { authenticateCredential, authenticateSession, parsedCredentialCache } from "./auth.ts";
import { compiledParser, parseWith, readJson } from "./body.ts";
import type { AppDeps, AppRoute, Principals } from "./context.ts";
import { openApiDocument, type SecuritySchemes } from "./openapi.ts";
import { API_HEADERS, json, problemResponse } from "./problem.ts";
import { type Candidates, defineRoute, pathReader, Router } from "./router.ts";
import { agentRoutes } from "./routes/agent.ts";
import { metaRoutes } from "./routes/meta.ts";
import { s2sRoutes } from "./routes/s2s.ts";
import { tenantOpsRoutes } from "./routes/tenant_ops.ts";
import { testClockRoutes } from "./routes/test_clock.ts";
import { widgetConversationRoutes } from "./routes/widget_conversations.ts";
import { widgetSessionRoutes } from "./routes/widget_sessions.ts";

/** The application: a fetch handler and the route table it serves. */
export interface App {
  /**
   * Answers `request`; `path` is its URL's path, when the caller has read it already. HEAD is answered with GET's
   * answer, body and all: the HTTP server (`Deno.serve`) sends its header section as it is, the same fields in the
   * same order with the body's `Content-Length`, and leaves the body out (RFC 9110, 9.3.2).
   */
  handler: (request: Request, path?: string) => Promise<Response>;
  routes: readonly AppRoute[];
  /** The path of a request's URL, as the handler reads it. */
  readPath: (href: string) => string;
}

const SCHEMES: SecuritySchemes = {
  none: null,
  s2s: { description: "The tenant's server-to-server token (`setchat_s2s_…`), from the customer's backend only." },
  admin: { description: "The tenant admin token (`setchat_adm_…`)." },
  session: { description: "A widget session token (`setchat_wss_…`), from `POST /api/widget/sessions`." },
  endingSession: { description: "A widget session token (`setchat_wss_…`); an expired one is accepted, to log out." },
};

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, content-type",
  "vary": "origin",
  "access-control-expose-headers": "x-request-id",
  "access-control-max-age": "600",
};

/** Each answers at once when it can: an authentication the store's cache settles costs no turn of the event loop. */
type Authenticators = {
  [S in keyof Principals]: (request: Request, params: Record<string, string>) => Awaitable<Principals[S]>;
};

/** Builds the application over its dependencies. */
export function createApp(deps: AppDeps): App {
  const parsed = parsedCredentialCache();
  const authenticate: Authenticators = {
    none: () => undefined,
    s2s: (request) => authenticateCredential(deps.store, request, "s2s", deps.now(), parsed),
    admin: async (request, params) => {
      const credential = await authenticateCredential(deps.store, request, "adm", deps.now(), parsed);
      if (params.tenantId !== undefined && params.tenantId !== credential.tenantId) {
        // Another tenant's id answers exactly like an unknown one.
        throw new AppError("tenant_not_found", `Cannot find tenant ${params.tenantId}`);
      }
      return credential;
    },
    session: (request) => authenticateSession(deps.store, request, deps.now()),
    endingSession: (request) => authenticateSession(deps.store, request, deps.now(), { allowExpired: true }),
  };

  const routes: AppRoute[] = [
    ...s2sRoutes(deps),
    ...tenantOpsRoutes(deps),
    ...widgetSessionRoutes(deps),
    ...widgetConversationRoutes(deps),
    ...agentRoutes(deps),
    ...metaRoutes(deps),
    ...(deps.testClock ? testClockRoutes(deps.testClock) : []),
  ];
  let document: Record<string, unknown> | undefined;
  routes.push(defineRoute<Principals, "none">({
    method: "GET",
    path: "/openapi.json",
    operationId: "openapi",
    summary: "This document",
    tag: "Meta",
    security: "none",
    cors: true,
    responses: { 200: { description: "The OpenAPI 3.1 document of this API", contentType: "application/json" } },
    errors: [],
    handle: () => json(200, document ??= openApiDocument(routes, SCHEMES)),
  }));
  const router = new Router<Principals>(routes);
  const parsers = new Map(routes.map((r) => [r, {
    body: r.body && compiledParser(r.body),
    query: r.query && compiledParser(r.query),
  }]));

  const readPath = pathReader();

  /**
   * Answers `request`. One async function from the request to the route's
   * handler: each more would cost a promise and a turn of its own.
   */
  async function handler(request: Request, path = readPath(request.url)): Promise<Response> {
    const requestId = crypto.randomUUID();
    const found = router.candidates(path);
    // The answer the route's `respond` built whole, to which nothing is added.
    // (A note per request, not a WeakSet of answers, which measured about 2 µs a request, most of it collecting.)
    const whole: { response?: Response } = {};
    let reading: Promise<unknown> | undefined;
    try {
      // A browser's preflight, where browsers are served; anywhere else OPTIONS is a method the path lacks (405).
      if (request.method === "OPTIONS" && found?.routes.some((r) => r.cors)) {
        return completed(preflight(found), requestId, found, whole);
      }
      const { route, params } = router.select(found, request.method, path);
      // The body is read from the first tick: reading it only after the
      // authentication's await measured about 20 µs slower per request. Its
      // errors wait until authentication has had its say (401 before 400).
      reading = route.body
        ? readJson(request, {
          limit: route.bodyLimit ?? LIMITS.bodyBytes,
          timeoutMs: deps.config.bodyReadTimeoutMs ?? LIMITS.bodyReadMs,
          clock: deps.testClock,
        })
        : undefined;
      const authenticated = authenticate[route.security](request, params);
      let principal: Principals[keyof Principals];
      if (authenticated instanceof Promise) {
        // While authentication waits, a refused body must not count as a rejection nobody handles.
        reading?.catch(ignore);
        principal = await authenticated;
      } else {
        principal = authenticated;
      }
      const parser = parsers.get(route)!;
      const body = parser.body ? parseWith(parser.body, await reading) : undefined;
      // The URL is parsed whole only for the routes that read its query.
      const query = parser.query
        ? parseWith(parser.query, Object.fromEntries(new URL(request.url).searchParams), "the query")
        : undefined;
      const respond = (status: number, value: unknown) => {
        const headers = route.cors ? { ...CORS_HEADERS, "x-request-id": requestId } : { "x-request-id": requestId };
        const response = json(status, value, headers);
        whole.response = response;
        return response;
      };
      const response = await route.handle({ request, params, principal, body, query, requestId, respond });
      return completed(response, requestId, found, whole);
    } catch (error) {
      // A body nobody awaited (authentication refused at once) is not left rejected unhandled.
      reading?.catch(ignore);
      return completed(problemResponse(error, requestId), requestId, found, whole);
    }
  }

  return { handler, routes, readPath };
}

/**
 * `response` with the headers every answer carries: the request id, the API
 * headers where the route set none, and CORS where browsers are served. An
 * answer `respond` built whole is passed on untouched: reading `headers` makes
 * the runtime copy them again to send the answer.
 */
function completed(
  response: Response,
  requestId: string,
  found: Candidates<Principals>,
  whole: { response?: Response },
): Response {
  if (response === whole.response) return response;
  response.headers.set("x-request-id", requestId);
  for (const k in API_HEADERS) {
    if (!response.headers.has(k)) response.headers.set(k, API_HEADERS[k as keyof typeof API_HEADERS]);
  }
  if (found?.routes.some((r) => r.cors)) {
    for (const k in CORS_HEADERS) response.headers.set(k, CORS_HEADERS[k as keyof typeof CORS_HEADERS]);
  }
  return response;
}

function ignore(): void {}

function preflight(found: NonNullable<Candidates<Principals>>): Response {
  const methods = found.routes.map((r) => r.method).join(", ");
  return new Response(null, { status: 204, headers: { "access-control-allow-methods": methods } });
}
