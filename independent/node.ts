/**
 * One node of the deployment: routing, authentication, body validation and minting, and the widget and agent
 * surfaces. Both nodes share the stores and keep their own cache of server token lookups, which the store clears on
 * every rotation and revocation.
 */
import type { JWK } from "jose";
import { z } from "zod";
import { AgentApi } from "./agent_api.ts";
import type { BugName } from "./bugs.ts";
import type { ChatStore } from "./chat_store.ts";
import {
  ADMIN_TOKEN_PATTERN,
  digestKey,
  hashSecret,
  SERVER_TOKEN_PATTERN,
  SITE_KEY_PATTERN,
  TENANT_ID_PATTERN,
} from "./credentials.ts";
import {
  ApiError,
  errorResponse,
  isPlainObject,
  json,
  readJson,
  requireMethod,
  unknownFields,
  validate,
} from "./http.ts";
import type { CredentialCache, MemoryStore } from "./store.ts";
import type { SurfaceContext } from "./surface.ts";
import { publicKeys, type SigningKey, signVisitorToken } from "./visitor_tokens.ts";
import { WidgetApi } from "./widget_api.ts";

export { ApiError } from "./http.ts";
export type { SigningKey } from "./visitor_tokens.ts";

/** How deep metadata may nest, and how large it may be once serialised. */
export const METADATA_MAX_DEPTH = 16;
export const METADATA_MAX_BYTES = 16 * 1024;

/** What a node needs. */
export interface NodeOptions {
  readonly name: string;
  readonly store: MemoryStore;
  readonly chats: ChatStore;
  readonly signingKey: SigningKey;
  readonly jwks: { readonly keys: readonly JWK[] };
  /** The discovery document, or none (the node then answers 404 there). */
  readonly discovery: Record<string, unknown> | null;
  readonly bugs: ReadonlySet<BugName>;
}

const MINT_PATH = "/api/widget/visitor-token";
const JWKS_PATH = "/.well-known/jwks.json";
const DISCOVERY_PATH = "/.well-known/setchat.json";
const OPS_PATH = /^\/api\/tenants\/([^/]+)\/widget-identity\/s2s-token\/(rotate|revoke-previous)$/;
const BEARER = /^Bearer +(\S+)$/i;

type Metadata = Record<string, unknown>;

function mintBodySchema(bugs: ReadonlySet<BugName>) {
  const userId = bugs.has("user-id-coerced") ? z.coerce.string() : z.string();
  return z.strictObject({
    siteApiKey: z.string().min(1).max(200),
    externalUserId: userId.min(bugs.has("empty-user-id-minted") ? 0 : 1).max(256),
    email: z.email().max(254).optional(),
    name: z.string().max(200).optional(),
    provider: z.string().max(64).optional(),
    // z.custom keeps the parsed object itself (a record schema would copy it, losing a "__proto__" key).
    metadata: z.custom<Metadata>(isPlainObject, { message: "must be a JSON object" }).optional(),
    workspace: z.strictObject({ externalId: z.string().min(1).max(100) }).optional(),
  });
}

type MintBody = z.infer<ReturnType<typeof mintBodySchema>>;

/** One node: answers every request the dispatcher hands it. */
export class ServerNode implements CredentialCache {
  readonly name: string;
  readonly #store: MemoryStore;
  readonly #signingKey: SigningKey;
  readonly #jwksBody: string;
  readonly #discovery: Record<string, unknown> | null;
  readonly #bugs: ReadonlySet<BugName>;
  readonly #mintBody: ReturnType<typeof mintBodySchema>;
  readonly #cache = new Map<string, { readonly tenantId: string; readonly tokenId: string }>();
  readonly #widget: WidgetApi;
  readonly #agent: AgentApi;

  constructor(options: NodeOptions) {
    this.name = options.name;
    this.#store = options.store;
    this.#signingKey = options.signingKey;
    this.#jwksBody = JSON.stringify(options.jwks);
    this.#discovery = options.discovery;
    this.#bugs = options.bugs;
    this.#mintBody = mintBodySchema(options.bugs);
    options.store.attach(this);
    let keys: Promise<ReadonlyMap<string, CryptoKey>> | undefined;
    const context: SurfaceContext = {
      chats: options.chats,
      store: options.store,
      bugs: options.bugs,
      keys: () => keys ??= publicKeys(options.jwks.keys),
      authenticateAdmin: (authorization, action) => this.#authenticateAdmin(authorization, action),
    };
    this.#widget = new WidgetApi(context);
    this.#agent = new AgentApi(context);
  }

  /** Forgets every cached server token lookup. */
  clearCredentialCache(): void {
    this.#cache.clear();
  }

  /** Answers one request; no input reaches a 5xx unless a planted bug lets it. */
  async handle(request: Request): Promise<Response> {
    let response: Response;
    try {
      response = await this.#route(request);
    } catch (error) {
      response = error instanceof ApiError
        ? errorResponse(error)
        : errorResponse(new ApiError(500, "internal_error", "Cannot answer the request: an unexpected error occurred"));
    }
    response.headers.set("x-served-by", this.name);
    return response;
  }

