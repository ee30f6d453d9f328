import { z } from "zod";
import { ERRORS } from "../contract/errors.ts";
import { CONTRACT_VERSION } from "../contract/meta.ts";
import { IMPLEMENTATION, VERSION } from "../version.ts";
import type { Route } from "./router.ts";

/** How each security scheme of the routes is presented to API users. */
export interface SecuritySchemes {
  [scheme: string]: { description: string } | null;
}

const REF = (id: string) => `#/components/schemas/${id}`;

function ref(schema: z.ZodType): { $ref: string } {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new TypeError("Cannot document a route schema without `.meta({ id })`");
  return { $ref: REF(id) };
}

function components(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, { uri: REF, unrepresentable: "any" });
  const out: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = s as Record<string, unknown>;
    out[id] = rest;
  }
  return out;
}

/** Builds the OpenAPI 3.1 document from the route table and the zod registry. */
export function openApiDocument<P>(routes: readonly Route<P>[], schemes: SecuritySchemes): Record<string, unknown> {
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
          ? { content: { [spec.contentType ?? "application/json"]: { schema: ref(spec.schema) } } }
          : spec.contentType
          ? { content: { [spec.contentType]: { schema: { type: "string" } } } }
          : {}),
      };
    }
    for (const code of r.errors) {
      const status = String(ERRORS[code].status);
      const existing = responses[status] as { description: string } | undefined;
      const line = `\`${code}\`: ${ERRORS[code].title}`;
      responses[status] = {
        description: existing ? `${existing.description}; ${line}` : line,
        content: { "application/problem+json": { schema: { $ref: REF("Problem") } } },
      };
    }
    const query = r.query ? queryParameters(r.query) : [];
    const scheme = schemes[String(r.security)];
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      ...(params.length + query.length ? { parameters: [...params, ...query] } : {}),
      ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: ref(r.body) } } } } : {}),
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
    paths,
    components: { schemas: components(), securitySchemes },
  };
}

function queryParameters(schema: z.ZodType): unknown[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: "query",
    required: json.required?.includes(name) ?? false,
    schema: s,
  }));
}
