/**
 * Negative inputs for every body and query of the contract, generated from
 * their published schemas (the zod schemas `/openapi.json` is built from):
 * each field, nested ones included, missing when required, `null`, of the
 * wrong type, empty, too long, and an unknown field beside it. The cases are
 * written to `fixtures/generated_inputs.json` by `deno task docs`, and a test
 * fails when that file is stale.
 *
 * The levels follow the contract: a missing field, a `null`, a wrong type and
 * an empty required string are refused with a 4xx and store nothing (must);
 * an empty optional string of the vendor's S2S body, a string past its bound
 * and an unknown field are refused too (should: the vendor docs bound and
 * name none of them). The status 400 and a problem are should; the
 * reference's codes and field paths, reference.
 */
import { z } from "zod";
import { type Endpoint, ENDPOINTS } from "./endpoints.ts";
import type { FixtureCase, FixtureFile, HttpStep, Step } from "./fixture_schema.ts";
import type { Level } from "./levels.ts";

type Json = Record<string, unknown>;

/** How a field is made wrong. */
type Kind = "missing" | "null" | "wrong type" | "empty" | "too long" | "unknown field";

/** A field of a body, found in its JSON Schema. */
interface Field {
  path: string[];
  schema: Json;
  required: boolean;
}

/** What it takes to send one endpoint's body, and to see that a refused one stored nothing. */
interface Plan {
  /** Short name, in case ids: `input-<name>-<field>`. */
  name: string;
  /** What the request does, in titles: "mint a visitor token". */
  does: string;
  endpoint: Endpoint;
  auth?: string;
  /** Steps that capture what the path and `auth` need. */
  setup: Step[];
  /** A valid body. */
  base: Json;
  /** Another valid body for the fields that only it allows (a ticket's subject). */
  bases?: Record<string, Json>;
  /** A valid value of each nested object, to test its fields in. */
  nested?: Record<string, Json>;
  /** A path only a success has: its absence shows a refusal created nothing. */
  success: string;
  /** A read, and what it shows when nothing was stored. */
  observe?: Pick<HttpStep, "request"> & { assert: NonNullable<NonNullable<HttpStep["expect"]>["assert"]> };
}

const endpoint = (method: string, path: string): Endpoint => {
  const found = ENDPOINTS.find((e) => e.method === method && e.path === path);
  if (!found?.body) throw new TypeError(`Cannot plan negative inputs: no body for ${method} ${path}`);
  return found;
};

const OPEN: Step = {
  name: "open a session",
  request: { method: "POST", path: "/api/widget/sessions", json: { siteApiKey: "{{siteApiKey}}" } },
  expect: { status: 201 },
  capture: { aSession: "sessionToken" },
};
const START: Step = {
  name: "start a conversation",
  request: {
    method: "POST",
    path: "/api/widget/conversations",
    auth: "{{aSession}}",
    json: { kind: "chat", text: "Hello {{unique}}" },
  },
  expect: { status: 201 },
  capture: { conversation: "conversation.id" },
};
const ONE_MESSAGE = {
  request: {
    method: "GET" as const,
    path: "/api/widget/conversations/{{conversation}}/messages",
    auth: "{{aSession}}",
  },
  assert: [{ path: "messages", length: 1 }],
};

