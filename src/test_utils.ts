/** Helpers shared by the server's tests: an in-memory app with two tenants. */
import type { ServerConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import type { AppDeps } from "./http/context.ts";
import { generateSigningKey, importSigningKeys } from "./identity/signing_keys.ts";
import { type ProvisionedTenant, provisionTenant } from "./provisioning.ts";
import { type DemoTenants, type RunningServer, type StartOptions, startServer } from "./server.ts";
import { openKvStore } from "./store/kv_store.ts";
import { testPostgres } from "./store/pg_test_utils.ts";

/** A test clock that only moves when told to. */
export interface TestClock {
  now: () => number;
  advance: (ms: number) => void;
}

/** An app over an in-memory store, with tenants A and B and a movable clock. */
export interface TestApp extends AsyncDisposable {
  deps: AppDeps;
  clock: TestClock;
  a: ProvisionedTenant;
  b: ProvisionedTenant;
  /** Calls the handler in-process with a request to `path`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** POSTs `body` as JSON with a bearer token. */
  post(path: string, token: string | undefined, body?: unknown): Promise<Response>;
}

/** Builds a {@linkcode TestApp}; dispose it with `await using`. */
export async function testApp(): Promise<TestApp> {
  let t = Date.UTC(2026, 10, 22, 12, 0, 0);
  const clock: TestClock = { now: () => t, advance: (ms) => void (t += ms) };
  const store = await openKvStore({ path: ":memory:" });
  const keys = await importSigningKeys(await store.signingKeys(() => generateSigningKey(t)));
  const deps: AppDeps = { store, keys, config: { issuer: "setchat-test", visitorTokenLifetime: 300 }, now: clock.now };
  const a = await provisionTenant(store, { name: "A", siteNames: ["A site", "A second site"], nowMs: t });
  const b = await provisionTenant(store, { name: "B", siteNames: ["B site"], nowMs: t });
  const app = createApp(deps);
  const fetch = (path: string, init?: RequestInit) => app.handler(new Request(`http://test${path}`, init));
  const post = (path: string, token: string | undefined, body?: unknown) =>
    fetch(path, {
      method: "POST",
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return { deps, clock, a, b, fetch, post, [Symbol.asyncDispose]: () => store.close() };
}

/** The body of a response as JSON, typed loosely for assertions. */
// deno-lint-ignore no-explicit-any
export async function body(response: Response): Promise<any> {
  return await response.json();
}

/** What a test passes to open a widget session. */
export interface SessionOptions {
  siteApiKey?: string;
  deviceCredential?: string;
  visitorToken?: string;
  user?: Record<string, unknown>;
  workspace?: string;
}

/** A widget as a test drives it: one session, with calls over the handler. */
export interface TestWidget {
  status: number;
  // deno-lint-ignore no-explicit-any
  session: any;
  token: string;
  device: string;
  call(method: string, path: string, body?: unknown): Promise<Response>;
  // deno-lint-ignore no-explicit-any
  list(): Promise<any[]>;
  // deno-lint-ignore no-explicit-any
  start(body?: Record<string, unknown>): Promise<any>;
}

/** Mints a visitor token for tenant A's first site through the S2S endpoint. */
export async function mintFor(
  t: TestApp,
  externalUserId: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await t.post("/api/widget/visitor-token", t.a.serverToken, {
    siteApiKey: t.a.sites[0]!.apiKey,
    externalUserId,
    ...extra,
  });
  if (res.status !== 200) throw new Error(`Cannot mint: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

/** Opens a widget session (on tenant A's first site by default). */
export async function openWidget(t: TestApp, options: SessionOptions = {}): Promise<TestWidget> {
  const res = await t.post("/api/widget/sessions", undefined, {
    siteApiKey: options.siteApiKey ?? t.a.sites[0]!.apiKey,
    ...(options.deviceCredential ? { deviceCredential: options.deviceCredential } : {}),
    ...(options.visitorToken ? { visitorToken: options.visitorToken } : {}),
    ...(options.user ? { user: options.user } : {}),
    ...(options.workspace ? { workspace: { externalId: options.workspace } } : {}),
  });
  const session = await res.json();
  const token = session.sessionToken as string;
  const call = (method: string, path: string, payload?: unknown) =>
    t.fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
  return {
    status: res.status,
    session,
    token,
    device: session.deviceCredential,
    call,
    list: async () => (await (await call("GET", "/api/widget/conversations")).json()).conversations,
    start: async (payload = { kind: "chat", text: "Hello" }) =>
      (await (await call("POST", "/api/widget/conversations", payload)).json()).conversation,
  };
}

/** A reference server on a real socket: 127.0.0.1, a free port, a store in memory, the demo tenants. */
export interface TestServer extends RunningServer {
  demo: DemoTenants;
  /** Calls the server over HTTP; `body` is sent as JSON. */
  call(method: string, path: string, options?: { token?: string; body?: unknown }): Promise<Response>;
}

/** A server for tests: loopback, a free port, a store in memory. */
export const TEST_SERVER_CONFIG: ServerConfig = {
  hostname: "127.0.0.1",
  port: 0,
  dataDir: ":memory:",
  issuer: "setchat-test",
  visitorTokenLifetime: 300,
  publicUrl: undefined,
};

/** Starts a {@linkcode TestServer}; dispose it with `await using`. */
export async function testServer(options: StartOptions = {}): Promise<TestServer> {
  const server = await startServer(TEST_SERVER_CONFIG, options);
  const demo = server.demo;
  if (!demo) {
    await server.close();
    throw new Error("Cannot start a test server: a store in memory should start empty");
  }
  return { ...server, demo, call: callerOf(server.url) };
}

/** Calls the server at `url` over HTTP; `body` is sent as JSON. */
function callerOf(url: string): TestServer["call"] {
  return (method, path, { token, body } = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
}

/** Several reference instances sharing one PostgreSQL database, as behind a load balancer. */
export interface TestCluster extends AsyncDisposable {
  /** The instances, each on its own free port; `demo` is the same on all of them. */
  servers: TestServer[];
  /** The demo tenants, created once by whichever instance started first. */
  demo: DemoTenants;
  /** The database the instances share. */
  databaseUrl: string;
  close(): Promise<void>;
}

/** Options of {@linkcode testCluster}. */
export interface ClusterOptions {
  /** How many instances (2 by default). */
  instances?: number;
  /** A database to use as it is; by default, a new database on a PostgreSQL of the tests' own. */
  databaseUrl?: string;
  /** The servers' configuration, less the database (loopback, a free port, no data directory by default). */
  config?: Partial<ServerConfig>;
  /** Options of every instance's {@linkcode startServer}. */
  start?: StartOptions;
}

/**
 * Starts N reference instances at once on one PostgreSQL database (its own,
 * unless given one); dispose it with `await using`. The instances share
 * nothing but the database, so a case whose steps alternate between them
 * finds any state kept per instance.
 */
export async function testCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const cleanup: (() => PromiseLike<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    let databaseUrl = options.databaseUrl;
    if (databaseUrl === undefined) {
      const pg = await testPostgres();
      cleanup.push(() => pg.stop());
      const db = await pg.database();
      cleanup.push(() => db[Symbol.asyncDispose]());
      databaseUrl = db.url;
    }
    const config: ServerConfig = { ...TEST_SERVER_CONFIG, ...options.config, databaseUrl };
    const started = await Promise.allSettled(
      Array.from({ length: options.instances ?? 2 }, () => startServer(config, options.start)),
    );
    for (const s of started) if (s.status === "fulfilled") cleanup.push(() => s.value.close());
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    const running = started.map((s) => (s as PromiseFulfilledResult<RunningServer>).value);
    const demo = running.find((s) => s.demo)?.demo;
    if (!demo) throw new Error("Cannot start a test cluster: no instance created the demo tenants (a used database?)");
    const servers = running.map((s): TestServer => ({ ...s, demo, call: callerOf(s.url) }));
    return { servers, demo, databaseUrl, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A request written byte for byte, as curl sends it: unlike `fetch`, it may carry any `Host`. */
export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Sends `request` to the server at `url` on a fresh connection, and reads the whole answer (its body as framed). */
export async function rawRequest(
  url: string,
  request: RawRequest,
): Promise<{ status: number; headers: Headers; body: string }> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const body = request.body ?? "";
  const headers = { ...request.headers, "content-length": String(new TextEncoder().encode(body).byteLength) };
  const head = [`${request.method} ${request.path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  await conn.write(new TextEncoder().encode(`${head.join("\r\n")}\r\nconnection: close\r\n\r\n${body}`));
  const stop = setTimeout(() => conn.close(), 5000);
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const buffer = new Uint8Array(16_384);
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.subarray(0, n));
    }
  } finally {
    clearTimeout(stop);
    try {
      conn.close();
    } catch { /* already closed */ }
  }
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  const [top = "", ...rest] = text.slice(0, text.indexOf("\r\n\r\n")).split("\r\n");
  const answerHeaders = new Headers(
    rest.map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()]),
  );
  return { status: Number(top.split(" ")[1]), headers: answerHeaders, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}
