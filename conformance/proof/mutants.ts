/**
 * Deliberately broken builds of the reference: each breaks one rule of the
 * contract the way real implementations have, and the suite must catch every
 * one. A mutant changes one part through the seams the reference has for
 * it: the token verifier, the store, the visibility rules, or the HTTP
 * handler around them. None of this code runs in the reference itself.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import * as jose from "jose";
import { LIMITS } from "../../src/contract/common.ts";
import { VisitorTokenClaims } from "../../src/contract/s2s.ts";
import { AppError } from "../../src/domain/app_error.ts";
import * as rules from "../../src/domain/visibility.ts";
import type { HistoryIndex } from "../../src/domain/visibility.ts";
import type { AppDeps, VisibilityPolicy, VisitorTokenVerifier } from "../../src/http/context.ts";
import { verifyVisitorToken } from "../../src/identity/visitor_token.ts";
import { mintVisitorToken } from "../../src/identity/visitor_token.ts";
import type { StartOptions } from "../../src/server.ts";
import type {
  ConversationRecord,
  CredentialRecord,
  SessionRecord,
  SessionWithDevice,
  SiteRecord,
  Store,
} from "../../src/store/store.ts";
import type { ClauseId } from "../clauses.ts";

/**
 * What part of the contract a broken build breaks: `visibility` (who sees
 * which history), `isolation` (sites, tenants and user ids kept apart),
 * `logout`, `custom-data`, `token` (visitor token checks), `rotation`,
 * `s2s` (minting) and `input`. Explore mode must catch the first three
 * kinds on its own.
 */
export const MUTANT_KINDS = [
  "visibility",
  "isolation",
  "logout",
  "custom-data",
  "token",
  "rotation",
  "s2s",
  "input",
] as const;
/** A broken build's kind. */
export type MutantKind = (typeof MUTANT_KINDS)[number];

/** The kind of a broken build that breaks each clause. */
const CLAUSE_KINDS: Partial<Record<ClauseId, MutantKind>> = {
  "TOKEN-ATTACK": "token",
  "TOKEN-TIME": "token",
  "TOKEN-CLAIMS": "token",
  "TOKEN-UNIQUE": "token",
  "WS-BIND": "token",
  "ROT-REVOKE": "rotation",
  "ROT-LIST": "rotation",
  "VIS-NO-MERGE": "visibility",
  "VIS-DEVICE": "visibility",
  "VIS-SEPARATE": "visibility",
  "VIS-404": "visibility",
  "WS-SCOPE": "visibility",
  "VIS-SITE": "isolation",
  "AGENT": "isolation",
  "TOKEN-SUBJECT": "isolation",
  "LOGOUT": "logout",
  "CUSTOM-DATA": "custom-data",
  "S2S-SITE": "s2s",
  "S2S-BODY": "s2s",
  "S2S-MINT": "s2s",
  "S2S-SERVER-ONLY": "s2s",
  "INPUT": "input",
};

/** A broken build's kind, from the clause it breaks. */
export function kindOf(m: Pick<Mutant, "breaks">): MutantKind {
  const kind = CLAUSE_KINDS[m.breaks];
  if (!kind) throw new Error(`no kind for a broken build of ${m.breaks}: add the clause to CLAUSE_KINDS`);
  return kind;
}

/** One broken build. */
export interface Mutant {
  name: string;
  /** The bug, as a reviewer would describe it. */
  bug: string;
  /** The contract clause it breaks. */
  breaks: ClauseId;
  /** How to start it: changes to the reference's dependencies or handler. */
  options(): StartOptions;
}

type Handler = (request: Request) => Promise<Response>;

/** Mints a token for `externalUserId` on `site` with the reference's own key, as a buggy server would. */
async function mintAs(deps: AppDeps, site: SiteRecord, externalUserId: string): Promise<string> {
  return await mintVisitorToken(deps.keys, { externalUserId }, {
    issuer: deps.config.issuer,
    siteApiKey: site.apiKey,
    tenantId: site.tenantId,
    s2sTokenId: (await deps.store.getTenant(site.tenantId))?.currentS2sTokenId ?? "",
    lifetimeSeconds: deps.config.visitorTokenLifetime,
    nowMs: deps.now(),
  });
}

