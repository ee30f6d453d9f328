import type { z } from "zod";
import type { ErrorCode } from "../contract/errors.ts";
import { AppError } from "../domain/app_error.ts";

/** HTTP methods the API uses. */
export type Method = "GET" | "POST" | "DELETE";

/** What a handler receives: the request, its path parameters, and what the route asked for. */
export interface RouteContext<Principal, Body, Query> {
  request: Request;
  params: Record<string, string>;
  principal: Principal;
  body: Body;
  query: Query;
  requestId: string;
  /**
   * A JSON answer with every header the app would add (the request id, the
   * API headers, CORS where the route has it), set as it is built: the app
   * passes it on untouched, and the runtime sends it without copying its headers.
   */
  respond(status: number, body: unknown): Response;
}

/** One documented response of a route. */
export interface ResponseSpec {
  description: string;
  /** A schema registered with `.meta({ id })`, referenced from the OpenAPI document. */
  schema?: z.ZodType;
  contentType?: string;
}

/**
 * One endpoint: its documentation, its security scheme, the schemas of what it
 * reads and the handler. The same object drives routing, validation and the
 * OpenAPI document, so they cannot disagree.
 */
export interface Route<Principals, S extends keyof Principals = keyof Principals, Body = unknown, Query = unknown> {
  method: Method;
  /** URLPattern pathname syntax, e.g. `/api/tenants/:tenantId/sites`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  security: S;
  /** Whether browsers on any origin may call it (the widget API). */
  cors?: boolean;
  body?: z.ZodType<Body>;
  /** Body size limit in bytes, when it differs from the default. */
  bodyLimit?: number;
  query?: z.ZodType<Query>;
  responses: Record<number, ResponseSpec>;
  /** Error codes this route may answer, for the OpenAPI document. */
  errors: readonly ErrorCode[];
  handle(ctx: RouteContext<Principals[S], Body, Query>): Promise<Response> | Response;
}

/** Defines a route with its handler's context typed from its schemas. */
export function defineRoute<Principals, S extends keyof Principals, Body = undefined, Query = undefined>(
  route: Route<Principals, S, Body, Query>,
): Route<Principals> {
  return route as unknown as Route<Principals>;
}

const NO_PARAMS: Record<string, string> = Object.freeze({});

/** A route found for a request, with its path parameters. */
export interface Match<Principals> {
  route: Route<Principals>;
  params: Record<string, string>;
}

/** The routes of one path and its parameters, or `undefined` when no route has the path. */
export type Candidates<Principals> =
  | { readonly routes: readonly Route<Principals>[]; readonly params: Readonly<Record<string, string>> }
  | undefined;

/** A path of letters, digits, `_`, `-` and `/` only, up to the query or the end: one the URL parser keeps as it is. */
const PLAIN_PATH = /^\/[\w/-]*(?=[?#]|$)/;

/**
 * A reader of request paths: each gives the path of a request's URL, as
 * `new URL(href).pathname` reads it, without parsing the whole URL when it
 * need not: after an origin the parser has already accepted (as it writes it),
 * a plain path is read as it is. Every other URL is parsed. Each app has a
 * reader of its own, so that the origin it remembers is its own last request's
 * and servers in one process never take turns at it.
 */
export function pathReader(): (href: string) => string {
  /** The last origin parsed; before any, nothing, after which no path is plain. */
  let checkedOrigin = "";
  return (href) => {
    if (href.startsWith(checkedOrigin)) {
      const plain = PLAIN_PATH.exec(href.slice(checkedOrigin.length));
      if (plain) return plain[0];
    }
    const url = new URL(href);
    // The origin as the parser writes it reads back the same: a URL that begins with it and a `/` needs only its path
    // checked.
    checkedOrigin = url.origin;
    return url.pathname;
  };
}

/**
 * Finds the route of a request: static paths by map lookup, the others by
 * URLPattern in table order. A path that exists with other methods is a 405.
 * HEAD is answered by the GET route of the path (the HTTP server leaves its body out).
 */
export class Router<Principals> {
  readonly routes: readonly Route<Principals>[];
  readonly #static = new Map<string, { routes: Route<Principals>[]; params: Record<string, string> }>();
  readonly #dynamic: { pattern: URLPattern; routes: Route<Principals>[] }[] = [];

  constructor(routes: readonly Route<Principals>[]) {
    this.routes = routes;
    for (const route of routes) {
      if (!route.path.includes(":")) {
        // One answer per static path, shared by its requests: its parameters are none, and frozen.
        const found = this.#static.get(route.path) ?? { routes: [], params: NO_PARAMS };
        found.routes.push(route);
        this.#static.set(route.path, found);
        continue;
      }
      const same = this.#dynamic.find((d) => d.routes[0]?.path === route.path);
      if (same) same.routes.push(route);
      else this.#dynamic.push({ pattern: new URLPattern({ pathname: route.path }), routes: [route] });
    }
    // A path's routes (and a static path's whole answer) are shared by all its requests: frozen, so that nothing a
    // request does reaches the next.
    for (const found of this.#static.values()) Object.freeze(Object.freeze(found).routes);
    for (const d of this.#dynamic) Object.freeze(d.routes);
  }

  /** The routes of a path, whatever their method, or none. */
  candidates(pathname: string): Candidates<Principals> {
    const fixed = this.#static.get(pathname);
    if (fixed) return fixed;
    for (const d of this.#dynamic) {
      const m = d.pattern.exec({ pathname });
      if (m) {
        const params: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.pathname.groups)) if (v !== undefined) params[k] = v;
        return { routes: d.routes, params };
      }
    }
    return undefined;
  }

  /** The route for `method` among a path's candidates; throws a 404 or 405 problem. */
  select(found: Candidates<Principals>, method: string, pathname: string): Match<Principals> {
    if (!found) throw new AppError("route_not_found", `Cannot ${method} ${pathname}: no such endpoint`);
    const route = found.routes.find((r) => r.method === (method === "HEAD" ? "GET" : method));
    if (!route) {
      const allow = allowedMethods(found.routes).join(", ");
      throw new AppError("method_not_allowed", `Cannot ${method} ${pathname}: the endpoint allows ${allow}`, {
        headers: { allow },
      });
    }
    return { route, params: found.params };
  }
}

/** The methods a path answers: its routes', and HEAD wherever there is GET. */
export function allowedMethods<Principals>(routes: readonly Route<Principals>[]): string[] {
  const methods: string[] = routes.map((r) => r.method);
  if (methods.includes("GET")) methods.splice(methods.indexOf("GET") + 1, 0, "HEAD");
  return methods;
}
