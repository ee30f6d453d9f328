/** Checks a response against a step's expectation; each failure says what was expected and what came. */
import * as jose from "jose";
import type { Expectation } from "./fixture_schema.ts";
import { PUBLISHED_SCHEMAS } from "./schemas.ts";
import { matchesSubset, select } from "./template.ts";

/** A response as the runner keeps it. */
export interface Received {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** What checking a token may need from the run. */
export interface ExpectContext {
  /** The target's JWKS, or `null` when it publishes none. */
  jwks: () => Promise<jose.JSONWebKeySet | null>;
  /** Values of the variables `excludes` names. */
  values: (name: string) => unknown;
}

/** A check that could not be made against this target: the case is skipped, not failed. */
export class NotApplicable extends Error {
  override name = "NotApplicable";
}

const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));

function checkAssertion(body: unknown, a: NonNullable<Expectation["assert"]>[number]): string | undefined {
  const v = select(body, a.path);
  const at = `"${a.path}"`;
  if (a.exists !== undefined && (v !== undefined) !== a.exists) {
    return `${at}: expected ${a.exists ? "a value" : "nothing"}, got ${show(v)}`;
  }
  if ("equals" in a && !matchesSubset(v, a.equals)) return `${at}: expected ${show(a.equals)}, got ${show(v)}`;
  if ("notEquals" in a && matchesSubset(v, a.notEquals)) return `${at}: expected anything but ${show(a.notEquals)}`;
  if (a.contains !== undefined && !(Array.isArray(v) && v.some((x) => matchesSubset(x, a.contains)))) {
    return `${at}: expected a list containing ${show(a.contains)}, got ${show(v)}`;
  }
  if (a.notContains !== undefined && Array.isArray(v) && v.some((x) => matchesSubset(x, a.notContains))) {
    return `${at}: expected a list without ${show(a.notContains)}, got ${show(v)}`;
  }
  if (a.notContains !== undefined && !Array.isArray(v)) return `${at}: expected a list, got ${show(v)}`;
  if (a.length !== undefined && !(Array.isArray(v) && v.length === a.length)) {
    return `${at}: expected ${a.length} items, got ${Array.isArray(v) ? v.length : show(v)}`;
  }
  if (a.matches !== undefined && !(typeof v === "string" && new RegExp(a.matches).test(v))) {
    return `${at}: expected to match /${a.matches}/, got ${show(v)}`;
  }
  if (a.count !== undefined) {
    const n = Array.isArray(v) ? v.filter((x) => matchesSubset(x, a.count!.of)).length : -1;
    if (n !== a.count.is) return `${at}: expected ${a.count.is} × ${show(a.count.of)}, got ${n < 0 ? show(v) : n}`;
  }
  return undefined;
}

async function checkToken(body: unknown, t: NonNullable<Expectation["token"]>, ctx: ExpectContext): Promise<string[]> {
  const token = select(body, t.path);
  if (typeof token !== "string") return [`token at "${t.path}": expected a JWT, got ${show(token)}`];
  let header: jose.ProtectedHeaderParameters;
  let claims: jose.JWTPayload;
  try {
    header = jose.decodeProtectedHeader(token);
    claims = jose.decodeJwt(token);
  } catch (error) {
    return [`token at "${t.path}": not a JWT (${(error as Error).message})`];
  }
  const problems: string[] = [];
  for (const [k, v] of Object.entries(t.header ?? {})) {
    if (!matchesSubset((header as Record<string, unknown>)[k], v)) {
      problems.push(`token header "${k}": expected ${show(v)}, got ${show((header as Record<string, unknown>)[k])}`);
    }
  }
  for (const [k, v] of Object.entries(t.claims ?? {})) {
    if (!matchesSubset(claims[k], v)) problems.push(`token claim "${k}": expected ${show(v)}, got ${show(claims[k])}`);
  }
  for (const k of t.has ?? []) if (claims[k] === undefined && k !== "kid") problems.push(`token claim "${k}": missing`);
  if ((t.has ?? []).includes("kid") && typeof header.kid !== "string") problems.push(`token header "kid": missing`);
  for (const k of t.lacks ?? []) {
    if (claims[k] !== undefined) problems.push(`token claim "${k}": expected absent, got ${show(claims[k])}`);
  }
  if (t.lifetime) {
    const life = (claims.exp ?? 0) - (claims.iat ?? 0);
    if (life < t.lifetime.min || life > t.lifetime.max) {
      problems.push(`token lifetime: expected ${t.lifetime.min} to ${t.lifetime.max} s, got ${life} s`);
    }
  }
  if (t.signature) {
    const jwks = await ctx.jwks();
    if (!jwks) throw new NotApplicable("the target publishes no JWKS, so its signatures cannot be checked");
    try {
      await jose.compactVerify(token, jose.createLocalJWKSet(jwks));
    } catch (error) {
      problems.push(`token signature: does not verify against the target's JWKS (${(error as Error).message})`);
    }
  }
  return problems;
}

/** Every way `received` misses `expect`; empty when it meets it. */
export async function check(received: Received, expect: Expectation, ctx: ExpectContext): Promise<string[]> {
  const problems: string[] = [];
  const { status, headers, json, text } = received;
  if (expect.status !== undefined) {
    const allowed = Array.isArray(expect.status) ? expect.status : [expect.status];
    if (!allowed.includes(status)) problems.push(`status: expected ${allowed.join(" or ")}, got ${status}`);
  }
  for (const [name, want] of Object.entries(expect.headers ?? {})) {
    const got = headers.get(name);
    if (typeof want === "string") {
      if (got !== want) problems.push(`header ${name}: expected "${want}", got ${got === null ? "none" : `"${got}"`}`);
    } else if ("absent" in want) {
      if (got !== null) problems.push(`header ${name}: expected none, got "${got}"`);
    } else if (got === null || !new RegExp(want.matches).test(got)) {
      problems.push(`header ${name}: expected to match /${want.matches}/, got ${got === null ? "none" : `"${got}"`}`);
    }
  }
  if (expect.code !== undefined) {
    const type = headers.get("content-type") ?? "";
    if (!type.startsWith("application/problem+json")) {
      problems.push(`content-type: expected application/problem+json, got "${type}"`);
    }
    const code = select(json, "code");
    if (code !== expect.code) problems.push(`problem code: expected "${expect.code}", got ${show(code)}`);
  }
  if (expect.errorPaths) {
    const paths = select(json, "errors[*].path");
    for (const p of expect.errorPaths) {
      if (!Array.isArray(paths) || !paths.includes(p)) {
        problems.push(`problem errors: expected an entry for "${p}", got ${show(paths)}`);
      }
    }
  }
  if (expect.schema !== undefined) {
    const schema = PUBLISHED_SCHEMAS.get(expect.schema);
    if (!schema) throw new Error(`Cannot check the body: no published schema is named "${expect.schema}"`);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
      problems.push(`body does not match ${expect.schema}: ${first.join("; ")}`);
    }
  }
  if (expect.body !== undefined && !matchesSubset(json, expect.body)) {
    problems.push(`body: expected to contain ${show(expect.body)}`);
  }
  for (const a of expect.assert ?? []) {
    const problem = checkAssertion(json, a);
    if (problem) problems.push(problem);
  }
  if (expect.token) problems.push(...await checkToken(json, expect.token, ctx));
  for (const name of expect.excludes ?? []) {
    const value = ctx.values(name);
    if (typeof value === "string" && value.length >= 8 && text.includes(value)) {
      problems.push(`body: contains the value of {{${name}}}, which must never be returned`);
    }
  }
  return problems;
}