  async #route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === JWKS_PATH) {
      requireMethod(request, ["GET", "HEAD"]);
      return new Response(request.method === "HEAD" ? null : this.#jwksBody, {
        headers: { "content-type": "application/json", "cache-control": "public, max-age=60" },
      });
    }
    if (path === DISCOVERY_PATH && this.#discovery !== null) {
      requireMethod(request, ["GET", "HEAD"]);
      return json(200, this.#discovery, { "access-control-allow-origin": "*", "cache-control": "max-age=60" });
    }
    if (path === MINT_PATH) {
      requireMethod(request, ["POST"]);
      return await this.#mint(request);
    }
    const ops = OPS_PATH.exec(path);
    if (ops !== null) {
      requireMethod(request, ["POST"]);
      return this.#ops(request, ops[1] ?? "", ops[2] === "rotate" ? "rotate" : "revoke-previous");
    }
    if (WidgetApi.owns(path)) return await this.#widget.handle(request, url);
    if (AgentApi.owns(path)) return await this.#agent.handle(request, url);
    throw new ApiError(404, "not_found", "Cannot find the requested resource: no such path");
  }

  async #mint(request: Request): Promise<Response> {
    const action = "mint visitor token";
    const authorization = request.headers.get("authorization");
    const trustSite = authorization === null && this.#bugs.has("missing-token-trusts-site");
    const caller = trustSite ? undefined : this.#authenticateServerToken(authorization, action);
    const parsed = await readJson(request, action, this.#bugs);
    const body = this.#validateMintBody(parsed, action);
    const tenantId = this.#resolveSite(body.siteApiKey, caller?.tenantId, action);
    const bugs = this.#bugs;
    let subject = body.externalUserId;
    if (bugs.has("sub-case-folded")) subject = subject.toLowerCase();
    if (bugs.has("sub-nfc-normalised")) subject = subject.normalize("NFC");
    if (bugs.has("sub-trimmed")) subject = subject.trim();
    const token = await signVisitorToken(this.#signingKey, {
      subject,
      site: body.siteApiKey,
      tenantId,
      serverTokenId: caller?.tokenId ?? "",
      email: body.email,
      name: body.name,
      provider: body.provider,
      metadata: body.metadata,
      workspace: body.workspace?.externalId,
    }, bugs);
    const expiresIn = this.#bugs.has("expires-in-milliseconds") ? token.lifetime * 1000 : token.lifetime;
    const answer: Record<string, unknown> = { token: token.jwt, expiresIn };
    if (!this.#bugs.has("expires-in-snake-missing")) answer.expires_in = expiresIn;
    return json(200, answer);
  }

  #authenticateServerToken(authorization: string | null, action: string): { tenantId: string; tokenId: string } {
    const token = this.#bearerToken(authorization, action);
    const refuse = (code: string, detail: string): ApiError => {
      const quoted = this.#bugs.has("error-quotes-token") ? ` (${token})` : "";
      let challenge = `Bearer realm="setchat", error="invalid_token"`;
      if (this.#bugs.has("www-authenticate-echo")) challenge += `, error_description="refused ${token}"`;
      return new ApiError(401, code, `Cannot ${action}: ${detail}${quoted}`, { "www-authenticate": challenge });
    };
    const presented = this.#bugs.has("server-token-case-folded") ? token.toLowerCase() : token;
    if (!SERVER_TOKEN_PATTERN.test(presented)) throw refuse("malformed_token", "the server token is malformed");
    const digest = this.#store.digestServerToken(presented);
    const key = digestKey(digest);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const record = this.#store.findServerToken(digest);
    if (record === undefined) throw refuse("unknown_token", "the server token is not known");
    if (!this.#store.isActive(record, Date.now())) {
      if (this.#bugs.has("revoked-token-403")) {
        throw new ApiError(403, "revoked_token", `Cannot ${action}: the server token was revoked`);
      }
      throw refuse("revoked_token", "the server token was revoked");
    }
    const found = { tenantId: record.tenantId, tokenId: record.id };
    this.#cache.set(key, found);
    return found;
  }

  /** The token of a `Bearer` Authorization header, or a 401. */
  #bearerToken(authorization: string | null, action: string): string {
    const challenge = { "www-authenticate": `Bearer realm="setchat"` };
    if (authorization === null || authorization === "") {
      throw new ApiError(401, "missing_token", `Cannot ${action}: the Authorization header is missing`, challenge);
    }
    if (this.#bugs.has("empty-bearer-crash")) {
      // Splits on the space and assumes a token follows the scheme.
      const [scheme, value] = authorization.split(" ") as [string, string];
      if (scheme.toLowerCase() === "bearer" && value.trim() === "") {
        throw new ApiError(401, "missing_token", `Cannot ${action}: the Bearer token is empty`, challenge);
      }
    }
    // Fetch has stripped the spaces and tabs around the value; any other white space is part of it.
    const match = BEARER.exec(authorization);
    if (match?.[1] === undefined) {
      throw new ApiError(401, "malformed_token", `Cannot ${action}: the Authorization header is not a Bearer token`, {
        "www-authenticate": `Bearer realm="setchat", error="invalid_request"`,
      });
    }
    return match[1];
  }

  #validateMintBody(parsed: unknown, action: string): MintBody {
    if (this.#bugs.has("null-body-crash")) {
      // Looks for unknown fields before validating the shape: Object.keys throws on null.
      const unknown = Object.keys(parsed as object).filter((field) => !this.#mintBody.shape[field as keyof MintBody]);
      if (unknown.length > 0) throw unknownFields(unknown, action);
    }
    let body: MintBody;
    try {
      body = validate(this.#mintBody, parsed, action);
    } catch (error) {
      if (error instanceof ApiError && error.code === "missing_field" && this.#bugs.has("missing-field-422")) {
        throw new ApiError(422, error.code, error.message);
      }
      throw error;
    }
    if (body.metadata !== undefined) {
      const depth = this.#bugs.has("metadata-recursive-walk")
        ? recursiveDepth(body.metadata)
        : boundedDepth(body.metadata, METADATA_MAX_DEPTH);
      if (depth > METADATA_MAX_DEPTH) {
        throw new ApiError(400, "invalid_field", `Cannot ${action}: "metadata" is nested too deeply`);
      }
      if (new TextEncoder().encode(JSON.stringify(body.metadata)).byteLength > METADATA_MAX_BYTES) {
        throw new ApiError(400, "invalid_field", `Cannot ${action}: "metadata" is larger than 16 KiB`);
      }
    }
    return body;
  }

  /** The tenant the token is minted for, once the site is known to belong to the caller's tenant. */
  #resolveSite(siteKey: string, callerTenant: string | undefined, action: string): string {
    let siteTenant: string | undefined;
    if (this.#bugs.has("site-prefix-match")) {
      for (const [key, tenantId] of this.#store.sites()) {
        if (siteKey.startsWith(key)) siteTenant = tenantId;
      }
    } else if (SITE_KEY_PATTERN.test(siteKey)) {
      siteTenant = this.#store.siteTenant(siteKey);
    }
    const foreign = siteTenant !== callerTenant && callerTenant !== undefined &&
      !this.#bugs.has("foreign-site-minted");
    if (siteTenant === undefined || foreign) {
      // One answer for unknown and foreign sites: the caller learns nothing about other tenants.
      throw new ApiError(400, "unknown_site", `Cannot ${action}: the site is not one of this tenant's sites`);
    }
    return callerTenant ?? siteTenant;
  }

  #ops(request: Request, rawTenantId: string, operation: "rotate" | "revoke-previous"): Response {
    const action = operation === "rotate" ? "rotate server token" : "revoke previous server tokens";
    // The id is compared as sent: a valid id has nothing to decode.
    const tenantId = this.#bugs.has("path-id-decode-crash") ? decodeURIComponent(rawTenantId) : rawTenantId;
    const callerTenant = this.#authenticateAdmin(request.headers.get("authorization"), action);
    const target = TENANT_ID_PATTERN.test(tenantId) ? this.#store.tenant(tenantId) : undefined;
    if (target === undefined || (target.id !== callerTenant && !this.#bugs.has("admin-any-tenant"))) {
      // Another tenant's id answers like an unknown one.
      throw new ApiError(404, "tenant_not_found", `Cannot ${action}: no such tenant for this admin token`);
    }
    if (operation === "rotate") {
      const { token, record } = this.#store.rotateServerToken(target.id, this);
      return json(200, { credential: { id: record.id, secret: token, createdAt: record.createdAt.toISOString() } });
    }
    const outcome = this.#store.revokePreviousServerTokens(target.id, this);
    if (outcome.revoked === 0 && this.#bugs.has("revoke-previous-not-idempotent")) {
      throw new ApiError(409, "nothing_to_revoke", `Cannot ${action}: no previous server token is active`);
    }
    const answer: Record<string, unknown> = { revoked: outcome.revoked };
    if (outcome.currentPlaintext !== undefined) answer.current_token = outcome.currentPlaintext;
    return json(200, answer);
  }

  /** The tenant of the admin token in the Authorization header, or a 401. */
  #authenticateAdmin(authorization: string | null, action: string): string {
    const token = this.#bearerToken(authorization, action);
    const refuse = (code: string, detail: string): ApiError => {
      const quoted = this.#bugs.has("ops-error-quotes-admin-token") ? ` (${token})` : "";
      return new ApiError(401, code, `Cannot ${action}: ${detail}${quoted}`, {
        "www-authenticate": `Bearer realm="setchat", error="invalid_token"`,
      });
    };
    if (!ADMIN_TOKEN_PATTERN.test(token)) throw refuse("malformed_token", "the admin token is malformed");
    const tenant = this.#store.findTenantByAdminDigest(hashSecret(token));
    if (tenant === undefined) throw refuse("unknown_token", "the admin token is not known");
    return tenant.id;
  }
}

/** The nesting depth of a JSON value, walking with an explicit stack and stopping past the limit. */
function boundedDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== "object" || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** The nesting depth of a JSON value, found recursively (the planted bug's way). */
function recursiveDepth(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, recursiveDepth(child));
  return deepest + 1;
}
