/**
 * The shape of a fixture file, validated before anything runs. A broken
 * fixture is an error that names the file and the path inside it. The JSON
 * Schema export (`fixtures/fixture.schema.json`) gives editors completion.
 *
 * Every check has a level. A case has one (`must` unless it says), a step may
 * lower it, and inside `expect` the `should` and `reference` blocks hold the
 * checks of those levels: `{ "status": 401, "should": { "problem": true },
 * "reference": { "code": "auth_missing" } }`.
 */
import { z } from "zod";
import { ERROR_CODES } from "../src/contract/errors.ts";
import { CLAUSE_IDS } from "./clauses.ts";
import { LEVELS } from "./levels.ts";
import { TRANSFORM_NAMES } from "./token_transforms.ts";
import { TARGET_VARIABLES, type TargetVariable } from "./variables.ts";
import { DISCOVERED_VARIABLES, type DiscoveredVariable } from "./discovered.ts";

/** What a case may need from the target; a case whose need is missing is skipped, not failed. */
export const NEEDS = [...TARGET_VARIABLES, ...DISCOVERED_VARIABLES, "signingKey", "jwks", "clock"] as unknown as [
  Need,
  ...Need[],
];
export type Need = TargetVariable | DiscoveredVariable | "signingKey" | "jwks" | "clock";

const Name = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, { message: "must be a variable name: letters, digits, _" });
const Level = z.enum(LEVELS);

/** An HTTP request; strings may hold `{{variables}}`. */
export const FixtureRequest = z.strictObject({
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
  /** A path of the target, or a path it declares in its discovery document (`{{tokenListing}}`). */
  path: z.string().regex(/^(\/|\{\{(widgetScript|tokenListing|foreignTokenListing)\}\})/, {
    message: 'must start with "/" or be a declared path ({{widgetScript}}, {{tokenListing}}, {{foreignTokenListing}})',
  }),
  /** The bearer token, e.g. `{{serverToken}}`. */
  auth: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** A JSON body; a string that is exactly `{{name}}` takes the variable's value as is. */
  json: z.unknown().optional(),
  /** A raw body, sent as is (for malformed input). */
  body: z.string().optional(),
  /** Pads the body with trailing spaces (JSON whitespace) to exactly this many bytes: a limit met to the byte. */
  padTo: z.number().int().positive().optional(),
  /** Sends the body in pieces, without a `Content-Length`, as a client streaming it would. */
  chunked: z.literal(true).optional(),
  /** Sends the body with no `Content-Type` header at all. */
  noContentType: z.literal(true).optional(),
  /** A raw body as base64, sent as these bytes (for bytes that are not UTF-8). */
  bodyBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: "must be base64" }).optional(),
  /** Sends a `Content-Length` of the whole body but only its first this many bytes, then nothing: a stalled client. */
  stallAfter: z.number().int().nonnegative().optional(),
  /** Sends the body as one chunk, then a chunk size that is not hexadecimal: framing no server can read. */
  brokenChunks: z.literal(true).optional(),
  /**
   * Sends the body whole with its `Content-Length` given twice, one value in each: HTTP lets a server read that as one
   * length or refuse the request (RFC 9110, 8.6), never read past a limit it holds.
   */
  lengthTwice: z.literal(true).optional(),
}).refine((r) => [r.json, r.body, r.bodyBase64].filter((b) => b !== undefined).length <= 1, {
  message: "has more than one of json, body and bodyBase64",
});

/**
 * One check on a value: found at `path` in the body (`a.b.0.c`, `items[*].id`),
 * or given as `value` (a template such as `"{{jtis}}"`).
 */
export const Assertion = z.strictObject({
  path: z.string().optional(),
  value: z.unknown().optional(),
  equals: z.unknown().optional(),
  notEquals: z.unknown().optional(),
  /** One of these values (each compared as `equals` does). */
  oneOf: z.array(z.unknown()).optional(),
  /** None of these values. */
  noneOf: z.array(z.unknown()).optional(),
  contains: z.unknown().optional(),
  notContains: z.unknown().optional(),
  length: z.number().int().nonnegative().optional(),
  matches: z.string().optional(),
  exists: z.boolean().optional(),
  type: z.enum(["string", "integer", "number", "boolean", "object", "array", "null"]).optional(),
  /** An object with some member equal to this (e.g. the claim, whatever its name, that names the tenant). */
  hasValue: z.unknown().optional(),
  /** A list whose items all differ. */
  distinct: z.literal(true).optional(),
  /** How many items of the list at `path` equal `of`. */
  count: z.strictObject({ of: z.unknown(), is: z.number().int().nonnegative() }).optional(),
  /** A list holding these values in this order, others allowed between them. */
  ordered: z.array(z.unknown()).min(2).optional(),
}).refine((a) => (a.path === undefined) !== (a.value === undefined), { message: "needs either path or value" });
export type Assertion = z.infer<typeof Assertion>;

