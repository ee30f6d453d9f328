/** Helpers shared by the server's tests: an in-memory app with two tenants. */
import { createApp } from "./http/app.ts";
import type { AppDeps } from "./http/context.ts";
import { generateSigningKey, importSigningKeys } from "./identity/signing_keys.ts";
import { type ProvisionedTenant, provisionTenant } from "./provisioning.ts";
import { openKvStore } from "./store/kv_store.ts";

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
