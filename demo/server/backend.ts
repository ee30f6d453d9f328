/**
 * The demo's backend: it plays the customer ("Acme"), not SetChat. It signs
 * people in with a cookie, mints their visitor tokens through the real
 * server-to-server endpoint with the tenant's token, and proxies the agent
 * console to the agent API with the admin token. No token of either kind
 * ever reaches the browser.
 */
import { z } from "zod";

/** What the demo needs to act as the customer. */
export interface DemoCredentials {
  tenantId: string;
  siteApiKey: string;
  serverToken: string;
  adminToken: string;
}

/** The demo's users, as Acme's own user table. */
export const DEMO_USERS = [
  { id: "user-ada", name: "Ada Lovelace", email: "ada@acme.test", plan: "enterprise", role: "Admin" },
  { id: "user-grace", name: "Grace Hopper", email: "grace@acme.test", plan: "pro", role: "Engineer" },
  { id: "user-alan", name: "Alan Turing", email: "alan@acme.test", plan: "free", role: "Analyst" },
] as const;

/** Acme's workspaces. */
export const DEMO_WORKSPACES = [
  { id: "acme-eu", name: "Acme Europe" },
  { id: "acme-us", name: "Acme US" },
] as const;

/** Static files of the demo, by URL path. */
export type DemoAssets = Map<string, { body: string; type: string }>;

/** Options of {@linkcode demoHandler}. */
export interface DemoOptions {
  /** Where this server answers, for the demo's server-to-server calls. */
  apiUrl: () => string;
  /** The credentials, or `null` when they are unknown (the demo then explains how to fix it). */
  credentials: () => Promise<DemoCredentials | null>;
  assets: DemoAssets;
}

const COOKIE = "acme_user";
const LoginBody = z.strictObject({ userId: z.enum(DEMO_USERS.map((u) => u.id) as [string, ...string[]]) });
const TokenBody = z.strictObject({ workspace: z.string().max(128).optional() });
const ReplyBody = z.strictObject({ text: z.string().trim().min(1).max(4000) });
const LogoutBody = z.strictObject({});

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

function currentUser(request: Request) {
  const cookie = request.headers.get("cookie") ?? "";
  const id = /(?:^|;\s*)acme_user=([\w-]+)/.exec(cookie)?.[1];
  return DEMO_USERS.find((u) => u.id === id) ?? null;
}

async function readBody<T>(request: Request, schema: z.ZodType<T>): Promise<T | Response> {
  const parsed = schema.safeParse(await request.json().catch(() => undefined));
  return parsed.success ? parsed.data : json(400, { error: "Cannot read the request", issues: parsed.error.issues });
}

/** Whether an address is this machine's. */
export function isLoopback(hostname: string): boolean {
  return hostname === "::1" || hostname === "localhost" || hostname.startsWith("127.") ||
    hostname === "::ffff:127.0.0.1";
}

/** A loopback host and optional port, as a `Host` header or an origin's authority carries them. */
const LOOPBACK_AUTHORITY = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(?::(\d{1,5}))?$/i;

/** The port an authority names, with HTTP's default. */
function portOf(match: RegExpExecArray): string {
  return match[2] ?? "80";
}

/**
 * Why a request to the demo's API must be refused, or `null`. Browsers are
 * the threat here, not the network: a page elsewhere can make a browser on
 * this machine send requests to it. So the `Host` must be a loopback name
 * (a DNS rebinding attack arrives on this socket under the attacker's name),
 * an `Origin`, when sent, must be this server's own loopback origin, and a
 * write must be JSON (a cross-site form or a `text/plain` fetch cannot send
 * `application/json` without a preflight, which this API never grants).
 */
export function demoRequestRefusal(request: Request): Response | null {
  const host = request.headers.get("host") ?? new URL(request.url).host;
  const hostMatch = LOOPBACK_AUTHORITY.exec(host);
  if (!hostMatch) {
    return json(403, {
      error: `The demo's backend answers loopback names only (localhost, 127.0.0.1, [::1]), not "${host}"`,
    });
  }
  const origin = request.headers.get("origin");
  if (origin !== null) {
    const originMatch = origin.startsWith("http://") ? LOOPBACK_AUTHORITY.exec(origin.slice("http://".length)) : null;
    if (!originMatch || portOf(originMatch) !== portOf(hostMatch)) {
      return json(403, { error: `The demo's backend answers its own pages only, not a page of "${origin}"` });
    }
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return json(403, { error: `The demo's backend answers its own pages only, not a ${site} request` });
  }
  const type = request.headers.get("content-type") ?? "";
  if (request.method !== "GET" && request.method !== "HEAD" && !/^application\/json\s*(;|$)/i.test(type)) {
    return json(415, {
      error: `The demo's backend takes JSON writes only: Content-Type is ${type ? `"${type}"` : "missing"}`,
    });
  }
  return null;
}

/**
 * A handler for the demo's paths; answers `null` for any other path. Its API
 * acts with the tenant's tokens, so it answers clients on this machine only,
 * whatever address the server listens on, and only the demo's own pages in
 * a browser ({@linkcode demoRequestRefusal}).
 */