/** Every endpoint with a body, and how to reach it. */
const PLANS: Plan[] = [
  {
    name: "mint",
    does: "minting a visitor token",
    endpoint: endpoint("POST", "/api/widget/visitor-token"),
    auth: "{{serverToken}}",
    setup: [],
    base: { siteApiKey: "{{siteApiKey}}", externalUserId: "user-{{unique}}" },
    nested: { workspace: { externalId: "w-{{unique}}" } },
    success: "token",
  },
  {
    name: "session",
    does: "opening a session",
    endpoint: endpoint("POST", "/api/widget/sessions"),
    setup: [],
    base: { siteApiKey: "{{siteApiKey}}" },
    nested: { workspace: { externalId: "w-{{unique}}" }, user: { name: "Ada" } },
    success: "sessionToken",
  },
  {
    name: "conversation",
    does: "starting a conversation",
    endpoint: endpoint("POST", "/api/widget/conversations"),
    auth: "{{aSession}}",
    setup: [OPEN],
    base: { kind: "chat", text: "Hello" },
    bases: { subject: { kind: "ticket", subject: "Refund" }, flowId: { kind: "flow", flowId: "welcome" } },
    success: "conversation.id",
    observe: {
      request: { method: "GET", path: "/api/widget/conversations", auth: "{{aSession}}" },
      assert: [{ path: "conversations", length: 0 }],
    },
  },
  {
    name: "message",
    does: "writing a message",
    endpoint: endpoint("POST", "/api/widget/conversations/{{conversation}}/messages"),
    auth: "{{aSession}}",
    setup: [OPEN, START],
    base: { text: "Hi" },
    success: "conversationId",
    observe: ONE_MESSAGE,
  },
  {
    name: "agent-reply",
    does: "replying as an agent",
    endpoint: endpoint("POST", "/api/tenants/{{tenantId}}/conversations/{{conversation}}/messages"),
    auth: "{{adminToken}}",
    setup: [OPEN, START],
    base: { text: "On it" },
    success: "conversationId",
    observe: ONE_MESSAGE,
  },
];

/** The body schema of an endpoint as JSON Schema, and its definitions. */
function jsonSchemaOf(schema: z.ZodType): { root: Json; defs: Json } {
  const doc = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  const defs = (doc.$defs ?? {}) as Json;
  return { root: resolve(doc, defs), defs };
}

function resolve(schema: Json, defs: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  return resolve(defs[ref.replace("#/$defs/", "")] as Json, defs);
}

/** The fields of an object schema, depth first, nested objects' fields after their own. */
function fieldsOf(schema: Json, defs: Json, prefix: string[] = []): Field[] {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).flatMap(([name, raw]) => {
    const field = resolve(raw, defs);
    const path = [...prefix, name];
    return [
      { path, schema: field, required: required.has(name) },
      ...(field.properties ? fieldsOf(field, defs, path) : []),
    ];
  });
}

function typeOf(schema: Json): string {
  if (Array.isArray(schema.enum)) return "string";
  if (typeof schema.type === "string") return schema.type;
  return "object";
}

/** A value of another JSON type than the schema's. */
function wrongType(schema: Json): unknown {
  switch (typeOf(schema)) {
    case "string":
      return 12345;
    case "number":
    case "integer":
      return "12";
    case "boolean":
      return "yes";
    case "array":
      return { a: 1 };
    default:
      return "text";
  }
}

/** A string well past the schema's bound. */
function tooLong(schema: Json): string {
  const max = schema.maxLength as number;
  return schema.format === "email" ? `${"a".repeat(max)}@example.com` : "x".repeat(max * 2);
}

/** The kinds of wrong value a field can take, each with its level. */
function kindsOf(field: Field, plan: Plan): [Kind, Level][] {
  const kinds: [Kind, Level][] = [];
  if (field.required) kinds.push(["missing", "must"]);
  kinds.push(["null", "must"], ["wrong type", "must"]);
  const type = typeOf(field.schema);
  const emptiable = Array.isArray(field.schema.enum) || (type === "string" && Number(field.schema.minLength) >= 1);
  // The vendor docs name the S2S body's optional fields without bounding them: refusing them empty is recommended.
  if (emptiable) kinds.push(["empty", field.required || plan.endpoint.surface !== "s2s" ? "must" : "should"]);
  if (type === "string" && typeof field.schema.maxLength === "number") kinds.push(["too long", "should"]);
  if (field.schema.properties && field.schema.additionalProperties === false) kinds.push(["unknown field", "should"]);
  return kinds;
}

const UNKNOWN = "notAField";