/** What to check of a visitor token found in the body. */
export const TokenExpectation = z.strictObject({
  /** Where the token is in the body. */
  path: z.string(),
  /** Header members, compared exactly. */
  header: z.record(z.string(), z.unknown()).optional(),
  /** Claims, compared exactly (objects by subset). */
  claims: z.record(z.string(), z.unknown()).optional(),
  /** Claims (and `kid`, in the header) that must be there. */
  has: z.array(z.string()).optional(),
  lacks: z.array(z.string()).optional(),
  lifetime: z.strictObject({ min: z.number(), max: z.number() }).optional(),
  /** Body paths that state the lifetime in seconds: each must equal `exp - iat`. */
  lifetimeEquals: z.array(z.string()).optional(),
  /** `iat` is now, within the contract's clock skew. */
  issuedNow: z.literal(true).optional(),
  /** Verify the signature against the target's JWKS (not applicable when it publishes none). */
  signature: z.boolean().optional(),
  /** Checks on `header.*` and `claims.*`. */
  assert: z.array(Assertion).optional(),
});

const StatusSpec = z.union([z.number().int().min(100).max(599), z.string().regex(/^[1-5]xx$/)]);

/** The checks of one level. */
export const Checks = z.strictObject({
  /** A status, a class (`"4xx"`), or a list of either. */
  status: z.union([StatusSpec, z.array(StatusSpec).min(1)]).optional(),
  /** For a step sent `parallel` times: how many answers of each status. */
  statusCounts: z.record(z.string().regex(/^\d{3}$/), z.number().int()).optional(),
  /** Header values: exact, `{ "matches": regex }`, or `{ "absent": true }`. */
  headers: z
    .record(
      z.string(),
      z.union([z.string(), z.strictObject({ matches: z.string() }), z.strictObject({ absent: z.literal(true) })]),
    )
    .optional(),
  /** The body is an RFC 9457 problem (`application/problem+json`) naming its error by a `code` or a `type`. */
  problem: z.literal(true).optional(),
  /** The problem `code` of the reference's catalogue. */
  code: z.enum(ERROR_CODES).optional(),
  /** Field paths the problem's `errors` must name. */
  errorPaths: z.array(z.string()).optional(),
  /** Words the body must contain somewhere (e.g. the name of a refused field). */
  mentions: z.array(z.string()).optional(),
  /** This answer to HEAD is the answer to GET without its body: same status and headers, its length. */
  sameAsGet: z.literal(true).optional(),
  /** The body is a complete OpenAPI 3.1 document: every operation named, summarised and tagged, no text empty. */
  openapi: z.literal(true).optional(),
  /** A published schema the body must match, by name (e.g. `SessionCreated`). */
  schema: z.string().optional(),
  /** A subset the body must contain. */
  body: z.unknown().optional(),
  assert: z.array(Assertion).optional(),
  token: TokenExpectation.optional(),
  /** Variables whose values must not appear anywhere in the body. */
  excludes: z.array(z.string()).optional(),
});
export type Checks = z.infer<typeof Checks>;

/** What a response must be: checks at the step's level, and weaker ones in `should` and `reference`. */
export const Expectation = Checks.extend({
  should: Checks.optional(),
  reference: Checks.optional(),
});
export type Expectation = z.infer<typeof Expectation>;

/** Where a captured value comes from. */
export const CaptureSpec = z.union([
  z.string(),
  z.strictObject({
    path: z.string(),
    /** The value at `path` is a JWT: take this claim of it. */
    claim: z.string().optional(),
    /** For a step sent `parallel` times: a list of the value in every 2xx answer. */
    all: z.literal(true).optional(),
    /** Not an error when absent (a later step may run only `if` it is set). */
    optional: z.literal(true).optional(),
  }),
  /**
   * The new server token of a rotate answer, wherever it is: at the field the discovery document names, or the
   * one string of the answer that authenticates. The report says which field held it.
   */
  z.strictObject({ rotatedToken: z.literal(true), optional: z.literal(true).optional() }),
]);
export type CaptureSpec = z.infer<typeof CaptureSpec>;