export function demoHandler(
  options: DemoOptions,
): (request: Request, client?: { hostname: string }) => Promise<Response | null> {
  function missing(): Response {
    return json(503, {
      error: "The demo does not know the tenant's tokens. They are written to dev.env on the first start; " +
        "put the current SETCHAT_SERVER_TOKEN and SETCHAT_ADMIN_TOKEN there, or delete the data directory to start over.",
    });
  }

  async function callApi(token: string, method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${options.apiUrl()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return new Response(res.body, {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "application/json", "cache-control": "no-store" },
    });
  }

  return async (request, client) => {
    const url = new URL(request.url);
    const path = url.pathname;
    const asset = options.assets.get(path);
    if (asset && (request.method === "GET" || request.method === "HEAD")) {
      const headers = { "content-type": asset.type, "cache-control": "no-cache" };
      if (request.method === "GET") return new Response(asset.body, { headers });
      const length = new TextEncoder().encode(asset.body).byteLength;
      return new Response(null, { headers: { ...headers, "content-length": String(length) } });
    }
    if (!path.startsWith("/demo/api/")) return null;
    if (client && !isLoopback(client.hostname)) {
      return json(403, { error: "The demo's backend acts with the tenant's tokens: it answers this machine only" });
    }
    const refusal = demoRequestRefusal(request);
    if (refusal) return refusal;
    const route = `${request.method} ${path.slice("/demo/api".length)}`;

    if (route === "GET /me") {
      const creds = await options.credentials();
      return json(200, {
        user: currentUser(request),
        users: DEMO_USERS,
        workspaces: DEMO_WORKSPACES,
        siteApiKey: creds?.siteApiKey ?? null,
      });
    }
    if (route === "POST /login") {
      const body = await readBody(request, LoginBody);
      if (body instanceof Response) return body;
      return json(200, { user: DEMO_USERS.find((u) => u.id === body.userId) }, {
        "set-cookie": `${COOKIE}=${body.userId}; Path=/; HttpOnly; SameSite=Lax`,
      });
    }
    if (route === "POST /logout") {
      const body = await readBody(request, LogoutBody);
      if (body instanceof Response) return body;
      return json(200, { user: null }, { "set-cookie": `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` });
    }

    const creds = await options.credentials();
    if (!creds) return missing();

    if (route === "POST /visitor-token") {
      const user = currentUser(request);
      if (!user) return json(401, { error: "Nobody is signed in to Acme" });
      const body = await readBody(request, TokenBody);
      if (body instanceof Response) return body;
      // Acme's backend, server to server: the S2S token never leaves this process.
      return await callApi(creds.serverToken, "POST", "/api/widget/visitor-token", {
        siteApiKey: creds.siteApiKey,
        externalUserId: user.id,
        email: user.email,
        name: user.name,
        provider: "acme-sso",
        metadata: { plan: user.plan, role: user.role },
        ...(body.workspace ? { workspace: { externalId: body.workspace } } : {}),
      });
    }

    const agent = `/api/tenants/${encodeURIComponent(creds.tenantId)}`;
    if (route === "GET /agent/conversations") {
      return await callApi(
        creds.adminToken,
        "GET",
        `${agent}/conversations?siteApiKey=${encodeURIComponent(creds.siteApiKey)}`,
      );
    }
    const conversation = /^\/agent\/conversations\/([\w-]+)(\/messages)?$/.exec(path.slice("/demo/api".length));
    if (conversation && request.method === "GET" && !conversation[2]) {
      return await callApi(creds.adminToken, "GET", `${agent}/conversations/${conversation[1]}`);
    }
    if (conversation && request.method === "POST" && conversation[2]) {
      const body = await readBody(request, ReplyBody);
      if (body instanceof Response) return body;
      return await callApi(creds.adminToken, "POST", `${agent}/conversations/${conversation[1]}/messages`, {
        text: body.text,
        authorName: "Acme support",
      });
    }
    return json(404, { error: `No demo endpoint ${route}` });
  };
}

/** Reads the demo's credentials from a `dev.env` file, or `null` when it is missing or incomplete. */
export async function credentialsFromDevEnv(path: string): Promise<DemoCredentials | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return null;
  }
  const env = Object.fromEntries(
    text.split("\n").flatMap((line) => {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      return m ? [[m[1]!, m[2]!]] : [];
    }),
  );
  const { SETCHAT_TENANT_ID, SETCHAT_SITE_API_KEY, SETCHAT_SERVER_TOKEN, SETCHAT_ADMIN_TOKEN } = env;
  if (!SETCHAT_TENANT_ID || !SETCHAT_SITE_API_KEY || !SETCHAT_SERVER_TOKEN || !SETCHAT_ADMIN_TOKEN) return null;
  return {
    tenantId: SETCHAT_TENANT_ID,
    siteApiKey: SETCHAT_SITE_API_KEY,
    serverToken: SETCHAT_SERVER_TOKEN,
    adminToken: SETCHAT_ADMIN_TOKEN,
  };
}
