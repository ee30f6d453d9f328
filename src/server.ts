import { join } from "node:path";
import type { ServerConfig } from "./config.ts";
import { StartupError } from "./domain/startup_error.ts";
import { TestClock } from "./domain/test_clock.ts";
import { credentialsFromDevEnv, type DemoAssets, type DemoCredentials, demoHandler } from "../demo/server/backend.ts";
import { type App, createApp } from "./http/app.ts";
import { withAccessLog } from "./http/access_log.ts";
import type { AppDeps } from "./http/context.ts";
import { generateSigningKey, importSigningKeys } from "./identity/signing_keys.ts";
import { type ProvisionedTenant, provisionTenant } from "./provisioning.ts";
import { openKvStore } from "./store/kv_store.ts";
import { redactUrl } from "./store/database_url.ts";
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
  /** Where `dev.env` is; unset for a store in memory, or when the file is missing. */
  devEnvPath: string | undefined;
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
  /** The store, already opened by {@linkcode openStore}; the server closes it. */
  store?: Store;
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

/** The widget bundle, its type declarations and the demo's pages, read once at start-up. */
export async function loadAssets(root: URL = PROJECT): Promise<{ widgetScript: string | null; demo: DemoAssets }> {
  const files: [string, string, string][] = [
    ["/", "demo/index.html", "text/html; charset=utf-8"],
    ["/demo/agent", "demo/agent.html", "text/html; charset=utf-8"],
    ["/demo/demo.css", "demo/demo.css", "text/css; charset=utf-8"],
    ["/demo/acme.js", "dist/demo/acme.js", "text/javascript; charset=utf-8"],
    ["/demo/agent.js", "dist/demo/agent.js", "text/javascript; charset=utf-8"],
    // The widget's public API as TypeScript declarations, beside the script, for integrators to save in their project.
    ["/widget.d.ts", "widget/widget.d.ts", "application/typescript; charset=utf-8"],
  ];
  const demo: DemoAssets = new Map();
  for (const [path, file, type] of files) {
    const body = await readOptional(new URL(file, root));
    if (body !== null) demo.set(path, { body, type });
  }
  return { widgetScript: await readOptional(new URL("dist/widget.js", root)), demo };
}

/**
 * Opens the store `config` names: its PostgreSQL database when it has a
 * database URL (the data directory then keeps only `dev.env`), else Deno KV
 * in the data directory, locked for this process.
 */
export async function openStore(config: Pick<ServerConfig, "dataDir" | "databaseUrl">): Promise<Store> {
  if (config.databaseUrl === undefined) return await openDataDirectory(config.dataDir);
  if (config.dataDir !== ":memory:") await prepareDataDirectory(config.dataDir);
  // The driver is loaded only when a database is asked for: Deno KV needs nothing more.
  const { openPostgresStore } = await import("./store/pg_store.ts");
  return await openPostgresStore({ url: config.databaseUrl });
}

/** Where the store is, for people: a directory, "memory", or a database URL without its password. */
export function storeLocation(config: Pick<ServerConfig, "dataDir" | "databaseUrl">): string {
  if (config.databaseUrl !== undefined) return `in ${redactUrl(config.databaseUrl)}`;
  return config.dataDir === ":memory:" ? "in memory" : `in ${config.dataDir}/`;
}

/**
 * Creates the data directory (mode 0700) or checks the one that exists, and
 * opens its store, locked for this process.
 */
export async function openDataDirectory(dataDir: string): Promise<Store> {
  if (dataDir === ":memory:") return await openKvStore({ path: ":memory:" });
  await prepareDataDirectory(dataDir);
  return await openKvStore({ path: join(dataDir, "store.kv") });
}

/**
 * Creates the data directory (mode 0700) or checks the one that exists. It
 * refuses a directory that other users can open rather than changing its
 * mode: it may be a home or a shared directory, whose mode is its owner's choice.
 */
