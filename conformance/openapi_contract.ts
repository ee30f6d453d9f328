/**
 * The reference's OpenAPI document held to the contract, by generation: the
 * suite derives what the document must say from the contract's own zod
 * schemas, its table of endpoints and its error catalogue, never from a copy
 * of the document.
 *
 * - every endpoint of the contract is an operation, at its method;
 * - each path parameter is declared once, a required string, and nothing else is;
 * - an endpoint's query parameters are its published query schema's properties,
 *   its request body exactly a reference to its published body schema;
 * - every error status lists the catalogue's codes for that status, each
 *   with its title, answered as a `Problem`;
 * - each published component is the contract's schema as JSON Schema, read
 *   as clients send it when a request uses it and as the server answers it
 *   when a response does (any JSON value is the schema with no constraint);
 * - security requirements name defined schemes; descriptions are sentences;
 *   `info` gives the contract's version and the implementation that serves it.
 *
 * What the document publishes of the reference's own choices (its servers,
 * its descriptions) holds in the reference profile only, like every check here.
 */
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { ERRORS } from "../src/contract/errors.ts";
import { JsonValue } from "../src/contract/common.ts";
import { CONTRACT_VERSION } from "../src/contract/meta.ts";
import { ENDPOINTS } from "./endpoints.ts";
import { type OpenApiDocument, operationOf } from "./reference_checks.ts";
import { PUBLISHED_SCHEMAS } from "./schemas.ts";

type Json = Record<string, unknown>;
type Io = "input" | "output";

const PREFIX = "#/components/schemas/";

const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));

/** The published schemas as JSON Schema, each referencing the others as components, read one way. */
function generated(io: Io): Map<string, Json> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, { io, uri: (id) => `${PREFIX}${id}`, unrepresentable: "any" });
  const out = new Map<string, Json>();
  for (const [id, schema] of Object.entries(schemas)) {
    if (!PUBLISHED_SCHEMAS.has(id)) continue;
    const { $schema: _s, $id: _i, ...rest } = schema as Json;
    out.set(id, rest);
  }
  return out;
}

/** The published name of a schema of the contract. */
function nameOf(schema: z.ZodType): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new TypeError("Cannot check the OpenAPI document: a schema of the endpoints table has no name");
  return id;
}

/** The component names every `$ref` of `value` points at. */
function refsIn(value: unknown): string[] {
  return [...JSON.stringify(value ?? null).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
}

/** A description written as whole sentences: a capital (or code) first, a full stop last. */
function notASentence(text: unknown): string | undefined {
  if (typeof text !== "string") return `is ${show(text)}, not text`;
  return /^[A-Z`]/.test(text) && /[.)]$/.test(text) ? undefined : `is not whole sentences: ${show(text)}`;
}

interface Operation {
  description?: unknown;
  parameters?: unknown;
  requestBody?: unknown;
  responses?: Record<string, { description?: unknown; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown;
}

/** The first way one operation's parameters, body, errors and security differ from the contract. */
function operationProblem(
  doc: OpenApiDocument,
  template: string,
  method: string,
  op: Operation,
  input: Map<string, Json>,
): string | undefined {
  const where = `${method.toUpperCase()} ${template}`;
  if (op.description !== undefined) {
    const bad = notASentence(op.description);
    if (bad) return `the description of ${where} ${bad}`;
  }
  if (op.parameters !== undefined && (!Array.isArray(op.parameters) || op.parameters.length === 0)) {
    return `${where} lists "parameters" but names none`;
  }
  const parameters = (op.parameters ?? []) as Json[];
  const pathParameters = parameters.filter((p) => p.in === "path");
  const wantPath = [...template.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  if (!isDeepStrictEqual(pathParameters, wantPath)) {
    return `${where} declares the path parameters ${show(pathParameters)}, its path needs ${show(wantPath)}`;
  }
  const endpoint = ENDPOINTS.find((e) =>
    e.method.toLowerCase() === method && !e.path.startsWith("{{") &&
    operationOf(doc, e.method, e.path.replace(/\{\{\w+\}\}/g, "x"))?.template === template
  );
  if (!endpoint) return undefined;
  const queryParameters = parameters.filter((p) => p.in === "query");
  const query = endpoint.query ? input.get(nameOf(endpoint.query)) : undefined;
  const { properties = {}, required = [] } = (query ?? {}) as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  const wantQuery = Object.entries(properties).map(([name, { description, ...schema }]) => ({
    name,
    in: "query",
    required: required.includes(name),
    ...(description === undefined ? {} : { description }),
    schema,
  }));
  if (!isDeepStrictEqual(queryParameters, wantQuery)) {
    return `${where} declares the query parameters ${show(queryParameters)}, the contract's query is ${
      show(wantQuery)
    }`;
  }
  if (parameters.length !== pathParameters.length + queryParameters.length) {
    return `${where} declares parameters neither in its path nor in its query`;
  }
  const wantBody = endpoint.body
    ? { required: true, content: { "application/json": { schema: { $ref: `${PREFIX}${nameOf(endpoint.body)}` } } } }
    : undefined;
  if (!isDeepStrictEqual(op.requestBody, wantBody)) {
    return `${where} documents the request body ${show(op.requestBody)}, the contract's is ${show(wantBody)}`;
  }
  return undefined;
}

