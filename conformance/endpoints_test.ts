import assert from "node:assert/strict";
import { z } from "zod";
import { ENDPOINTS, endpointsOf, forServersOnly } from "./endpoints.ts";
import { loadFixtures, stepLevel } from "./fixtures.ts";
import { negativeInputCases, negativeQueryCases } from "./negative_inputs.ts";
import { startInProcessTarget } from "./target.ts";

/** Operations of the reference that no other implementation is asked for: its own documents and listing paths. */
const REFERENCE_ONLY = new Set([
  "GET /healthz",
  "GET /api/version",
  "GET /openapi.json",
  "GET /.well-known/setchat.json",
  // Declared in the discovery document, and called through it: `{{tokenListing}}`, `{{widgetScript}}`.
  "GET /api/tenants/{id}/widget-identity/s2s-tokens",
  "GET /widget.js",
  // The test clock of a reference started with --test-clock: declared as `testClock`, moved by clock steps.
  "GET /api/test/clock",
  "POST /api/test/clock",
]);

/** An OpenAPI path as fixtures write it, for comparison: `{x}` and `{{x}}` alike become `{}`. */
function shape(path: string): string {
  return path.replace(/\{\{?[^}]+\}?\}/g, "{}");
}

Deno.test("ENDPOINTS lists every operation of the published document, with its published request schema", async () => {
  const target = await startInProcessTarget();
  try {
    const doc = await (await fetch(`${target.apiUrl}/openapi.json`)).json();
    const ids = (schema: z.ZodType | undefined) => schema && z.globalRegistry.get(schema)?.id;
    const seen = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>)) {
      for (const [method, op] of Object.entries(item)) {
        if (!["get", "post", "delete", "put", "patch"].includes(method)) continue;
        const name = `${method.toUpperCase()} ${path}`;
        if (REFERENCE_ONLY.has(name.replace(/\{[^}]+\}/g, "{id}"))) continue;
        const endpoint = ENDPOINTS.find((e) => e.method === method.toUpperCase() && shape(e.path) === shape(path));
        assert.ok(endpoint, `${name} has no row in ENDPOINTS`);
        seen.add(`${endpoint.method} ${endpoint.path}`);
        const ref = (op.requestBody as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined)
          ?.content?.["application/json"]?.schema?.$ref;
        assert.equal(ids(endpoint.body), ref?.split("/").at(-1), `${name}: the request schema`);
      }
    }
    const declared = ENDPOINTS.filter((e) => e.path.startsWith("{{")).map((e) => `${e.method} ${e.path}`);
    assert.deepEqual(
      ENDPOINTS.map((e) => `${e.method} ${e.path}`).filter((e) => !seen.has(e) && !declared.includes(e)),
      [],
      "rows of ENDPOINTS the published document does not have",
    );
  } finally {
    await target.close();
  }
});

Deno.test("every endpoint of every surface is called by a case below reference level, so every answer is checked", async () => {
  const cases = await loadFixtures("fixtures");
  const called = new Set<string>();
  for (const c of cases) {
    for (const step of c.steps) {
      if (!("request" in step) || stepLevel(c, step) === "reference") continue;
      for (const e of endpointsOf(step.request.path)) {
        if (e.method === step.request.method) called.add(`${e.method} ${e.path}`);
      }
    }
  }
  assert.deepEqual(ENDPOINTS.map((e) => `${e.method} ${e.path}`).filter((e) => !called.has(e)), []);
});

Deno.test("negative inputs cover every body and query field, nested ones included, at the contract's levels", () => {
  const cases = [...negativeInputCases(), ...negativeQueryCases()];
  const sent = new Set(
    cases.flatMap((c) => c.steps.flatMap((s) => "request" in s ? [s.request.path.split("?")[0]] : [])),
  );
  for (const e of ENDPOINTS.filter((e) => e.body || e.query)) assert.ok(sent.has(e.path), `${e.method} ${e.path}`);
  const userName = cases.find((c) => c.id === "input-session-user-name")!;
  const levelOf = (name: string) => {
    const step = userName.steps.find((s) => s.name === name);
    assert.ok(step && "request" in step, name);
    return step.expect?.status;
  };
  assert.deepEqual(levelOf(`"user.name" null`), "4xx", "null is refused at must");
  assert.deepEqual(levelOf(`"user.name" too long`), ["2xx", "4xx"], "past a bound is only recommended");
  const nullStep = userName.steps.find((s) => s.name === `"user.name" null`)!;
  assert.ok("request" in nullStep);
  assert.deepEqual(nullStep.request.json, { siteApiKey: "{{siteApiKey}}", user: { name: null } });
  // An empty optional field of the vendor's S2S body is only recommended against; an empty required one is refused.
  const mintName = cases.find((c) => c.id === "input-mint-name")!.steps.find((s) => s.name === `"name" empty`)!;
  assert.ok("request" in mintName && Array.isArray(mintName.expect?.status));
  const userId = cases.find((c) => c.id === "input-mint-external-user-id")!.steps.find((s) =>
    s.name === `"externalUserId" empty`
  )!;
  assert.ok("request" in userId && userId.expect?.status === "4xx");
  // A refused widget write is followed by a read showing nothing was stored.
  const text = cases.find((c) => c.id === "input-message-text")!;
  const names = text.steps.map((s) => s.name);
  assert.ok(names.includes(`nothing stored after "text" null`), names.join(", "));
});

Deno.test("forServersOnly() tells the endpoints that take a server's secret, a declared listing included", () => {
  for (const path of ["/api/widget/visitor-token", "/api/tenants/t1/conversations?limit=2", "/api/tenants/t1/tokens"]) {
    assert.ok(forServersOnly(path), path);
  }
  for (const path of ["/api/widget/sessions", "/api/widget/conversations/c1/messages", "/.well-known/jwks.json"]) {
    assert.ok(!forServersOnly(path), path);
  }
});
