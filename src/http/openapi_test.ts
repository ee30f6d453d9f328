import assert from "node:assert/strict";
import { compileErrors, validate } from "@readme/openapi-parser";
import { z } from "zod";
import { type RunningServer, startServer } from "../server.ts";
import { body, TEST_SERVER_CONFIG } from "../test_utils.ts";
import { openApiDocument } from "./openapi.ts";
import type { Route } from "./router.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function server(): Promise<RunningServer> {
  return await startServer(TEST_SERVER_CONFIG);
}

async function served(s: RunningServer): Promise<Json> {
  const response = await fetch(`${s.url}/openapi.json`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  return await body(response);
}

/** The value a local `$ref` points at, or `undefined` when it points at nothing. */
function resolve(doc: Json, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined; // the document must stand alone
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer === "") return doc;
  if (!pointer.startsWith("/")) return undefined;
  let node: Json = doc;
  for (const token of pointer.slice(1).split("/")) {
    const key = token.replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Every `$ref` of `doc`, wherever it is. */
function refsOf(doc: Json): string[] {
  const refs: string[] = [];
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") refs.push(value);
      else stack.push(value);
    }
  }
  return refs;
}

function stubRoute(extra: Partial<Route<{ none: undefined }>>): Route<{ none: undefined }> {
  return {
    method: "POST",
    path: "/test",
    operationId: "test",
    summary: "Test",
    tag: "Test",
    security: "none",
    responses: {},
    errors: [],
    handle: () => new Response(null, { status: 204 }),
    ...extra,
  };
}

Deno.test("GET /openapi.json passes an OpenAPI 3.1 validator that resolves every $ref", async () => {
  await using s = await server();
  const doc = await served(s);
  assert.equal(doc.openapi, "3.1.0");
  const result = await validate(structuredClone(doc));
  assert.ok(result.valid, result.valid ? "" : compileErrors(result));
  assert.equal(result.specification, "OpenAPI");
  assert.deepEqual(result.warnings, []);
});

Deno.test("GET /openapi.json has no dangling $ref, no unused component, and every parameter the routes read", async () => {
  // The walker itself tells a dangling pointer from a good one.
  assert.equal(resolve({ a: { "b/c": 1 } }, "#/a/b~1c"), 1);
  assert.equal(resolve({ a: {} }, "#/a/b"), undefined);
  assert.equal(resolve({ a: {} }, "#/a#/b"), undefined);

  await using s = await server();
  const doc = await served(s);
  const refs = refsOf(doc);
  assert.deepEqual(refs.filter((ref) => resolve(doc, ref) === undefined), [], "dangling $ref");
  for (const id of Object.keys(doc.components.schemas)) {
    assert.ok(refs.includes(`#/components/schemas/${id}`), `component ${id} is never used`);
  }

  for (const route of s.app.routes) {
    const name = `${route.method} ${route.path}`;
    const op = doc.paths[route.path.replace(/:(\w+)/g, "{$1}")]?.[route.method.toLowerCase()];
    assert.ok(op, `${name} is not documented`);
    const declared: { name: string; in: string; required?: boolean }[] = (op.parameters ?? [])
      .map((p: Json) => (p.$ref ? resolve(doc, p.$ref) : p));
    const pathNames = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    assert.deepEqual(
      declared.filter((p) => p.in === "path").map((p) => [p.name, p.required]),
      pathNames.map((n) => [n, true]),
      `${name}: path parameters`,
    );
    let query: [string, boolean][] = [];
    if (route.query) {
      assert.ok(route.query instanceof z.ZodObject, `${name}: its query schema is not an object`);
      query = Object.entries(route.query.shape as Record<string, z.ZodType>)
        .map(([n, schema]) => [n, !schema.safeParse(undefined).success]);
    }
    assert.deepEqual(
      declared.filter((p) => p.in === "query").map((p) => [p.name, p.required]),
      query,
      `${name}: query parameters`,
    );
  }
});

Deno.test("openApiDocument() documents a request body as clients send it: a field with a default is optional", () => {
  const Body = z.strictObject({ kind: z.enum(["a", "b"]).default("a"), text: z.string() }).meta({ id: "TestBody" });
  try {
    const doc: Json = openApiDocument([stubRoute({ body: Body })], {});
    assert.deepEqual(doc.components.schemas.TestBody.required, ["text"]);
  } finally {
    z.globalRegistry.remove(Body);
  }
});

Deno.test("openApiDocument() documents any JSON value as {}, which code generators can type", async () => {
  await using s = await server();
  const doc = await served(s);
  assert.deepEqual(doc.components.schemas.JsonValue, { description: "Any JSON value." });
  assert.deepEqual(doc.components.schemas.CustomData.additionalProperties, { $ref: "#/components/schemas/JsonValue" });
});

Deno.test("openApiDocument() refuses a recursive schema without an id rather than emit a dangling $ref", () => {
  const Tree: z.ZodType = z.lazy(() => z.object({ children: z.array(Tree) }));
  const Body = z.strictObject({ tree: Tree }).meta({ id: "TestTree" });
  try {
    assert.throws(
      () => openApiDocument([stubRoute({ body: Body })], {}),
      /a recursive schema has no `.meta\(\{ id \}\)`/,
    );
  } finally {
    z.globalRegistry.remove(Body);
  }
});

Deno.test("openApiDocument() refuses a schema that requests and responses read differently", () => {
  const Both = z.object({ kind: z.string().default("a") }).meta({ id: "TestBoth" });
  try {
    const route = stubRoute({ body: Both, responses: { 200: { description: "The same", schema: Both } } });
    assert.throws(() => openApiDocument([route], {}), /Cannot document schema TestBoth: requests and responses/);
  } finally {
    z.globalRegistry.remove(Both);
  }
});
