/**
 * One node of the deployment: routing, authentication, body validation and minting. Both nodes share the store and
 * keep their own cache of server token lookups, which the store clears on every rotation and revocation.
 */
import { type JWK, SignJWT } from "jose";
import { z } from "zod";
import type { BugName } from "./bugs.ts";
import {
  ADMIN_TOKEN_PATTERN,
  digestKey,
  hashSecret,
  SERVER_TOKEN_PATTERN,
  SITE_KEY_PATTERN,
  TENANT_ID_PATTERN,
} from "./credentials.ts";
import type { CredentialCache, MemoryStore } from "./store.ts";

/** The largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** The lifetime of a visitor token, in seconds. */
export const TOKEN_LIFETIME_SECONDS = 600;
/** How deep metadata may nest, and how large it may be once serialised. */
export const METADATA_MAX_DEPTH = 16;
export const METADATA_MAX_BYTES = 16 * 1024;

/** The key a node signs visitor tokens with. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

/** What a node needs. */
export interface NodeOptions {
  readonly name: string;
  readonly store: MemoryStore;
  readonly signingKey: SigningKey;
  readonly jwks: { readonly keys: readonly JWK[] };
  readonly bugs: ReadonlySet<BugName>;
}

/** An error that reaches the client as `{ error, message }` with its status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const MINT_PATH = "/api/widget/visitor-token";
const JWKS_PATH = "/.well-known/jwks.json";
const OPS_PATH = /^\/api\/tenants\/([^/]+)\/widget-identity\/s2s-token\/(rotate|revoke-previous)$/;
const BEARER = /^Bearer +(\S+)$/i;
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;.*)?$/i;
const SAFE_FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,39}$/;

type Metadata = Record<string, unknown>;

function isPlainObject(value: unknown): value is Metadata {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mintBodySchema(bugs: ReadonlySet<BugName>) {
  const userId = bugs.has("user-id-coerced") ? z.coerce.string() : z.string();
  return z.strictObject({
    siteApiKey: z.string().min(1).max(200),
    externalUserId: userId.min(1).max(256),
    email: z.email().max(254).optional(),
    name: z.string().max(200).optional(),
    provider: z.string().max(64).optional(),
    // z.custom keeps the parsed object itself (a record schema would copy it, losing a "__proto__" key).
    metadata: z.custom<Metadata>(isPlainObject, { message: "must be a JSON object" }).optional(),
  });
}

type MintBody = z.infer<ReturnType<typeof mintBodySchema>>;

/** One node: answers every request the dispatcher hands it. */
export class ServerNode implements CredentialCache {
  readonly name: string;
  readonly #store: MemoryStore;
  readonly #signingKey: SigningKey;
  readonly #jwksBody: string;
  readonly #bugs: ReadonlySet<BugName>;
  readonly #mintBody: ReturnType<typeof mintBodySchema>;
  readonly #cache = new Map<string, { readonly tenantId: string }>();

  constructor(options: NodeOptions) {
    this.name = options.name;
    this.#store = options.store;
    this.#signingKey = options.signingKey;
    this.#jwksBody = JSON.stringify(options.jwks);
    this.#bugs = options.bugs;
    this.#mintBody = mintBodySchema(options.bugs);
    options.store.attach(this);
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
    const path = new URL(request.url).pathname;
    if (path === JWKS_PATH) {
      requireMethod(request, ["GET", "HEAD"]);
      return new Response(request.method === "HEAD" ? null : this.#jwksBody, {
        headers: { "content-type": "application/json", "cache-control": "public, max-age=60" },
      });
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
    throw new ApiError(404, "not_found", "Cannot find the requested resource: no such path");
  }

