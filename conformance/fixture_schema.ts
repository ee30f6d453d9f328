/**
 * The shape of a fixture file, validated before anything runs. A broken
 * fixture is an error that names the file and the path inside it. The JSON
 * Schema export (`fixtures/fixture.schema.json`) gives editors completion.
 */
import { z } from "zod";
import { ERROR_CODES } from "../src/contract/errors.ts";
import { CLAUSE_IDS } from "./clauses.ts";
import { TRANSFORM_NAMES } from "./token_transforms.ts";
import { TARGET_VARIABLES, type TargetVariable } from "./variables.ts";

/** What a case may need from the target; a case whose need is missing is skipped, not failed. */
export const NEEDS = [...TARGET_VARIABLES, "signingKey", "jwks"] as unknown as [Need, ...Need[]];
export type Need = TargetVariable | "signingKey" | "jwks";

const Name = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, { message: "must be a variable name: letters, digits, _" });

/** An HTTP request; strings may hold `{{variables}}`. */
export const FixtureRequest = z.strictObject({
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
  path: z.string().startsWith("/"),
  /** The bearer token, e.g. `{{serverToken}}`. */
  auth: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** A JSON body; a string that is exactly `{{name}}` takes the variable's value as is. */
  json: z.unknown().optional(),
  /** A raw body, sent as is (for malformed input). */
  body: z.string().optional(),
}).refine((r) => r.json === undefined || r.body === undefined, { message: "has both json and body" });

/** One check on a value found at `path` in the body (`a.b.0.c`, `items[*].id`). */
export const Assertion = z.strictObject({
  path: z.string(),
  equals: z.unknown().optional(),
  notEquals: z.unknown().optional(),
  contains: z.unknown().optional(),
  notContains: z.unknown().optional(),
  length: z.number().int().nonnegative().optional(),
  matches: z.string().optional(),
  exists: z.boolean().optional(),
  /** How many items of the list at `path` equal `of`. */
  count: z.strictObject({ of: z.unknown(), is: z.number().int().nonnegative() }).optional(),
});

/** What to check of a visitor token found in the body. */
export const TokenExpectation = z.strictObject({
  /** Where the token is in the body. */
  path: z.string(),
  header: z.record(z.string(), z.unknown()).optional(),
  claims: z.record(z.string(), z.unknown()).optional(),
  has: z.array(z.string()).optional(),
  lacks: z.array(z.string()).optional(),
  lifetime: z.strictObject({ min: z.number(), max: z.number() }).optional(),
  /** Verify the signature against the target's JWKS (not applicable when it publishes none). */
  signature: z.boolean().optional(),
});

/** What a response must be. */
export const Expectation = z.strictObject({
  status: z.union([z.number().int(), z.array(z.number().int())]).optional(),
  /** For a step sent `parallel` times: how many answers of each status. */
  statusCounts: z.record(z.string().regex(/^\d{3}$/), z.number().int()).optional(),
  /** Header values: exact, `{ "matches": regex }`, or `{ "absent": true }`. */
  headers: z
    .record(
      z.string(),
      z.union([z.string(), z.strictObject({ matches: z.string() }), z.strictObject({ absent: z.literal(true) })]),
    )
    .optional(),
  /** The problem `code` (the body must be `application/problem+json`). */
  code: z.enum(ERROR_CODES).optional(),
  /** Field paths the problem's `errors` must name. */
  errorPaths: z.array(z.string()).optional(),
  /** A published schema the body must match, by name (e.g. `SessionCreated`). */
  schema: z.string().optional(),
  /** A subset the body must contain. */
  body: z.unknown().optional(),
  assert: z.array(Assertion).optional(),
  token: TokenExpectation.optional(),
  /** Variables whose values must not appear anywhere in the body. */
  excludes: z.array(z.string()).optional(),
});

/** A step that sends a request. */
export const HttpStep = z.strictObject({
  name: z.string().min(1),
  request: FixtureRequest,
  expect: Expectation.optional(),
  /** Variables to take from the body, by path. */
  capture: z.record(Name, z.string()).optional(),
  /** Send the request this many times at once; captures come from the first success. */
  parallel: z.number().int().min(2).max(32).optional(),
});

/** A step that turns a captured token into an attack. */
export const TransformStep = z.strictObject({
  name: z.string().min(1),
  transform: z.enum(TRANSFORM_NAMES),
  input: z.string(),
  capture: Name,
});

/** A step that sets variables from others (e.g. keeps the server token before a rotation). */
export const SetStep = z.strictObject({
  name: z.string().min(1),
  set: z.record(Name, z.string()),
});

/** One case. */
export const FixtureCase = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: "must be kebab-case" }),
  title: z.string().min(1),
  clause: z.enum(CLAUSE_IDS),
  tags: z.array(z.string().regex(/^[a-z0-9-]+$/)).min(1),
  needs: z.array(z.enum(NEEDS)).default([]),
  /** Changes the target tenant's credentials: runs only when allowed, after the others. */
  destructive: z.boolean().default(false),
  steps: z.array(z.union([HttpStep, TransformStep, SetStep])).min(1),
});
export type FixtureCase = z.infer<typeof FixtureCase>;
export type HttpStep = z.infer<typeof HttpStep>;
export type TransformStep = z.infer<typeof TransformStep>;
export type SetStep = z.infer<typeof SetStep>;
export type Expectation = z.infer<typeof Expectation>;

/** A fixture file. */
export const FixtureFile = z.strictObject({
  $schema: z.string().optional(),
  suite: z.string().min(1),
  description: z.string().optional(),
  cases: z.array(FixtureCase).min(1),
});
export type FixtureFile = z.infer<typeof FixtureFile>;

/** The JSON Schema of fixture files, for editors. */
export function fixtureJsonSchema(): Record<string, unknown> {
  return {
    title: "SetChat conformance fixture file",
    ...z.toJSONSchema(FixtureFile, { io: "input", unrepresentable: "any" }),
  };
}
