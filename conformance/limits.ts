/**
 * The contract's limits, in one table: the bounds of `LIMITS` (body sizes,
 * custom data, nesting, a visitor token's length) and every bound the
 * published request schemas put on a field. docs/contract.md shows the table
 * and `fixtures/limits.json` is generated from it (`deno task docs`): each
 * limit is sent at the limit, which must be accepted, and one past it, which
 * must be refused. Both are rewritten together, and a test fails when either
 * is stale.
 */
import { z } from "zod";
import { LIMITS } from "../src/contract/common.ts";
import { MintVisitorTokenRequest } from "../src/contract/s2s.ts";
import { CreateConversationRequest, CreateSessionRequest, PostMessageRequest } from "../src/contract/widget.ts";
import { AgentConversationsQuery, AgentReplyRequest } from "../src/contract/agent.ts";
import type { FixtureCase, FixtureFile, Step } from "./fixture_schema.ts";
import { MAX_LIFETIME_SECONDS } from "./token_transforms.ts";

/** An endpoint whose limits are checked: how to reach it, and what a request it accepts looks like. */
interface Endpoint {
  name: string;
  method: "POST" | "GET";
  path: string;
  auth?: string;
  /** A body (or query) it accepts, which the limit's value is written into. */
  base: Record<string, unknown>;
  ok: number;
  /** Steps that make the variables the request uses. */
  setup: Step[];
  needs: ("tenantId" | "adminToken")[];
  surface: "s2s" | "widget" | "agent";
}

const SESSION: Step = {
  name: "a visitor opens a session",
  request: { method: "POST", path: "/api/widget/sessions", json: { siteApiKey: "{{siteApiKey}}" } },
  expect: { status: 201 },
  capture: { session: "sessionToken" },
};
const CONVERSATION: Step = {
  name: "the visitor writes",
  request: {
    method: "POST",
    path: "/api/widget/conversations",
    auth: "{{session}}",
    json: { kind: "chat", text: "Hello" },
  },
  expect: { status: 201 },
  capture: { conversation: "conversation.id" },
};

/** The endpoints whose bodies or queries have limits. */
export const ENDPOINTS = {
  mint: {
    name: "the mint body",
    method: "POST",
    path: "/api/widget/visitor-token",
    auth: "{{serverToken}}",
    base: { siteApiKey: "{{siteApiKey}}", externalUserId: "user-{{unique}}" },
    ok: 200,
    setup: [],
    needs: [],
    surface: "s2s",
  },
  session: {
    name: "the session body",
    method: "POST",
    path: "/api/widget/sessions",
    base: { siteApiKey: "{{siteApiKey}}" },
    ok: 201,
    setup: [],
    needs: [],
    surface: "widget",
  },
  conversation: {
    name: "a new conversation",
    method: "POST",
    path: "/api/widget/conversations",
    auth: "{{session}}",
    base: { kind: "ticket", subject: "Subject" },
    ok: 201,
    setup: [SESSION],
    needs: [],
    surface: "widget",
  },
  message: {
    name: "a visitor's message",
    method: "POST",
    path: "/api/widget/conversations/{{conversation}}/messages",
    auth: "{{session}}",
    base: { text: "Hello" },
    ok: 201,
    setup: [SESSION, CONVERSATION],
    needs: [],
    surface: "widget",
  },
  reply: {
    name: "an agent's reply",
    method: "POST",
    path: "/api/tenants/{{tenantId}}/conversations/{{conversation}}/messages",
    auth: "{{adminToken}}",
    base: { text: "Hello from support" },
    ok: 201,
    setup: [SESSION, CONVERSATION],
    needs: ["tenantId", "adminToken"],
    surface: "agent",
  },
  listing: {
    name: "the agent listing's query",
    method: "GET",
    path: "/api/tenants/{{tenantId}}/conversations",
    auth: "{{adminToken}}",
    base: {},
    ok: 200,
    setup: [],
    needs: ["tenantId", "adminToken"],
    surface: "agent",
  },
} as const satisfies Record<string, Endpoint>;

/** An endpoint's name. */
export type EndpointName = keyof typeof ENDPOINTS;