/** A valid body with the field made wrong in the given way. */
function bodyFor(plan: Plan, path: string[], kind: Kind, schema: Json): Json {
  const body = structuredClone((path[0] && plan.bases?.[path[0]]) ?? plan.base) as Json;
  if (path.length === 0) return { ...body, [UNKNOWN]: "x" };
  let parent = body;
  for (const key of path.slice(0, -1)) {
    if (parent[key] === undefined) parent[key] = structuredClone(plan.nested?.[key] ?? {});
    parent = parent[key] as Json;
  }
  const last = path.at(-1)!;
  if (kind !== "missing" && parent[last] === undefined && plan.nested?.[last]) {
    parent[last] = structuredClone(plan.nested[last]);
  }
  switch (kind) {
    case "missing":
      delete parent[last];
      break;
    case "null":
      parent[last] = null;
      break;
    case "wrong type":
      parent[last] = wrongType(schema);
      break;
    case "empty":
      parent[last] = "";
      break;
    case "too long":
      parent[last] = tooLong(schema);
      break;
    case "unknown field":
      (parent[last] as Json)[UNKNOWN] = "x";
      break;
  }
  return body;
}

/** One negative input, and for a plan that can see them, the read that shows nothing was stored. */
function stepsFor(plan: Plan, path: string[], kind: Kind, level: Level, schema: Json): Step[] {
  const field = path.join(".");
  const errorPath = kind === "unknown field" ? [...path, UNKNOWN].join(".") : field;
  const what = kind !== "unknown field"
    ? `"${field}" ${kind}`
    : `an unknown field in ${field ? `"${field}"` : "the body"}`;
  const send: HttpStep = {
    name: what,
    request: {
      method: plan.endpoint.method,
      path: plan.endpoint.path,
      ...(plan.auth ? { auth: plan.auth } : {}),
      json: bodyFor(plan, path, kind, schema),
    },
    expect: level === "must"
      ? {
        status: "4xx",
        assert: [{ path: plan.success, exists: false }],
        should: { status: 400, problem: true },
        reference: { code: "invalid_request", errorPaths: [errorPath] },
      }
      : {
        status: ["2xx", "4xx"],
        should: { status: 400, problem: true },
        reference: { code: kind === "unknown field" ? "unknown_field" : "invalid_request", errorPaths: [errorPath] },
      },
    ...(level === "must" ? {} : { capture: { accepted: { path: plan.success, optional: true as const } } }),
  };
  if (!plan.observe) return [send];
  const observe: HttpStep = {
    name: `nothing stored after ${what}`,
    // A target may accept what is only recommended against: then it stored it, and rightly.
    ...(level === "must" ? {} : { unless: "accepted" }),
    request: plan.observe.request,
    expect: { status: 200, assert: plan.observe.assert },
  };
  return [send, observe];
}

/** `externalUserId` as `external-user-id`, for case ids. */
function kebab(path: string[]): string {
  return path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()).join("-");
}

/** The negative-input cases of every endpoint with a body. */
export function negativeInputCases(): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const plan of PLANS) {
    const { root, defs } = jsonSchemaOf(plan.endpoint.body!);
    const surface = plan.endpoint.surface;
    const rootCase: FixtureCase = {
      id: `input-${plan.name}-unknown-field`,
      title: `Refuses an unknown field in the body when ${plan.does} (recommended), storing nothing`,
      clause: "INPUT",
      tags: ["input", "generated", surface],
      level: "must",
      needs: [],
      destructive: false,
      steps: [...plan.setup, ...stepsFor(plan, [], "unknown field", "should", root)],
    };
    for (const field of fieldsOf(root, defs)) {
      const kinds = kindsOf(field, plan);
      const ordered = [...kinds.filter(([, l]) => l === "must"), ...kinds.filter(([, l]) => l !== "must")];
      const name = field.path.join(".");
      const said = (level: Level) =>
        kinds.filter(([, l]) => l === level).map(([k]) => k === "unknown field" ? "with an unknown field" : k)
          .join(", ");
      const recommended = said("should");
      cases.push({
        id: `input-${plan.name}-${kebab(field.path)}`,
        title: `Refuses "${name}" ${said("must")}${recommended ? ` (recommended: ${recommended} too)` : ""} when ` +
          `${plan.does}, storing nothing`,
        clause: "INPUT",
        tags: ["input", "generated", surface],
        level: "must",
        needs: [],
        destructive: false,
        steps: [
          ...plan.setup,
          ...ordered.flatMap(([kind, level]) => stepsFor(plan, field.path, kind, level, field.schema)),
        ],
      });
    }
    cases.push(rootCase);
  }
  return cases;
}