/** The first way an operation's answers and security differ from the catalogue and the schemes. */
function answersProblem(doc: OpenApiDocument, where: string, op: Operation): string | undefined {
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    const content = response.content;
    if (Number(status) >= 400) {
      const problem = { "application/problem+json": { schema: { $ref: `${PREFIX}Problem` } } };
      if (!isDeepStrictEqual(content, problem)) {
        return `${where} answers ${status} with ${show(content)}, not a Problem as application/problem+json`;
      }
      for (const line of String(response.description ?? "").split("; ")) {
        const m = /^`(\w+)`: (.+)$/.exec(line);
        const info = m ? ERRORS[m[1] as keyof typeof ERRORS] : undefined;
        if (!m || !info) return `${where} documents ${status} as ${show(line)}, not "\`code\`: title" of the catalogue`;
        if (String(info.status) !== status || info.title !== m[2]) {
          return `${where} lists ${m[1]} under ${status} as "${
            m[2]
          }"; the catalogue gives ${info.status} "${info.title}"`;
        }
      }
      continue;
    }
    for (const [type, media] of Object.entries(content ?? {})) {
      const schema = media.schema as Json | undefined;
      if (schema?.$ref !== undefined) continue;
      const want = { type: /[/+]json$/.test(type) ? "object" : "string" };
      if (!isDeepStrictEqual(schema, want)) return `${where} answers ${type} with the schema ${show(schema)}`;
    }
  }
  if (!Array.isArray(op.security)) return `${where} has no list of security requirements`;
  for (const requirement of op.security as unknown[]) {
    const schemes = requirement !== null && typeof requirement === "object" ? Object.entries(requirement) : [];
    if (schemes.length === 0 || schemes.some(([, scopes]) => !isDeepStrictEqual(scopes, []))) {
      return `${where} has the security requirement ${show(requirement)}: a scheme with no scopes`;
    }
    const undefinedScheme = schemes.find(([name]) => !doc.components?.securitySchemes?.[name]);
    if (undefinedScheme) return `${where} requires the undefined scheme ${undefinedScheme[0]}`;
  }
  return undefined;
}

/** The first way each published component differs from the contract's schema, read as each use reads it. */
function componentsProblem(doc: OpenApiDocument, uses: Map<string, Set<Io>>): string | undefined {
  const rendered = { input: generated("input"), output: generated("output") };
  const components = doc.components?.schemas ?? {};
  // What a component references is read the same way as the component.
  const queue = [...uses].flatMap(([name, ios]) => [...ios].map((io) => [name, io] as const));
  while (queue.length > 0) {
    const [name, io] = queue.pop()!;
    for (const ref of refsIn(components[name])) {
      const seen = uses.get(ref) ?? new Set<Io>();
      if (!seen.has(io)) queue.push([ref, io]);
      uses.set(ref, seen.add(io));
    }
  }
  for (const [name, ios] of uses) {
    const published = components[name];
    if (published === undefined) return `the document references the schema ${name} but does not publish it`;
    if (name === nameOf(JsonValue)) {
      // Any JSON value: a schema with no constraint, only its description.
      const keys = Object.keys(published as Json);
      if (keys.some((k) => k !== "description")) return `${name} constrains what any JSON value is: ${show(keys)}`;
      continue;
    }
    for (const io of ios) {
      const want = rendered[io].get(name);
      if (!want) return `the document publishes the schema ${name}, which the contract does not`;
      if (!isDeepStrictEqual(published, want)) {
        return `the schema ${name} differs from the contract's as ${io === "input" ? "clients send it" : "answered"}`;
      }
    }
  }
  for (const name of Object.keys(components)) {
    if (!uses.has(name)) return `the document publishes the schema ${name}, which no operation uses`;
  }
  return undefined;
}

/** The first way the reference's OpenAPI document differs from what the contract gives it. */
export function openApiContractProblem(value: unknown): string | undefined {
  const doc = value as OpenApiDocument & { info?: Json; servers?: unknown };
  if (doc === null || typeof doc !== "object") return "expected an OpenAPI document";
  const info = doc.info ?? {};
  if (info.title !== "SetChat widget identity API") return `"info.title" is ${show(info.title)}`;
  if (info.version !== CONTRACT_VERSION) {
    return `"info.version" is ${show(info.version)}, the contract is ${CONTRACT_VERSION}`;
  }
  const description = notASentence(info.description);
  if (description) return `"info.description" ${description}`;
  if (!/\bimplementation \S+ \d+\.\d+\.\d+/.test(String(info.description))) {
    return `"info.description" does not name the implementation and its version: ${show(info.description)}`;
  }
  // The API is wherever the document was read from.
  const servers = doc.servers as Json[] | undefined;
  if (!Array.isArray(servers) || servers.length !== 1 || servers[0]?.url !== "/") {
    return `"servers" is ${show(servers)}, expected the one relative server "/"`;
  }
  for (const endpoint of ENDPOINTS) {
    if (endpoint.path.startsWith("{{")) continue;
    if (!operationOf(doc, endpoint.method, endpoint.path.replace(/\{\{\w+\}\}/g, "x"))) {
      return `the contract's ${endpoint.method} ${endpoint.path} is not an operation of the document`;
    }
  }
  const input = generated("input");
  const uses = new Map<string, Set<Io>>();
  const use = (name: string, io: Io) => uses.set(name, (uses.get(name) ?? new Set<Io>()).add(io));
  for (const [template, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const op = operation as Operation;
      const problem = operationProblem(doc, template, method, op, input) ??
        answersProblem(doc, `${method.toUpperCase()} ${template}`, op);
      if (problem) return problem;
      for (const name of refsIn([op.requestBody, op.parameters])) use(name, "input");
      for (const name of refsIn(op.responses)) use(name, "output");
    }
  }
  return componentsProblem(doc, uses);
}