/** How a limit is measured. */
export type LimitKind =
  | "body bytes"
  | "characters"
  | "key characters"
  | "JSON bytes"
  | "levels"
  | "number"
  | "token characters"
  | "token seconds";

/** One limit of the contract. */
export interface ContractLimit {
  endpoint: EndpointName;
  /** The field it bounds (`user.email`), or `(body)` for the whole body. */
  field: string;
  kind: LimitKind;
  min?: number;
  max: number;
}

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  propertyNames?: JsonSchema;
  $ref?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  enum?: unknown[];
};

/** The bounds the published schema of a request puts on its fields, found by walking its JSON Schema. */
function schemaLimits(endpoint: EndpointName, schema: z.ZodType): ContractLimit[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema & {
    $defs?: Record<string, JsonSchema>;
  };
  const resolve = (s: JsonSchema): JsonSchema => s.$ref ? json.$defs![s.$ref.split("/").pop()!]! : s;
  const out: ContractLimit[] = [];
  const walk = (s: JsonSchema, path: string) => {
    const node = resolve(s);
    if (node.type === "string" && node.maxLength !== undefined && !node.enum) {
      out.push({
        endpoint,
        field: path,
        kind: "characters",
        ...(node.minLength ? { min: node.minLength } : {}),
        max: node.maxLength,
      });
    }
    if ((node.type === "integer" || node.type === "number") && node.maximum !== undefined) {
      out.push({
        endpoint,
        field: path,
        kind: "number",
        ...(node.minimum !== undefined ? { min: node.minimum } : {}),
        max: node.maximum,
      });
    }
    if (node.propertyNames?.maxLength !== undefined && path !== "") {
      out.push({
        endpoint,
        field: path,
        kind: "key characters",
        min: node.propertyNames.minLength ?? 0,
        max: node.propertyNames.maxLength,
      });
    }
    for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, path ? `${path}.${k}` : k);
  };
  walk(json, "");
  return out;
}

/** Fields whose value must name something that exists: a made-up value at the limit proves nothing. */
const REFERENCES = new Set(["siteApiKey", "visitorToken", "cursor"]);

/** Every limit of the contract, in the order docs/contract.md lists them. */
export function contractLimits(): ContractLimit[] {
  const fields = [
    ...schemaLimits("mint", MintVisitorTokenRequest),
    ...schemaLimits("session", CreateSessionRequest),
    ...schemaLimits("conversation", CreateConversationRequest),
    ...schemaLimits("message", PostMessageRequest),
    ...schemaLimits("reply", AgentReplyRequest),
    ...schemaLimits("listing", AgentConversationsQuery),
  ].filter((l) => !REFERENCES.has(l.field.split(".").pop()!));
  return [
    { endpoint: "mint", field: "(body)", kind: "body bytes", max: LIMITS.mintBodyBytes },
    ...(["session", "conversation", "message", "reply"] as const).map((endpoint) => ({
      endpoint,
      field: "(body)",
      kind: "body bytes" as const,
      max: LIMITS.bodyBytes,
    })),
    { endpoint: "mint", field: "metadata", kind: "levels", max: LIMITS.jsonDepth },
    { endpoint: "mint", field: "metadata", kind: "JSON bytes", max: LIMITS.customDataBytes },
    { endpoint: "session", field: "user.customData", kind: "JSON bytes", max: LIMITS.customDataBytes },
    { endpoint: "session", field: "visitorToken", kind: "token characters", max: LIMITS.visitorTokenChars },
    { endpoint: "session", field: "visitorToken", kind: "token seconds", max: MAX_LIFETIME_SECONDS },
    ...fields,
  ];
}

/** A visitor token at or one past a limit of tokens: re-signed with the target's key (not applicable without it). */
function tokenSteps(limit: ContractLimit, accepted: boolean): Step[] {
  const transform = limit.kind === "token seconds"
    ? accepted ? "resigned_lifetime_at_limit" : "resigned_lifetime_past_limit"
    : accepted
    ? "resigned_length_at_limit"
    : "resigned_length_past_limit";
  const size = accepted ? limit.max : limit.max + 1;
  const unit = limit.kind === "token seconds" ? "s of lifetime" : "characters";
  return [
    { name: `${transform}`, transform, input: "{{token}}", capture: accepted ? "atLimit" : "pastLimit" },
    {
      name: `a token of ${size} ${unit}: ${accepted ? "accepted" : "refused"}`,
      request: {
        method: "POST",
        path: "/api/widget/sessions",
        json: { siteApiKey: "{{siteApiKey}}", visitorToken: accepted ? "{{atLimit}}" : "{{pastLimit}}" },
      },
      expect: accepted
        ? { status: 201 }
        : { status: 401, code: "visitor_token_invalid", assert: [{ path: "sessionToken", exists: false }] },
    },
  ];
}