/** A query parameter made wrong: its value, the level of refusing it, and what that value is. */
type QueryInput = [value: string, level: Level, what: string];

/** Every query of the contract, and the wrong values of each parameter. */
const QUERIES: {
  name: string;
  does: string;
  path: string;
  auth: string;
  setup: Step[];
  params: Record<string, QueryInput[]>;
}[] = [
  {
    name: "agent-list",
    does: "listing a tenant's conversations",
    path: "/api/tenants/{{tenantId}}/conversations",
    auth: "{{adminToken}}",
    setup: [],
    params: {},
  },
  {
    name: "poll",
    does: "polling a conversation's messages",
    path: "/api/widget/conversations/{{conversation}}/messages",
    auth: "{{aSession}}",
    setup: [OPEN, START],
    params: {},
  },
];

/** The wrong values of a query parameter, from its published schema. */
function queryInputs(name: string, schema: Json): QueryInput[] {
  // `after` names a message of the conversation: a value that names none is refused, as the contract says.
  if (name === "after") {
    return [["garbage-{{unique}}", "must", "a value that names no message"], ["", "should", "empty"], [
      "x".repeat(200),
      "must",
      "far too long",
    ]];
  }
  const inputs: QueryInput[] = [["", "should", "empty"]];
  if (schema.type === "integer" || schema.type === "number") {
    inputs.push(["abc", "should", "not a number"], ["1.5", "should", "not a whole number"]);
    if (typeof schema.minimum === "number") inputs.push([String(schema.minimum - 1), "should", "below its minimum"]);
    if (typeof schema.maximum === "number") inputs.push([String(schema.maximum * 1000), "should", "past its maximum"]);
  } else {
    inputs.push(["garbage-{{unique}}", "should", "a value the target never gave"]);
    if (typeof schema.maxLength === "number") inputs.push(["x".repeat(schema.maxLength * 2), "should", "too long"]);
  }
  return inputs;
}

/** The negative-input cases of every query. */
export function negativeQueryCases(): FixtureCase[] {
  const schemas = new Map(ENDPOINTS.filter((e) => e.query).map((e) => [e.path, e.query!]));
  return QUERIES.flatMap((q) => {
    const { root } = jsonSchemaOf(schemas.get(q.path)!);
    return Object.entries((root.properties ?? {}) as Record<string, Json>).map(([param, schema]): FixtureCase => ({
      id: `input-${q.name}-${kebab([param])}`,
      title:
        `Answers a bad "${param}" when ${q.does} with a 4xx (recommended, unless the contract says more), never a ` +
        "5xx",
      clause: "INPUT",
      tags: ["input", "generated", ENDPOINTS.find((e) => e.path === q.path)!.surface],
      level: "must",
      needs: [],
      destructive: false,
      steps: [
        ...q.setup,
        ...queryInputs(param, schema).map(([value, level, what]): Step => ({
          name: `"${param}" ${what}`,
          request: { method: "GET", path: `${q.path}?${param}=${encodeQuery(value)}`, auth: q.auth },
          expect: level === "must"
            ? { status: "4xx", should: { status: 400, problem: true }, reference: { code: "invalid_request" } }
            : { status: ["2xx", "4xx"], should: { status: "4xx" } },
        })),
      ],
    }));
  });
}

/** A query value as a URL writes it, its `{{variables}}` kept for the runner. */
function encodeQuery(value: string): string {
  return value.split(/(\{\{[^}]+\}\})/).map((part) => part.startsWith("{{") ? part : encodeURIComponent(part)).join("");
}

/** The generated fixture file. */
export function negativeInputFile(): FixtureFile {
  return {
    $schema: "./fixture.schema.json",
    suite: "Negative inputs, generated from the published request schemas",
    description: "Written by `deno task docs` from conformance/negative_inputs.ts: do not edit by hand. Each field " +
      "of each body, nested ones included, missing, null, of the wrong type, empty, too long, and an unknown field; " +
      "each query parameter empty, of the wrong type, out of bounds, or naming nothing.",
    cases: [...negativeInputCases(), ...negativeQueryCases()],
  };
}
