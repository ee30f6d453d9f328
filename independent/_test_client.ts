/** Test helpers: plain HTTP calls to a running independent server, and checks of the tokens it mints. */
import { createLocalJWKSet, decodeJwt, type JWTPayload, jwtVerify } from "jose";
import type { IndependentServer } from "./server.ts";

/** One HTTP exchange, its body read as text and, when it is JSON, parsed. */
export interface Exchange {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

/** What a request may carry. */
export interface CallOptions {
  method?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  bearer?: string;
  /** A raw Authorization header, instead of `bearer`. */
  authorization?: string;
  /** Serialised as JSON. */
  json?: unknown;
  /** Sent as is. */
  raw?: BodyInit;
  contentType?: string;
}

/** Sends one request to the server. */
export async function call(server: IndependentServer, path: string, options: CallOptions = {}): Promise<Exchange> {
  const headers = new Headers();
  if (options.bearer !== undefined) headers.set("authorization", `Bearer ${options.bearer}`);
  if (options.authorization !== undefined) headers.set("authorization", options.authorization);
  let body: BodyInit | null = null;
  if (options.json !== undefined) body = JSON.stringify(options.json);
  if (options.raw !== undefined) body = options.raw;
  if (body !== null) headers.set("content-type", options.contentType ?? "application/json");
  const response = await fetch(`${server.url}${path}`, { method: options.method ?? "POST", headers, body });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null) parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON: the text is still there.
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** Mints a visitor token for the first tenant's first site, with the given overrides. */
export function mint(
  server: IndependentServer,
  fields: Record<string, unknown> = {},
  bearer: string = server.env.SETCHAT_SERVER_TOKEN,
): Promise<Exchange> {
  return call(server, "/api/widget/visitor-token", {
    bearer,
    json: { siteApiKey: server.env.SETCHAT_SITE_API_KEY, externalUserId: "user-1", ...fields },
  });
}

/** Mints with the given server token and tells whether it was accepted. */
export async function mints(server: IndependentServer, bearer: string): Promise<boolean> {
  return (await mint(server, {}, bearer)).status === 200;
}

/** Mints twice in a row: with a round-robin dispatcher, one request per node. */
export async function mintOnBothNodes(server: IndependentServer, bearer: string): Promise<number[]> {
  const first = await mint(server, {}, bearer);
  const second = await mint(server, {}, bearer);
  return [first.status, second.status];
}

/** Calls rotate or revoke-previous, by default for the first tenant with its admin token. */
export function ops(
  server: IndependentServer,
  operation: "rotate" | "revoke-previous",
  tenantId: string = server.env.SETCHAT_TENANT_ID,
  adminToken: string = server.env.SETCHAT_ADMIN_TOKEN,
): Promise<Exchange> {
  return call(server, `/api/tenants/${tenantId}/widget-identity/s2s-token/${operation}`, { bearer: adminToken });
}

/** Rotates the first tenant's server token and returns the new plaintext. */
export async function rotate(server: IndependentServer): Promise<string> {
  const answer = await ops(server, "rotate");
  const secret = (answer.body.credential as { secret?: unknown } | undefined)?.secret;
  if (answer.status !== 200 || typeof secret !== "string") {
    throw new Error(`Cannot rotate server token: answered ${answer.status}`);
  }
  return secret;
}

/** Verifies a visitor token against the server's published JWKS and returns its claims. */
export async function verify(server: IndependentServer, jwt: string, audience?: string): Promise<JWTPayload> {
  const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
  const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
    algorithms: ["ES256"],
    typ: "JWT",
    audience: audience ?? server.env.SETCHAT_SITE_API_KEY,
  });
  return payload;
}

/** The claims of a minted token, unverified. */
export function claims(exchange: Exchange): JWTPayload {
  if (typeof exchange.body.token !== "string") throw new Error(`Cannot read claims: answered ${exchange.status}`);
  return decodeJwt(exchange.body.token);
}

/** Tells whether any header or the body of an exchange holds the secret. */
export function echoes(exchange: Exchange, secret: string): boolean {
  if (exchange.text.includes(secret)) return true;
  for (const [, value] of exchange.headers) if (value.includes(secret)) return true;
  return false;
}

/** A well-formed server token that no tenant holds. */
export function unknownServerToken(): string {
  return `sk_${"0123456789abcdef".repeat(4)}`;
}

/** A mint body whose metadata nests far deeper than any stack. */
export function deepMetadataBody(server: IndependentServer, depth: number): string {
  const site = JSON.stringify(server.env.SETCHAT_SITE_API_KEY);
  return `{"siteApiKey":${site},"externalUserId":"deep","metadata":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
}

/** Opens a widget session on the first site (or the body's), returning the answer. */
export function openSession(server: IndependentServer, body: Record<string, unknown> = {}): Promise<Exchange> {
  return call(server, "/api/widget/sessions", { json: { siteApiKey: server.env.SETCHAT_SITE_API_KEY, ...body } });
}

/** A visitor token minted for a user of the first site (or the fields' site), with the given fields. */
export async function visitorToken(server: IndependentServer, fields: Record<string, unknown> = {}): Promise<string> {
  const answer = await mint(server, fields);
  if (typeof answer.body.token !== "string") throw new Error(`Cannot mint: answered ${answer.status}`);
  return answer.body.token;
}

/** Opens a session and starts a chat in it; returns the session token, device credential and conversation id. */
export async function chat(
  server: IndependentServer,
  body: Record<string, unknown> = {},
): Promise<{ session: string; device: string; conversation: string; message: string }> {
  const opened = await openSession(server, body);
  const session = String(opened.body.sessionToken);
  const started = await call(server, "/api/widget/conversations", {
    bearer: session,
    json: { kind: "chat", text: "Hello" },
  });
  const messages = started.body.messages as { id: string }[];
  return {
    session,
    device: String(opened.body.deviceCredential),
    conversation: String((started.body.conversation as { id: string }).id),
    message: messages[0]!.id,
  };
}

/** The conversation ids a session's history lists. */
export async function history(server: IndependentServer, session: string): Promise<string[]> {
  const answer = await call(server, "/api/widget/conversations", { method: "GET", bearer: session });
  return (answer.body.conversations as { id: string }[]).map((c) => c.id);
}
