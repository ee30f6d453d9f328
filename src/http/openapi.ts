import { z } from "zod";
import { ERRORS } from "../contract/errors.ts";
import { Problem } from "../contract/common.ts";
import { CONTRACT_VERSION } from "../contract/meta.ts";
import { IMPLEMENTATION, VERSION } from "../version.ts";
import type { Route } from "./router.ts";

/** How each security scheme of the routes is presented to API users. */
export interface SecuritySchemes {
  [scheme: string]: { description: string } | null;
}

type JsonSchema = Record<string, unknown>;

/** Which side of the exchange a schema describes: what clients send, or what the server answers. */
type Io = "input" | "output";

const REF = (id: string) => `#/components/schemas/${id}`;

function idOf(schema: z.ZodType): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new TypeError("Cannot document a route schema without `.meta({ id })`");
  return id;
}

/** Every schema of the registry as JSON Schema, referencing the others as components. */
function registered(io: Io): Map<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    io,
    uri: REF,
    // Any JSON value is a check JSON Schema cannot write: `{}`, which accepts the same.
    unrepresentable: "any",
  });
  const out = new Map<string, JsonSchema>();
  for (const [id, s] of Object.entries(schemas)) {
    // zod files recursive schemas without an id under `__shared`, which no
    // OpenAPI tool resolves: each must be named instead.
    if (id === "__shared") {
      throw new TypeError("Cannot document the schemas: a recursive schema has no `.meta({ id })`");
    }
    const { $schema: _s, $id: _i, ...rest } = s as JsonSchema;
    out.set(id, rest);
  }
  return out;
}

/**
 * The components a document uses, and only those: request schemas as clients
 * send them (defaults optional), response schemas as the server answers them,
 * and every schema they reference.
 */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};
  readonly #rendered: Record<Io, Map<string, JsonSchema>> = {
    input: registered("input"),
    output: registered("output"),
  };

  /** A `$ref` to `schema`, which joins the components. */
  ref(schema: z.ZodType, io: Io): { $ref: string } {
    const id = idOf(schema);
    this.#add(id, io);
    return { $ref: REF(id) };
  }

  /** `schema` itself rather than a reference to it; what it references joins the components. */
  inline(schema: z.ZodType, io: Io): JsonSchema {
    const json = this.#rendered[io].get(idOf(schema))!;
    this.#addReferenced(json, io);
    return json;
  }

  #add(id: string, io: Io): void {
    const json = this.#rendered[io].get(id);
    if (!json) throw new TypeError(`Cannot document schema ${id}: it is not in the registry`);
    const existing = this.schemas[id];
    if (existing) {
      if (JSON.stringify(existing) !== JSON.stringify(json)) {
        throw new TypeError(`Cannot document schema ${id}: requests and responses read it differently; split it`);
      }
      return;
    }
    this.schemas[id] = json;
    this.#addReferenced(json, io);
  }

  #addReferenced(json: JsonSchema, io: Io): void {
    for (const m of JSON.stringify(json).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) this.#add(m[1]!, io);
  }
}

/** Builds the OpenAPI 3.1 document from the route table and the zod registry. */
export function openApiDocument<P>(routes: readonly Route<P>[], schemes: SecuritySchemes): Record<string, unknown> {
  const components = new Components();
  const problem = components.ref(Problem, "output");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, "{$1}");
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.schema
          ? { content: { [spec.contentType ?? "application/json"]: { schema: components.ref(spec.schema, "output") } } }
          : spec.contentType
          ? {
            content: {
              [spec.contentType]: { schema: { type: spec.contentType.endsWith("json") ? "object" : "string" } },
            },
          }
          : {}),
      };
    }
    for (const code of r.errors) {
      const status = String(ERRORS[code].status);
      const existing = responses[status] as { description: string } | undefined;
      const line = `\`${code}\`: ${ERRORS[code].title}`;
      responses[status] = {
        description: existing ? `${existing.description}; ${line}` : line,
        content: { "application/problem+json": { schema: problem } },
      };
    }
    const query = r.query ? queryParameters(components.inline(r.query, "input")) : [];
    const scheme = schemes[String(r.security)];
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      ...(params.length + query.length ? { parameters: [...params, ...query] } : {}),
      ...(r.body
        ? {
          requestBody: { required: true, content: { "application/json": { schema: components.ref(r.body, "input") } } },
        }
        : {}),
      responses,
      security: scheme ? [{ [String(r.security)]: [] }] : [],
    };
  }
  const securitySchemes: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(schemes)) {
    if (s) securitySchemes[name] = { type: "http", scheme: "bearer", description: s.description };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "SetChat widget identity API",
      version: CONTRACT_VERSION,
      description: `Reference implementation ${IMPLEMENTATION} ${VERSION}. Errors are RFC 9457 problems ` +
        "(`application/problem+json`) whose `code` is stable.",
    },
    // Relative: the API is wherever this document was served from.
    servers: [{ url: "/", description: "The server that serves this document" }],
    paths,
    components: { schemas: components.schemas, securitySchemes },
  };
}

/** One query parameter per property of a query schema (an object), its description lifted to the parameter. */
function queryParameters(json: JsonSchema): unknown[] {
  const { properties = {}, required = [] } = json as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(properties).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: "query",
      required: required.includes(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}