const MINT_A_TOKEN: Step = {
  name: "mint a visitor token",
  request: {
    method: "POST",
    path: "/api/widget/visitor-token",
    auth: "{{serverToken}}",
    json: { siteApiKey: "{{siteApiKey}}", externalUserId: "user-{{unique}}" },
  },
  expect: { status: 200 },
  capture: { token: "token" },
};

/** A string of `n` characters that the field's schema takes. */
function textOf(field: string, n: number): string {
  const last = field.split(".").pop()!;
  if (last === "email") return `${"a".repeat(Math.max(1, n - "@example.com".length))}@example.com`;
  return "x".repeat(n);
}

/** An object nested `levels` deep below the body's own level: `{ "a": { "a": … } }`. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

/** A JSON object that serialises to exactly `bytes` bytes: `{"k":"xxx…"}`. */
function objectOfBytes(bytes: number): Record<string, unknown> {
  return { k: "x".repeat(bytes - '{"k":""}'.length) };
}

function setField(base: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const out = structuredClone(base);
  const keys = field.split(".");
  let at = out;
  for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  return out;
}

/** How a body goes: with its length, in pieces (chunked), or with its length given twice. */
type Framing = "length" | "chunks" | "length twice";

const FRAMING_WORDS: Record<Framing, string> = {
  "length": "",
  "chunks": ", in pieces",
  "length twice": ", its length given twice",
};

/** The request that sends `size` units of the limit, and how it may be sent. */
function request(
  limit: ContractLimit,
  size: number,
  framing: Framing = "length",
): NonNullable<Extract<Step, { request: unknown }>["request"]> {
  const e: Endpoint = ENDPOINTS[limit.endpoint];
  const auth = e.auth === undefined ? {} : { auth: e.auth };
  if (e.method === "GET") {
    return { method: "GET", path: `${e.path}?${limit.field}=${size}`, ...auth };
  }
  let json: Record<string, unknown> = { ...e.base };
  if (limit.kind === "body bytes") {
    return {
      method: e.method,
      path: e.path,
      ...auth,
      json,
      padTo: size,
      ...(framing === "chunks"
        ? { chunked: true as const }
        : framing === "length twice"
        ? { lengthTwice: true as const }
        : {}),
    };
  }
  if (limit.kind === "levels") json = setField(json, limit.field, nested(size - limit.field.split(".").length));
  else if (limit.kind === "JSON bytes") json = setField(json, limit.field, objectOfBytes(size));
  else if (limit.kind === "key characters") json = setField(json, limit.field, { ["k".repeat(size)]: 1 });
  else {
    const value = textOf(limit.field, size);
    json = setField(
      json,
      limit.field,
      limit.field.endsWith("workspace.externalId") ? value.replaceAll("x", "w") : value,
    );
  }
  return { method: e.method, path: e.path, ...auth, json };
}

/** How a refusal one past a limit answers: any 4xx, recommended the limit's own status. */
function refusal(limit: ContractLimit, size: number): Extract<Step, { request: unknown }>["expect"] {
  const tooLarge = limit.kind === "body bytes";
  return {
    status: tooLarge ? 413 : 400,
    code: tooLarge ? "body_too_large" : "invalid_request",
    ...(tooLarge ? {} : { errorPaths: [errorPath(limit, size)] }),
  };
}

function errorPath(limit: ContractLimit, size: number): string {
  return limit.kind === "key characters" ? `${limit.field}.${"k".repeat(size)}` : limit.field;
}

/** The id of a limit's case. */
export function limitCaseId(limit: ContractLimit, bound: "max" | "min"): string {
  const field = limit.field === "(body)"
    ? "body"
    : limit.field.replaceAll(".", "-").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const kind = limit.kind.toLowerCase().replace(/ /g, "-");
  return `limit-${limit.endpoint}-${field}-${kind}${bound === "min" ? "-min" : ""}`;
}

