import { join } from "node:path";
import type { ServerConfig } from "./config.ts";
import { credentialsFromDevEnv, type DemoAssets, type DemoCredentials, demoHandler } from "./demo/demo.ts";
import { type App, createApp } from "./http/app.ts";
import type { AppDeps } from "./http/context.ts";
import { generateSigningKey, importSigningKeys } from "./identity/signing_keys.ts";
import { type ProvisionedTenant, provisionTenant } from "./provisioning.ts";
import { openKvStore } from "./store/kv_store.ts";
import type { Store } from "./store/store.ts";

/** What the first start of an empty store created: shown once. */
export interface DemoTenants {
  acme: ProvisionedTenant;
  /** A second tenant, so that "another tenant's site" can be tried. */
  globex: ProvisionedTenant;
}

/** A started reference server. */
export interface RunningServer extends AsyncDisposable {
  /** Loopback URL for programs, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** URL for people and for `dev.env`, e.g. `http://localhost:8787`. */
  publicUrl: string;
  app: App;
  deps: AppDeps;
  /** The whole handler: the demo's pages, then the API. */
  handler: Handler;
  /** Set when this start created the demo tenants. */
  demo: DemoTenants | undefined;
  close(): Promise<void>;
}

/** A request handler, with the client's address when it came over a socket. */
export type Handler = (request: Request, info?: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response>;

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  now?: () => number;
  /** Changes the application's dependencies before it is built (instrumentation, fault injection). */
  mutate?: (deps: AppDeps) => AppDeps;
  /** Wraps the whole handler (instrumentation, fault injection). */
  wrap?: (handler: Handler) => Handler;
  /** Where the built browser code and the demo's pages are; defaults to this project's. */
  assetRoot?: URL;
}

const PROJECT = new URL("..", import.meta.url);

async function readOptional(url: URL): Promise<string | null> {
  try {
    return await Deno.readTextFile(url);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** The widget bundle and the demo's pages, read once at start-up. */
export async function loadAssets(root: URL = PROJECT): Promise<{ widgetScript: string | null; demo: DemoAssets }> {
  const files: [string, string, string][] = [
    ["/", "demo/index.html", "text/html; charset=utf-8"],
    ["/demo/agent", "demo/agent.html", "text/html; charset=utf-8"],
    ["/demo/demo.css", "demo/demo.css", "text/css; charset=utf-8"],
    ["/demo/acme.js", "dist/demo/acme.js", "text/javascript; charset=utf-8"],
    ["/demo/agent.js", "dist/demo/agent.js", "text/javascript; charset=utf-8"],
  ];
  const demo: DemoAssets = new Map();
  for (const [path, file, type] of files) {
    const body = await readOptional(new URL(file, root));
    if (body !== null) demo.set(path, { body, type });
  }
  return { widgetScript: await readOptional(new URL("dist/widget.js", root)), demo };
}

/** Opens the store, creates the demo tenants on first start, and serves the application. */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const now = options.now ?? Date.now;
  const inMemory = config.dataDir === ":memory:";
  if (!inMemory) await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openKvStore({ path: inMemory ? ":memory:" : join(config.dataDir, "store.kv") });
  try {
    const keys = await importSigningKeys(await store.signingKeys(() => generateSigningKey(now())));
    const demo = (await store.isEmpty()) ? await provisionDemo(store, now()) : undefined;
    const assets = await loadAssets(options.assetRoot);
    const deps: AppDeps = {
      store,
      keys,
      config: { issuer: config.issuer, visitorTokenLifetime: config.visitorTokenLifetime },
      now,
      widgetScript: assets.widgetScript,
    };
    const app = createApp(options.mutate ? options.mutate(deps) : deps);
    let url = "";
    const devEnvPath = inMemory ? undefined : join(config.dataDir, "dev.env");
    const fromFirstStart: DemoCredentials | null = demo
      ? {
        tenantId: demo.acme.tenant.id,
        siteApiKey: demo.acme.sites[0]!.apiKey,
        serverToken: demo.acme.serverToken,
        adminToken: demo.acme.adminToken,
      }
      : null;
    const demoPages = demoHandler({
      apiUrl: () => url,
      // dev.env is read at each call, so that a rotated token put there is picked up.
      credentials: async () => (devEnvPath ? await credentialsFromDevEnv(devEnvPath) : null) ?? fromFirstStart,
      assets: assets.demo,
    });
    const base = async (request: Request, info?: Deno.ServeHandlerInfo<Deno.NetAddr>) =>
      (await demoPages(request, info?.remoteAddr)) ?? await app.handler(request);
    const handler = options.wrap ? options.wrap(base) : base;
    const server = Deno.serve({ hostname: config.hostname, port: config.port, onListen() {} }, handler);
    const port = server.addr.port;
    const loopback = ["127.0.0.1", "0.0.0.0", "localhost"].includes(config.hostname);
    url = `http://${loopback ? "127.0.0.1" : config.hostname}:${port}`;
    const publicUrl = config.publicUrl ?? (loopback ? `http://localhost:${port}` : url);
    if (!inMemory) await writeDevEnv(join(config.dataDir, "dev.env"), publicUrl, demo);
    let closed: Promise<void> | undefined;
    const close = () =>
      closed ??= (async () => {
        await server.shutdown();
        await store.close();
      })();
    return { url, publicUrl, app, deps, handler, demo, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await store.close();
    throw error;
  }
}

async function provisionDemo(store: Store, nowMs: number): Promise<DemoTenants> {
  const acme = await provisionTenant(store, { name: "Acme (demo)", siteNames: ["Acme app", "Acme docs"], nowMs });
  const globex = await provisionTenant(store, { name: "Globex (demo)", siteNames: ["Globex portal"], nowMs });
  return { acme, globex };
}

/** The environment a customer's backend and the conformance runner read. */
export function devEnv(publicUrl: string, demo: DemoTenants): Record<string, string> {
  return {
    SETCHAT_API_URL: publicUrl,
    SETCHAT_TENANT_ID: demo.acme.tenant.id,
    SETCHAT_SITE_API_KEY: demo.acme.sites[0]!.apiKey,
    SETCHAT_SERVER_TOKEN: demo.acme.serverToken,
    SETCHAT_ADMIN_TOKEN: demo.acme.adminToken,
    SETCHAT_OTHER_SITE_API_KEY: demo.acme.sites[1]!.apiKey,
    SETCHAT_FOREIGN_SITE_API_KEY: demo.globex.sites[0]!.apiKey,
    SETCHAT_FOREIGN_TENANT_ID: demo.globex.tenant.id,
    SETCHAT_FOREIGN_ADMIN_TOKEN: demo.globex.adminToken,
  };
}

/**
 * Writes `dev.env` (mode 0600) on first start. On later starts only the API
 * URL is brought up to date: the tokens' plaintext is not kept anywhere else.
 */
async function writeDevEnv(path: string, publicUrl: string, demo: DemoTenants | undefined): Promise<void> {
  if (demo) {
    const lines = Object.entries(devEnv(publicUrl, demo)).map(([k, v]) => `${k}=${v}`);
    const text = "# SetChat reference server: demo tenant credentials. Keep this file private.\n" +
      "# Use it with: set -a; . .setchat/dev.env; set +a\n" + lines.join("\n") + "\n";
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    await Deno.chmod(path, 0o600);
    return;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const updated = text.replace(/^SETCHAT_API_URL=.*$/m, `SETCHAT_API_URL=${publicUrl}`);
  if (updated !== text) await Deno.writeTextFile(path, updated, { mode: 0o600 });
}
