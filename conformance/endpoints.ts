/**
 * Every endpoint of the contract, by surface, as fixture paths write them
 * (`{{tenantId}}` and the like stand for one segment), with the published
 * schema of its request. One table feeds the surface of a step, the checks
 * every answer gets (no CORS on a server's endpoint), the negative inputs
 * generated for each body, and the test that every endpoint is exercised.
 * An endpoint in none of the surfaces, such as the reference's OpenAPI
 * document, exists only in the reference: steps that call it are `reference`
 * steps. Endpoints a target declares in its discovery document (its widget
 * script, its token listing) are written as `{{widgetScript}}`,
 * `{{tokenListing}}`.
 */
import type { z } from "zod";
import { AgentConversationsQuery, AgentReplyRequest } from "../src/contract/agent.ts";
import type { Surface } from "../src/contract/meta.ts";
import { MintVisitorTokenRequest } from "../src/contract/s2s.ts";
import {
  CreateConversationRequest,
  CreateSessionRequest,
  MessagesQuery,
  PostMessageRequest,
} from "../src/contract/widget.ts";

/** One endpoint of the contract. */
export interface Endpoint {
  method: "GET" | "POST" | "DELETE";
  /** As a fixture writes it. */
  path: string;
  surface: Surface;
  /** Takes a server's secret (the server token, the admin token): no browser may read its answers. */
  serversOnly: boolean;
  /** The published schema of its JSON body. */
  body?: z.ZodType;
  /** The published schema of its query. */
  query?: z.ZodType;
}

/** Every endpoint, by surface. */
export const ENDPOINTS: readonly Endpoint[] = [
  {
    method: "POST",
    path: "/api/widget/visitor-token",
    surface: "s2s",
    serversOnly: true,
    body: MintVisitorTokenRequest,
  },
  {
    method: "POST",
    path: "/api/tenants/{{tenantId}}/widget-identity/s2s-token/rotate",
    surface: "s2s",
    serversOnly: true,
  },
  {
    method: "POST",
    path: "/api/tenants/{{tenantId}}/widget-identity/s2s-token/revoke-previous",
    surface: "s2s",
    serversOnly: true,
  },
  { method: "GET", path: "{{tokenListing}}", surface: "s2s", serversOnly: true },
  { method: "GET", path: "/.well-known/jwks.json", surface: "s2s", serversOnly: false },
  { method: "POST", path: "/api/widget/sessions", surface: "widget", serversOnly: false, body: CreateSessionRequest },
  { method: "GET", path: "/api/widget/session", surface: "widget", serversOnly: false },
  { method: "DELETE", path: "/api/widget/session", surface: "widget", serversOnly: false },
  { method: "GET", path: "/api/widget/conversations", surface: "widget", serversOnly: false },
  {
    method: "POST",
    path: "/api/widget/conversations",
    surface: "widget",
    serversOnly: false,
    body: CreateConversationRequest,
  },
  { method: "GET", path: "/api/widget/conversations/{{conversation}}", surface: "widget", serversOnly: false },
  {
    method: "GET",
    path: "/api/widget/conversations/{{conversation}}/messages",
    surface: "widget",
    serversOnly: false,
    query: MessagesQuery,
  },
  {
    method: "POST",
    path: "/api/widget/conversations/{{conversation}}/messages",
    surface: "widget",
    serversOnly: false,
    body: PostMessageRequest,
  },
  { method: "GET", path: "{{widgetScript}}", surface: "widget", serversOnly: false },
  {
    method: "GET",
    path: "/api/tenants/{{tenantId}}/conversations",
    surface: "agent",
    serversOnly: true,
    query: AgentConversationsQuery,
  },
  {
    method: "GET",
    path: "/api/tenants/{{tenantId}}/conversations/{{conversation}}",
    surface: "agent",
    serversOnly: true,
  },
  {
    method: "POST",
    path: "/api/tenants/{{tenantId}}/conversations/{{conversation}}/messages",
    surface: "agent",
    serversOnly: true,
    body: AgentReplyRequest,
  },
  { method: "GET", path: "/api/tenants/{{tenantId}}/visitors/{{visitor}}", surface: "agent", serversOnly: true },
];

/** The pattern of an endpoint's path: each `{{variable}}` one segment (a declared path, exactly itself). */
function patternOf(path: string): RegExp {
  if (path.startsWith("{{")) return new RegExp(`^${path.replace(/[{}]/g, "\\$&")}$`);
  const source = path.split(/\{\{[^}]+\}\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(
    "[^/]+",
  );
  return new RegExp(`^${source}$`);
}

const PATTERNS = ENDPOINTS.map((e) => ({ endpoint: e, pattern: patternOf(e.path) }));

/**
 * The endpoints a request path reaches, whatever its method, or none. A
 * template's variables stand for any one segment; a declared path variable
 * (`{{tokenListing}}`) stands only for itself.
 */
export function endpointsOf(path: string): Endpoint[] {
  // Another tenant's listing is the same endpoint.
  const bare = path.split("?")[0]!.trim().replace("{{foreignTokenListing}}", "{{tokenListing}}");
  const declared = /^\{\{\w+\}\}$/.test(bare);
  const segmented = declared ? bare : bare.replace(/\{\{[^}]+\}\}/g, "x");
  return PATTERNS.filter(({ endpoint, pattern }) =>
    declared ? endpoint.path === bare : !endpoint.path.startsWith("{{") && pattern.test(segmented)
  ).map(({ endpoint }) => endpoint);
}

/**
 * Whether a path is for servers only (it takes the server token or the admin token): no browser may read its
 * answers. A path of a tenant that no endpoint of the contract has (a token listing the target declares) is too.
 */
export function forServersOnly(path: string): boolean {
  const endpoints = endpointsOf(path);
  return endpoints.length ? endpoints.some((e) => e.serversOnly) : /^\/api\/tenants\//.test(path);
}