/** A store with some methods replaced, delegating the rest. */
function decorate(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property in overrides) return (overrides as Record<PropertyKey, unknown>)[property];
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A session's device as if no logout had retired it. */
function unretired(found: SessionWithDevice | null): SessionWithDevice | null {
  return found && { ...found, device: found.device && { ...found.device, retiredAt: null } };
}

/** The reference's verifier, for mutants that call it with other options. */
function genuine(deps: AppDeps): VisitorTokenVerifier {
  return (token, options) => verifyVisitorToken(deps.keys, token, options);
}

function withVerifier(make: (deps: AppDeps, real: VisitorTokenVerifier) => VisitorTokenVerifier): () => StartOptions {
  return () => ({ mutate: (deps) => ({ ...deps, verifyVisitorToken: make(deps, genuine(deps)) }) });
}

/** A broken build whose store has some methods replaced; `make` runs once per instance started. */
export function withStore(make: (store: Store, deps: AppDeps) => Partial<Store>): () => StartOptions {
  return () => ({ mutate: (deps) => ({ ...deps, store: decorate(deps.store, make(deps.store, deps)) }) });
}

/** The claims of a token read without any check, or `undefined` when it cannot even be decoded. */
function claimsOf(token: string): VisitorTokenClaims | undefined {
  try {
    return VisitorTokenClaims.parse(jose.decodeJwt(token));
  } catch {
    return undefined;
  }
}

/** The header of a token, or `{}` when it has none. */
function headerOf(token: string): jose.ProtectedHeaderParameters {
  try {
    return jose.decodeProtectedHeader(token);
  } catch {
    return {};
  }
}