async function prepareDataDirectory(dataDir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    info = await Deno.stat(dataDir);
  } catch (error) {
    const detail = error instanceof Deno.errors.AlreadyExists ? "a file is in the way" : systemError(error);
    throw new StartupError(
      "data_dir_unusable",
      `Cannot create the data directory ${dataDir}: ${detail}; choose another directory with --data`,
      { cause: error },
    );
  }
  if (!info.isDirectory) {
    throw new StartupError(
      "data_dir_unusable",
      `Cannot create the data directory ${dataDir}: a file is in the way; choose another directory with --data`,
    );
  }
  const mode = (info.mode ?? 0) & 0o777;
  if (mode & 0o077) {
    throw new StartupError(
      "data_dir_open",
      `Cannot use the data directory ${dataDir}: other users can open it (mode ${
        mode.toString(8).padStart(4, "0")
      }); run chmod 700 ${shellQuote(dataDir)} or choose another directory with --data`,
    );
  }
}

/** A system error's text without its "(os error N)" suffix. */
function systemError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\(os error \d+\)$/, "").replace(/^./, (c) => c.toLowerCase());
}

/** A path as a POSIX shell reads it: as is when plain, single-quoted otherwise. */
export function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

function listen(config: ServerConfig, handler: Handler): Deno.HttpServer<Deno.NetAddr> {
  const where = `${config.hostname.includes(":") ? `[${config.hostname}]` : config.hostname}:${config.port}`;
  try {
    return Deno.serve({ hostname: config.hostname, port: config.port, onListen() {} }, handler);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new StartupError(
        "port_in_use",
        `Cannot listen on ${where}: the port is in use; stop the process using it or choose another port with --port`,
        { cause: error },
      );
    }
    throw new StartupError(
      "listen_failed",
      `Cannot listen on ${where}: ${systemError(error)}; choose another address with --host or port with --port`,
      { cause: error },
    );
  }
}

/** Opens the store, creates the demo tenants on first start, and serves the application. */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const testClock = config.testClock ? new TestClock(options.now ?? Date.now) : undefined;
  const now = testClock ? () => testClock.now() : options.now ?? Date.now;
  const inMemory = config.dataDir === ":memory:";
  const store = options.store ?? await openStore(config);
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    const keys = await importSigningKeys(await store.signingKeys(() => generateSigningKey(now())));
    const assets = await loadAssets(options.assetRoot);
    const deps: AppDeps = {
      store,
      keys,
      config: { issuer: config.issuer, visitorTokenLifetime: config.visitorTokenLifetime },
      now,
      widgetScript: assets.widgetScript,
      ...(testClock ? { testClock } : {}),
    };
    const app = createApp(options.mutate ? options.mutate(deps) : deps);
    let url = "";
    const devEnvPath = inMemory ? undefined : join(config.dataDir, "dev.env");
    let fromFirstStart: DemoCredentials | null = null;
    const demoPages = demoHandler({
      apiUrl: () => url,
      // dev.env is read at each call, so that a rotated token put there is picked up.
      credentials: async () => (devEnvPath ? await credentialsFromDevEnv(devEnvPath) : null) ?? fromFirstStart,
      assets: assets.demo,
    });
    const page = async (request: Request, path: string, info?: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
      // Only the demo's backend asks who the client is; the runtime builds the address at each read.
      const client = info && {
        get hostname() {
          return info.remoteAddr.hostname;
        },
      };
      return await demoPages(request, client) ?? await app.handler(request, path);
    };
    const base = (request: Request, info?: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> => {
      // The static pages are the site's root, /demo/ and the widget's types: the API's requests go straight to the
      // app, its promise passed on as it is (an async function here would cost each request another turn).
      const path = app.readPath(request.url);
      if (path === "/" || path === "/widget.d.ts" || path.startsWith("/demo/")) return page(request, path, info);
      return app.handler(request, path);
    };
    const wrapped = options.wrap ? options.wrap(base) : base;
    const handler = config.log && config.log !== "off" ? withAccessLog(wrapped, { format: config.log }) : wrapped;

    // Bind before creating the demo tenants. Their tokens are shown once and
    // kept nowhere but dev.env: a start that failed to bind after creating
    // them would leave a store whose tokens nobody knows, and every later
    // start would skip the demo. Binding is the step that fails for ordinary
    // reasons (a busy port); what follows it only writes local files.
    // Requests that arrive meanwhile wait until dev.env is written.
    const ready = Promise.withResolvers<void>();
    let serve: Handler = async (request, info) => {
      await ready.promise;
      return await handler(request, info);
    };
    server = listen(config, (request, info) => serve(request, info));
    const port = server.addr.port;
    const loopback = ["127.0.0.1", "0.0.0.0", "localhost"].includes(config.hostname);
    url = `http://${loopback ? "127.0.0.1" : config.hostname}:${port}`;
    const publicUrl = config.publicUrl ?? (loopback ? `http://localhost:${port}` : url);
    // Instances sharing a database start together: exactly one creates the demo.
    const demo = await store.initialiseOnce(() => provisionDemo(store, now()));
    if (demo) {
      fromFirstStart = {
        tenantId: demo.acme.tenant.id,
        siteApiKey: demo.acme.sites[0]!.apiKey,
        serverToken: demo.acme.serverToken,
        adminToken: demo.acme.adminToken,
      };
    }
    const devEnvFound = devEnvPath
      ? await writeDevEnv(devEnvPath, { dataDir: config.dataDir, publicUrl, demo })
      : false;
    serve = handler;
    ready.resolve();
    const running = server;
    let closed: Promise<void> | undefined;
    const close = () =>
      closed ??= (async () => {
        await running.shutdown();
        await store.close();
      })();
    return {
      url,
      publicUrl,
      app,
      deps,
      handler,
      demo,
      devEnvPath: devEnvFound ? devEnvPath : undefined,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await server?.shutdown();
    await store.close();
    throw error;
  }
}