const StepBase = {
  name: z.string().min(1),
  /** Lowers the level of this step's checks (never raises it). */
  level: Level.optional(),
  /** Runs only when this variable is set. */
  if: Name.optional(),
  /** Runs only when this variable is not set. */
  unless: Name.optional(),
};

/** A step that sends a request. */
export const HttpStep = z.strictObject({
  ...StepBase,
  request: FixtureRequest,
  expect: Expectation.optional(),
  /** Variables to take from the body, by path. */
  capture: z.record(Name, CaptureSpec).optional(),
  /** Send the request this many times at once; captures come from the first success. */
  parallel: z.number().int().min(2).max(32).optional(),
  /**
   * Walk a listing's pages to the end: the cursor each answer gives at `next`
   * goes back as the query parameter `param`, until there is none. The checks
   * then see the last answer with the list at `items` holding every page's
   * items, in order, and `pages` how many pages there were.
   */
  paginate: z.strictObject({
    items: z.string(),
    next: z.string(),
    param: z.string(),
    /** Pages to read at most before giving up: a cursor that never ends is a failure. */
    maxPages: z.number().int().min(2).max(1000).default(200),
  }).optional(),
});

/** A step that turns a captured token into an attack. */
export const TransformStep = z.strictObject({
  ...StepBase,
  transform: z.enum(TRANSFORM_NAMES),
  input: z.string(),
  capture: Name,
});

/** A step that sets variables from others (e.g. keeps the server token before a rotation). */
export const SetStep = z.strictObject({
  ...StepBase,
  set: z.record(Name, z.string()),
});

/** A step that checks values captured by earlier steps (e.g. that every `jti` differs). */
export const VerifyStep = z.strictObject({
  ...StepBase,
  verify: z.array(Assertion).min(1),
});

/**
 * A step that lets time pass, e.g. to see that a revocation still holds
 * later. With `advanceSeconds`, a target whose clock the run can move (see
 * {@linkcode ClockStep}) has its clock moved that far instead, at once and
 * further than a run could wait; any other target is waited on for `waitMs`.
 */
export const WaitStep = z.strictObject({
  ...StepBase,
  waitMs: z.number().int().min(1).max(10_000),
  advanceSeconds: z.number().int().min(1).max(7 * 86_400).optional(),
});

/**
 * A step that moves the target's clock (a target that declares a `testClock`,
 * such as the reference started with `--test-clock`): `freeze` stops it,
 * `advanceSeconds` moves it. The runner sets it back to the real time when
 * the case ends, and runs such cases one at a time.
 */
export const ClockStep = z.strictObject({
  ...StepBase,
  clock: z.strictObject({
    freeze: z.boolean().optional(),
    /** Seconds, or a variable holding them (such as a token's `expiresIn`). */
    advanceSeconds: z.union([
      z.number().int().min(-86_400).max(7 * 86_400),
      z.string().regex(/^\{\{\w+\}\}$/, { message: "must be a number of seconds or one {{variable}}" }),
    ]).optional(),
  }),
});

/** Any step. */
export const Step = z.union([HttpStep, TransformStep, SetStep, VerifyStep, WaitStep, ClockStep]);

/** One case. */
export const FixtureCase = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: "must be kebab-case" }),
  title: z.string().min(1),
  clause: z.enum(CLAUSE_IDS),
  tags: z.array(z.string().regex(/^[a-z0-9-]+$/)).min(1),
  /** The level of its checks, unless a step or an `expect` block lowers it. */
  level: Level.default("must"),
  needs: z.array(z.enum(NEEDS)).default([]),
  /** Can change the target tenant's credentials (on a correct target or a broken one): runs only when allowed, after the others. */
  destructive: z.boolean().default(false),
  steps: z.array(Step).min(1),
});
export type FixtureCase = z.infer<typeof FixtureCase>;
export type Step = z.infer<typeof Step>;
export type HttpStep = z.infer<typeof HttpStep>;
export type TransformStep = z.infer<typeof TransformStep>;
export type SetStep = z.infer<typeof SetStep>;
export type VerifyStep = z.infer<typeof VerifyStep>;
export type WaitStep = z.infer<typeof WaitStep>;
export type ClockStep = z.infer<typeof ClockStep>;

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