/** A request's body once it has all arrived, or `undefined` when it has not within half the reference's deadline. */
async function arrived(request: Request, deadlineMs: number): Promise<Uint8Array | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), deadlineMs / 2));
  try {
    return await Promise.race([request.bytes().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A handler wrapper that sees each POST's JSON body; `rewrite` answers, or leaves it to the reference. */
function wrapJson(
  rewrite: (request: Request, body: unknown, deps: AppDeps, next: Handler) => Promise<Response | undefined>,
): () => StartOptions {
  return () => {
    let deps: AppDeps;
    return {
      mutate: (d) => (deps = d),
      wrap: (next) => async (request) => {
        if (request.method !== "POST") return next(request);
        // A body that stalls, or is not UTF-8, is the reference's to answer as it would: the bug is elsewhere.
        const bytes = await arrived(request.clone(), deps.config.bodyReadTimeoutMs ?? LIMITS.bodyReadMs);
        if (!bytes) return next(request);
        let text: string;
        try {
          text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
        } catch {
          return next(request);
        }
        const again = new Request(request.url, { method: request.method, headers: request.headers, body: text });
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return next(again);
        }
        return (await rewrite(again, body, deps, (r) => next(r))) ?? next(withBody(again, body));
      },
    };
  };
}

function withBody(request: Request, body: unknown): Request {
  return new Request(request.url, { method: request.method, headers: request.headers, body: JSON.stringify(body) });
}

/**
 * A build with other visibility rules and another history query, which sees
 * every conversation created so far: the shape of the classic "history query
 * too wide" bugs.
 */
function withVisibility(
  policy: VisibilityPolicy,
  listHistory: (
    store: Store,
    all: ConversationRecord[],
    h: HistoryIndex,
    limit: number,
  ) => Promise<ConversationRecord[]>,
): () => StartOptions {
  return () => ({
    mutate(deps) {
      const all: ConversationRecord[] = [];
      const store = decorate(deps.store, {
        async createConversation(c, messages) {
          await deps.store.createConversation(c, messages);
          all.push(c);
        },
        listHistory: (h, limit) => listHistory(deps.store, all, h, limit),
      });
      return { ...deps, visibility: policy, store };
    },
  });
}

/** The gallery. */
export const MUTANTS: Mutant[] = [
  {
    name: "accepts-alg-none",
    bug: "Trusts unsigned tokens whose header says `alg: none`",
    breaks: "TOKEN-ATTACK",
    options: withVerifier((_, real) => (token, options) => {
      const claims = claimsOf(token);
      const alg = String(headerOf(token).alg ?? "").toLowerCase();
      return alg === "none" && claims ? Promise.resolve(claims) : real(token, options);
    }),
  },
  {
    name: "skips-signature",
    bug: "Decodes the visitor token without checking its signature",
    breaks: "TOKEN-ATTACK",
    options: withVerifier((_, real) => (token, options) => {
      const claims = claimsOf(token);
      return claims ? Promise.resolve(claims) : real(token, options);
    }),
  },
  {
    name: "trusts-embedded-jwk",
    bug: "Verifies with the key the token embeds in its `jwk` header",
    breaks: "TOKEN-ATTACK",
    options: withVerifier((_, real) => async (token, options) => {
      if (!headerOf(token).jwk) return real(token, options);
      const { payload } = await jose.jwtVerify(token, jose.EmbeddedJWK);
      return VisitorTokenClaims.parse(payload);
    }),
  },
  {
    name: "hmac-key-confusion",
    bug: "Accepts HS256 tokens keyed with its own public key (algorithm confusion)",
    breaks: "TOKEN-ATTACK",
    options: withVerifier((deps, real) => async (token, options) => {
      if (headerOf(token).alg !== "HS256") return real(token, options);
      const secret = new TextEncoder().encode(JSON.stringify(deps.keys.jwks.keys[0]));
      try {
        const { payload } = await jose.jwtVerify(token, secret, { algorithms: ["HS256"] });
        return VisitorTokenClaims.parse(payload);
      } catch {
        return real(token, options);
      }
    }),
  },
  {
    name: "accepts-expired",
    bug: "Checks expiry against the token's own issue time",
    breaks: "TOKEN-TIME",
    options: withVerifier((_, real) => (token, options) => {
      const iat = claimsOf(token)?.iat;
      return real(token, iat === undefined ? options : { ...options, nowMs: (iat + 1) * 1000 });
    }),
  },
  {
    name: "ignores-audience",
    bug: "Does not check that the token was minted for this site",
    breaks: "TOKEN-CLAIMS",
    options: withVerifier((_, real) => (token, options) => {
      const aud = claimsOf(token)?.aud;
      return real(token, aud === undefined ? options : { ...options, siteApiKey: aud });
    }),
  },
  {
    name: "ignores-workspace-binding",
    bug: "Drops the token's workspace, so a token bound to one workspace opens any other",
    breaks: "WS-BIND",
    options: withVerifier((_, real) => async (token, options) => {
      const { workspace: _, ...claims } = await real(token, options);
      return claims;
    }),
  },
  {
    name: "revoked-token-alive",
    bug: "Authenticates server tokens without looking at their revocation",
    breaks: "ROT-REVOKE",
    options: withStore((store) => ({
      async findCredential(hash) {
        const c = await store.findCredential(hash);
        return c && { ...c, status: "active", revokedAt: null };
      },
    })),
  },
  {
    name: "revoke-previous-kills-current",
    bug: "revoke-previous revokes every token, the current one included",
    breaks: "ROT-REVOKE",
    options: withStore((store) => {
      const killed = new Set<string>();
      return {
        async revokePreviousS2sTokens(tenantId, atMs) {
          const revoked = await store.revokePreviousS2sTokens(tenantId, atMs);
          const current = (await store.getTenant(tenantId))?.currentS2sTokenId;
          if (current) killed.add(current);
          return revoked;
        },
        async findCredential(hash) {
          const c = await store.findCredential(hash);
          return c && killed.has(c.id) ? { ...c, status: "revoked", revokedAt: Date.now() } as CredentialRecord : c;
        },
      };
    }),
  },
  {
    name: "plaintext-in-listing",
    bug: "Keeps the rotated token's plaintext and shows it in the token listing",
    breaks: "ROT-LIST",
    options: () => {
      const plaintexts = new Map<string, string>();
      return {
        wrap: (next) => async (request) => {
          const response = await next(request);
          const path = new URL(request.url).pathname;
          if (path.endsWith("/s2s-token/rotate") && response.status === 200) {
            const body = await response.clone().json();
            plaintexts.set(body.tokenInfo.id, body.token);
          }
          if (path.endsWith("/s2s-tokens") && request.method === "GET" && response.status === 200) {
            const body = await response.json();
            for (const t of body.tokens) if (plaintexts.has(t.id)) t.plaintext = plaintexts.get(t.id);
            return new Response(JSON.stringify(body), { status: 200, headers: response.headers });
          }
          return response;
        },
      };
    },
  },
  {
    name: "merges-by-email",
    bug: "Makes a session verified when its typed email matches a verified user's",
    breaks: "VIS-NO-MERGE",
    options: withStore((store) => {
      const byEmail = new Map<string, SessionRecord>();
      return {
        async openSession(input) {
          const email = input.session.displayEmail;
          const known = email ? byEmail.get(email.toLowerCase()) : undefined;
          if (!input.session.verified && known) {
            input = {
              ...input,
              session: {
                ...input.session,
                verified: true,
                externalUserId: known.externalUserId,
                method: "visitor_token",
              },
              history: rules.historyOf({ ...known, deviceId: input.device.id }),
            };
          }
          const opened = await store.openSession(input);
          if (opened.session.verified && email) byEmail.set(email.toLowerCase(), opened.session);
          return opened;
        },
      };
    }),
  },
  {
    name: "trusts-client-user-id",
    bug: "Treats the `externalUserId` a page passes in `user` as the verified user",
    breaks: "VIS-NO-MERGE",
    options: wrapJson(async (request, body, deps, next) => {
      const b = body as { siteApiKey?: string; visitorToken?: string; user?: { externalUserId?: string } };
      if (
        !new URL(request.url).pathname.endsWith("/api/widget/sessions") || b.visitorToken ||
        typeof b.user?.externalUserId !== "string" || !b.user.externalUserId
      ) {
        return undefined;
      }
      const site = await deps.store.findSiteByApiKey(b.siteApiKey ?? "");
      if (!site) return undefined;
      const visitorToken = await mintAs(deps, site, b.user.externalUserId);
      return next(withBody(request, { ...b, visitorToken }));
    }),
  },
  {
    name: "device-history-leak",
    bug: "Lists every non-verified conversation of the site, whatever the device",
    breaks: "VIS-DEVICE",
    options: withVisibility(
      {
        historyOf: rules.historyOf,
        canSee: (v, o) => rules.canSee(v, v.verified ? o : { ...o, deviceId: v.deviceId }),
      },
      (store, all, h, limit) =>
        h.kind !== "device"
          ? store.listHistory(h, limit)
          : Promise.resolve(all.filter((c) => !c.verified && c.siteId === h.siteId && c.workspace === h.workspace)),
    ),
  },
  {
    name: "device-sees-verified-history",
    bug: "Shows a non-verified session everything created on its device, verified conversations included",
    breaks: "VIS-SEPARATE",
    options: withVisibility(
      {
        historyOf: rules.historyOf,
        canSee: (v, o) =>
          rules.canSee(v, o) ||
          (!v.verified && v.siteId === o.siteId && v.workspace === o.workspace && v.deviceId === o.deviceId),
      },
      async (store, all, h, limit) => {
        const own = await store.listHistory(h, limit);
        if (h.kind !== "device") return own;
        return [...own, ...all.filter((c) => c.verified && c.deviceId === h.deviceId && c.workspace === h.workspace)];
      },
    ),
  },
  {
    name: "ignores-workspace",
    bug: "Leaves the workspace out of histories: one history for all workspaces",
    breaks: "WS-SCOPE",
    options: () => {
      const policy: VisibilityPolicy = {
        historyOf: (v) => rules.historyOf({ ...v, workspace: null }),
        canSee: (v, o) => rules.canSee({ ...v, workspace: null }, { ...o, workspace: null }),
      };
      return {
        mutate: (deps) => ({
          ...deps,
          visibility: policy,
          store: decorate(deps.store, {
            createConversation: (c, messages) => deps.store.createConversation({ ...c, workspace: null }, messages),
          }),
        }),
      };
    },
  },
  {
    name: "logout-keeps-device",
    bug: "Logout ends the session but the retired device credential keeps working",
    breaks: "LOGOUT",
    options: withStore((store) => ({
      async findDevice(hash) {
        const d = await store.findDevice(hash);
        return d && { ...d, retiredAt: null };
      },
      async findSessionWithDevice(hash) {
        return unretired(await store.findSessionWithDevice(hash));
      },
    })),
  },
  {
    name: "logout-ends-one-tab",
    bug: "Logout retires the device for new sessions but leaves another tab's session alive",
    breaks: "LOGOUT",
    // Opening a session reads the device alone, and refuses a retired one; a session's requests read it beside it.
    options: withStore((store) => ({
      async findSessionWithDevice(hash) {
        return unretired(await store.findSessionWithDevice(hash));
      },
    })),
  },
  {
    name: "logout-keeps-session",
    bug: "Logout answers 204 but leaves the session alive",
    breaks: "LOGOUT",
    options: withStore(() => ({ endSession: () => Promise.resolve() })),
  },
  {
    name: "client-data-overwrites-verified",
    bug: "Merges the page's customData into the verified custom data",
    breaks: "CUSTOM-DATA",
    options: withStore((store) => ({
      openSession(input) {
        return store.openSession({
          ...input,
          updateVisitor(current, id) {
            const v = input.updateVisitor(current, id);
            return v.verified
              ? {
                ...v,
                verified: { ...v.verified, customData: { ...v.verified.customData, ...v.nonVerifiedCustomData } },
              }
              : v;
          },
        });
      },
    })),
  },
  {
    name: "existence-leak-403",
    bug: "Answers 403 for a conversation that exists but is out of sight, 404 only for missing ones",
    breaks: "VIS-404",
    options: () => {
      let deps: AppDeps;
      return {
        mutate: (d) => (deps = d),
        wrap: (next) => async (request) => {
          const response = await next(request);
          const id = /\/api\/widget\/conversations\/([^/]+)/.exec(new URL(request.url).pathname)?.[1];
          if (response.status !== 404 || !id || !(await deps.store.getConversation(id))) return response;
          const problem = new AppError("conversation_not_found", "Cannot open this conversation: it is not yours");
          return new Response(JSON.stringify({ code: "forbidden", status: 403, detail: problem.message }), {
            status: 403,
            headers: { "content-type": "application/problem+json" },
          });
        },
      };
    },
  },
  {
    name: "malformed-json-500",
    bug: "Lets a JSON parse error escape as a 500",
    breaks: "INPUT",
    options: () => {
      let deps: AppDeps;
      return {
        mutate: (d) => (deps = d),
        wrap: (next) => async (request) => {
          if (request.method !== "POST" || !(request.headers.get("content-type") ?? "").includes("json")) {
            return next(request);
          }
          // A body that stalls is the reference's to answer: this bug is in parsing what arrived.
          const bytes = await arrived(request.clone(), deps.config.bodyReadTimeoutMs ?? LIMITS.bodyReadMs);
          if (!bytes) return next(request);
          const text = new TextDecoder().decode(bytes);
          try {
            JSON.parse(text);
          } catch {
            return new Response(JSON.stringify({ error: "SyntaxError: Unexpected end of JSON input" }), {
              status: 500,
            });
          }
          return next(
            new Request(request.url, { method: request.method, headers: request.headers, body: new Uint8Array(bytes) }),
          );
        },
      };
    },
  },
  {
    name: "mints-for-foreign-site",
    bug: "Checks that the site exists, not that it belongs to the server token's tenant",
    breaks: "S2S-SITE",
    options: wrapJson(async (request, body, deps, next) => {
      if (!new URL(request.url).pathname.endsWith("/api/widget/visitor-token")) return undefined;
      const response = await next(withBody(request, body));
      if (response.status !== 403) return response;
      const b = body as { siteApiKey?: string; externalUserId?: string };
      const site = await deps.store.findSiteByApiKey(b.siteApiKey ?? "");
      if (!site || !b.externalUserId) return response;
      const token = await mintAs(deps, site, b.externalUserId);
      return new Response(JSON.stringify({ token, expiresIn: 300, expires_in: 300, expiresInLabel: "5m" }), {
        status: 200,
        headers: { "content-type": "application/json", "cache-control": "no-store" },
      });
    }),
  },
  {
    name: "drops-unknown-fields",
    bug: "Silently drops unknown fields (`custom_data`) instead of refusing them",
    breaks: "S2S-BODY",
    options: wrapJson((request, body, _, next) => {
      if (!new URL(request.url).pathname.endsWith("/api/widget/visitor-token") || typeof body !== "object" || !body) {
        return Promise.resolve(undefined);
      }
      const known = ["siteApiKey", "externalUserId", "email", "name", "provider", "metadata", "workspace"];
      const kept = Object.fromEntries(Object.entries(body).filter(([k]) => known.includes(k)));
      return next(withBody(request, kept));
    }),
  },
  {
    name: "cacheable-tokens",
    bug: "Sends minted and rotated tokens without `Cache-Control: no-store`",
    breaks: "S2S-MINT",
    options: () => ({
      wrap: (next) => async (request) => {
        const response = await next(request);
        const headers = new Headers(response.headers);
        headers.delete("cache-control");
        return new Response(response.body, { status: response.status, headers });
      },
    }),
  },
  {
    name: "cors-everywhere",
    bug: "Lets browsers call the server-to-server endpoints (CORS on every path)",
    breaks: "S2S-SERVER-ONLY",
    options: () => ({
      wrap: (next) => async (request) => {
        const response = request.method === "OPTIONS" ? new Response(null, { status: 204 }) : await next(request);
        const headers = new Headers(response.headers);
        headers.set("access-control-allow-origin", "*");
        return new Response(response.body, { status: response.status, headers });
      },
    }),
  },
  {
    name: "reaches-across-sites",
    bug: "Opens a verified user's conversation by id from any site of the tenant, checking the user but not the site",
    breaks: "VIS-SITE",
    options: withVisibility(
      {
        historyOf: rules.historyOf,
        canSee: (v, o) => rules.canSee(v.verified ? { ...v, siteId: o.siteId } : v, o),
      },
      (store, _, h, limit) => store.listHistory(h, limit),
    ),
  },
  {
    name: "agent-reads-any-tenant",
    bug: "The agent API finds a conversation by id alone, so one tenant reads and answers another's",
    breaks: "AGENT",
    options: () => {
      // The tenant of the path, for the store calls one request makes.
      const asTenant = new AsyncLocalStorage<string>();
      return {
        mutate: (deps) => ({
          ...deps,
          store: decorate(deps.store, {
            async getConversation(id) {
              const c = await deps.store.getConversation(id);
              const tenantId = asTenant.getStore();
              return c && tenantId ? { ...c, tenantId } : c;
            },
            async getVisitor(id) {
              const v = await deps.store.getVisitor(id);
              const tenantId = asTenant.getStore();
              return v && tenantId ? { ...v, tenantId } : v;
            },
          }),
        }),
        wrap: (next) => (request, info) => {
          const tenantId = /^\/api\/tenants\/([^/]+)\/(conversations|visitors)\//.exec(new URL(request.url).pathname)
            ?.[1];
          return tenantId ? asTenant.run(tenantId, () => next(request, info)) : next(request, info);
        },
      };
    },
  },
  {
    name: "user-ids-case-insensitive",
    bug: 'Compares verified user ids without case, so "Ada" and "ada" share one history',
    breaks: "TOKEN-SUBJECT",
    options: withVerifier((_, real) => async (token, options) => {
      const claims = await real(token, options);
      return { ...claims, sub: claims.sub.toLowerCase() };
    }),
  },
  {
    name: "same-jti",
    bug: "Gives every visitor token the same `jti`",
    breaks: "TOKEN-UNIQUE",
    options: () => {
      let deps: AppDeps;
      return {
        mutate: (d) => (deps = d),
        wrap: (next) => async (request, info) => {
          const response = await next(request, info);
          if (!new URL(request.url).pathname.endsWith("/api/widget/visitor-token") || response.status !== 200) {
            return response;
          }
          const body = await response.json();
          const { kid, privateKey } = deps.keys.current;
          body.token = await new jose.SignJWT({ ...jose.decodeJwt(body.token), jti: "jti-0000" })
            .setProtectedHeader({ ...jose.decodeProtectedHeader(body.token), kid } as jose.JWTHeaderParameters)
            .sign(privateKey);
          return new Response(JSON.stringify(body), { status: 200, headers: response.headers });
        },
      };
    },
  },
];