async function provisionDemo(store: Store, nowMs: number): Promise<DemoTenants> {
  const acme = await provisionTenant(store, { name: "Acme (demo)", siteNames: ["Acme app", "Acme docs"], nowMs });
  const globex = await provisionTenant(store, {
    name: "Globex (demo)",
    siteNames: ["Globex portal", "Globex shop"],
    nowMs,
  });
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
    SETCHAT_FOREIGN_SERVER_TOKEN: demo.globex.serverToken,
    SETCHAT_FOREIGN_OTHER_SITE_API_KEY: demo.globex.sites[1]!.apiKey,
  };
}

/**
 * Writes `dev.env` (mode 0600) on first start. On later starts only the API
 * URL is brought up to date: the tokens' plaintext is not kept anywhere else.
 * Answers whether the file is there.
 */
async function writeDevEnv(
  path: string,
  { dataDir, publicUrl, demo }: { dataDir: string; publicUrl: string; demo: DemoTenants | undefined },
): Promise<boolean> {
  if (demo) {
    const lines = Object.entries(devEnv(publicUrl, demo)).map(([k, v]) => `${k}=${v}`);
    const text = "# SetChat reference server: demo tenant credentials. Keep this file private.\n" +
      `# Use it with: ${sourceCommand(join(dataDir, "dev.env"))}\n` + lines.join("\n") + "\n";
    await replaceFile(path, text);
    return true;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  const updated = text.replace(/^SETCHAT_API_URL=.*$/m, `SETCHAT_API_URL=${publicUrl}`);
  if (updated !== text) await replaceFile(path, updated);
  return true;
}

/**
 * Writes `path` (mode 0600) through a file renamed over it, so that a reader,
 * such as another instance starting on the same directory, sees the old text
 * or the new, never half of it.
 */
async function replaceFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(temporary, text, { mode: 0o600 });
    await Deno.chmod(temporary, 0o600);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/** The shell command that loads `dev.env` into the environment. */
export function sourceCommand(devEnvPath: string): string {
  return `set -a; . ${shellQuote(devEnvPath)}; set +a`;
}