  async #mint(request: Request): Promise<Response> {
    const action = "mint visitor token";
    const authorization = request.headers.get("authorization");
    const trustSite = authorization === null && this.#bugs.has("missing-token-trusts-site");
    const callerTenant = trustSite ? undefined : this.#authenticateServerToken(authorization, action);
    const parsed = await this.#readJson(request, action);
    const body = this.#validateMintBody(parsed, action);
    const tenantId = this.#resolveSite(body.siteApiKey, callerTenant, action);
    const token = await this.#sign(body, tenantId);
    const expiresIn = this.#bugs.has("expires-in-milliseconds") ? token.lifetime * 1000 : token.lifetime;
    const answer: Record<string, unknown> = { token: token.jwt, expiresIn };
    if (!this.#bugs.has("expires-in-snake-missing")) answer.expires_in = expiresIn;
    return json(200, answer);
  }

  #authenticateServerToken(authorization: string | null, action: string): string {
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
    if (cached !== undefined) return cached.tenantId;
    const record = this.#store.findServerToken(digest);
    if (record === undefined) throw refuse("unknown_token", "the server token is not known");
    if (!this.#store.isActive(record, Date.now())) {
      if (this.#bugs.has("revoked-token-403")) {
        throw new ApiError(403, "revoked_token", `Cannot ${action}: the server token was revoked`);
      }
      throw refuse("revoked_token", "the server token was revoked");
    }
    this.#cache.set(key, { tenantId: record.tenantId });
    return record.tenantId;
  }

  /** The token of a `Bearer` Authorization header, or a 401. */
  #bearerToken(authorization: string | null, action: string): string {
    const challenge = { "www-authenticate": `Bearer realm="setchat"` };
    if (authorization === null || authorization.trim() === "") {
      throw new ApiError(401, "missing_token", `Cannot ${action}: the Authorization header is missing`, challenge);
    }
    if (this.#bugs.has("empty-bearer-crash")) {
      // Splits on the space and assumes a token follows the scheme.
      const [scheme, value] = authorization.split(" ") as [string, string];
      if (scheme.toLowerCase() === "bearer" && value.trim() === "") {
        throw new ApiError(401, "missing_token", `Cannot ${action}: the Bearer token is empty`, challenge);
      }
    }
    const match = BEARER.exec(authorization.trim());
    if (match?.[1] === undefined) {
      throw new ApiError(401, "malformed_token", `Cannot ${action}: the Authorization header is not a Bearer token`, {
        "www-authenticate": `Bearer realm="setchat", error="invalid_request"`,
      });
    }
    return match[1];
  }

  async #readJson(request: Request, action: string): Promise<unknown> {
    if (!JSON_MEDIA_TYPE.test(request.headers.get("content-type") ?? "")) {
      throw new ApiError(415, "unsupported_media_type", `Cannot ${action}: the body must be application/json`);
    }
    const bytes = await this.#readBody(request, action);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ApiError(400, "invalid_json", `Cannot ${action}: the body is not UTF-8 text`);
    }
    if (this.#bugs.has("invalid-json-500")) return JSON.parse(text);
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(400, "invalid_json", `Cannot ${action}: the body is not valid JSON`);
    }
  }

  /** The request body, refused past the limit without reading it all. */
  async #readBody(request: Request, action: string): Promise<Uint8Array> {
    const tooLarge = (): Error =>
      this.#bugs.has("oversized-body-500")
        ? new Error("Request body exceeds the limit")
        : new ApiError(413, "body_too_large", `Cannot ${action}: the body is larger than 1 MiB`);
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > MAX_BODY_BYTES) throw tooLarge();
    if (request.body === null) return new Uint8Array();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = request.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > MAX_BODY_BYTES) {
          await reader.cancel().catch(() => {});
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof ApiError || size > MAX_BODY_BYTES) throw error;
      throw new ApiError(400, "unreadable_body", `Cannot ${action}: the body could not be read`);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }

  #validateMintBody(parsed: unknown, action: string): MintBody {
    if (this.#bugs.has("null-body-crash")) {
      // Looks for unknown fields before validating the shape: Object.keys throws on null.
      const unknown = Object.keys(parsed as object).filter((field) => !this.#mintBody.shape[field as keyof MintBody]);
      if (unknown.length > 0) throw unknownFields(unknown, action);
    }
    if (!isPlainObject(parsed)) {
      throw new ApiError(400, "invalid_body", `Cannot ${action}: the body must be a JSON object`);
    }
    const result = this.#mintBody.safeParse(parsed);
    if (!result.success) {
      const issues = result.error.issues;
      const unknown = issues.flatMap((issue) => issue.code === "unrecognized_keys" ? issue.keys : []);
      if (unknown.length > 0) throw unknownFields(unknown, action);
      const issue = issues[0];
      const field = String(issue?.path[0] ?? "body");
      if (issue?.code === "invalid_type" && !Object.hasOwn(parsed, field)) {
        const status = this.#bugs.has("missing-field-422") ? 422 : 400;
        throw new ApiError(status, "missing_field", `Cannot ${action}: "${field}" is required`);
      }
      throw new ApiError(400, "invalid_field", `Cannot ${action}: "${field}" ${describeIssue(issue)}`);
    }
    const body = result.data;
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

  async #sign(body: MintBody, tenantId: string): Promise<{ jwt: string; lifetime: number }> {
    const bugs = this.#bugs;
    let subject = body.externalUserId;
    if (bugs.has("sub-case-folded")) subject = subject.toLowerCase();
    if (bugs.has("sub-nfc-normalised")) subject = subject.normalize("NFC");
    if (bugs.has("sub-trimmed")) subject = subject.trim();
    const lifetime = bugs.has("lifetime-one-hour") ? 3600 : TOKEN_LIFETIME_SECONDS;
    const nowMs = Date.now();
    const issuedAt = bugs.has("iat-in-milliseconds") ? nowMs : Math.floor(nowMs / 1000);
    const expiresAt = issuedAt + lifetime + (bugs.has("exp-off-by-one") ? 1 : 0);
    const claims: Record<string, unknown> = {};
    if (!bugs.has("tenant-claim-missing")) claims.org = tenantId;
    if (body.email !== undefined) claims.email = body.email;
    if (body.name !== undefined) claims.name = body.name;
    if (body.provider !== undefined) claims.provider = body.provider;
    if (body.metadata !== undefined) {
      claims.metadata = bugs.has("metadata-stringified") ? JSON.stringify(body.metadata) : body.metadata;
    }
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", typ: "JWT", kid: this.#signingKey.kid })
      .setSubject(subject)
      .setAudience(bugs.has("aud-is-tenant") ? tenantId : body.siteApiKey)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(crypto.randomUUID())
      .sign(this.#signingKey.privateKey);
    return { jwt, lifetime };
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
      return json(200, { token, id: record.id, created_at: record.createdAt.toISOString() });
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

function requireMethod(request: Request, allowed: readonly string[]): void {
  if (!allowed.includes(request.method)) {
    throw new ApiError(405, "method_not_allowed", `Cannot answer ${request.method}: this path accepts ${allowed[0]}`, {
      allow: allowed.join(", "),
    });
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    },
  });
}

function errorResponse(error: ApiError): Response {
  return json(error.status, { error: error.code, message: error.message }, error.headers);
}

/** A 400 naming the unknown fields, or counting those whose names are not plain identifiers (never echoed). */
function unknownFields(fields: readonly string[], action: string): ApiError {
  const named = fields.filter((field) => SAFE_FIELD_NAME.test(field)).map((field) => `"${field}"`);
  const others = fields.length - named.length;
  if (others > 0) named.push(`${others} field${others === 1 ? "" : "s"} with an unusual name`);
  return new ApiError(400, "unknown_field", `Cannot ${action}: unknown field ${named.join(", ")}`);
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  switch (issue?.code) {
    case "invalid_type":
      return `must be a ${issue.expected}`;
    case "too_small":
      return "must not be empty";
    case "too_big":
      return "is too long";
    case "invalid_format":
      return "is not a valid email address";
    case "custom":
      return "must be a JSON object";
    default:
      return "is not valid";
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