/** One case per bound: the value at the bound accepted, one past it refused. */
function limitCases(limit: ContractLimit): FixtureCase[] {
  const e: Endpoint = ENDPOINTS[limit.endpoint];
  const unit = limit.kind === "body bytes" || limit.kind === "JSON bytes"
    ? "bytes"
    : limit.kind === "number"
    ? ""
    : limit.kind;
  const what = `${limit.field === "(body)" ? e.name : `"${limit.field}" of ${e.name}`}`;
  const base = {
    clause: "LIMITS" as const,
    tags: ["limits", e.surface === "s2s" ? "s2s" : e.surface === "widget" ? "session" : "agent"],
    level: "reference" as const,
    needs: [...e.needs],
    destructive: false,
  };
  const accepted = (size: number, framing: Framing = "length"): Step => ({
    name: `${size}${unit ? ` ${unit}` : ""}${FRAMING_WORDS[framing]}: accepted`,
    request: request(limit, size, framing),
    expect: { status: e.ok },
  });
  const refused = (size: number, framing: Framing = "length"): Step => ({
    name: `${size}${unit ? ` ${unit}` : ""}${FRAMING_WORDS[framing]}: refused`,
    request: request(limit, size, framing),
    expect: refusal(limit, size),
  });
  if (limit.kind === "token characters" || limit.kind === "token seconds") {
    const unitText = limit.kind === "token seconds" ? "seconds of lifetime" : "characters";
    return [{
      ...base,
      id: limitCaseId(limit, "max"),
      title: `A visitor token of ${limit.max} ${unitText} accepted, ${limit.max + 1} refused`,
      steps: [MINT_A_TOKEN, ...tokenSteps(limit, true), ...tokenSteps(limit, false)],
    }];
  }
  const out: FixtureCase[] = [{
    ...base,
    id: limitCaseId(limit, "max"),
    title: `${what[0]!.toUpperCase()}${what.slice(1)}: ${limit.max}${unit ? ` ${unit}` : ""} accepted, ${
      limit.max + 1
    } refused`,
    steps: [
      ...e.setup,
      accepted(limit.max),
      refused(limit.max + 1),
      ...(limit.kind === "body bytes"
        ? (["chunks", "length twice"] as const).flatMap((f) => [accepted(limit.max, f), refused(limit.max + 1, f)])
        : []),
    ],
  }];
  if (limit.min !== undefined && limit.min > 0) {
    out.push({
      ...base,
      id: limitCaseId(limit, "min"),
      title: `${what[0]!.toUpperCase()}${what.slice(1)}: ${limit.min}${unit ? ` ${unit}` : ""} accepted, ${
        limit.min - 1
      } refused`,
      steps: [...e.setup, accepted(limit.min), refused(limit.min - 1)],
    });
  }
  return out;
}

/** The fixture file of the limits: `fixtures/limits.json`. */
export function limitsFixture(limits: ContractLimit[] = contractLimits()): FixtureFile {
  return {
    $schema: "./fixture.schema.json",
    suite: "Limits",
    description: "Generated from the contract's table of limits (conformance/limits.ts, `deno task docs`): " +
      "each limit at the limit, accepted, and one past it, refused. Do not edit by hand.",
    cases: limits.flatMap(limitCases),
  };
}

/** The table of limits docs/contract.md shows. */
export function limitsTableMarkdown(limits: ContractLimit[] = contractLimits()): string {
  const rows = limits.map((l) => {
    const e: Endpoint = ENDPOINTS[l.endpoint];
    const bound = l.min !== undefined && l.min > 0 ? `${l.min} to ${l.max}` : `at most ${l.max}`;
    const field = l.field === "(body)" ? "the whole body" : `\`${l.field}\``;
    const path = e.path.replace("{{conversation}}", ":conversationId").replace(/\{\{(\w+)\}\}/g, ":$1");
    return `| \`${e.method} ${path}\` | ${field} | ${bound} ${l.kind} |`;
  });
  return ["| endpoint | what | limit |", "|---|---|---|", ...rows].join("\n");
}
