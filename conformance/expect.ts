/**
 * Checks a response against the checks of one level. Each check yields an
 * outcome, passed or not, saying what was expected and what came: the runner
 * gives it its level.
 */
import * as jose from "jose";
import type { Assertion, Checks } from "./fixture_schema.ts";
import { PUBLISHED_SCHEMAS } from "./schemas.ts";
import { matchesSubset, select } from "./template.ts";
import { openApiProblem } from "./reference_checks.ts";
import { openApiContractProblem } from "./openapi_contract.ts";

/** A response as the runner keeps it. */
export interface Received {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
  /** When the request left and the answer came, in ms since the epoch. */
  sentAt: number;
  receivedAt: number;
}

/** What checking may need from the run. */
export interface ExpectContext {
  /** The target's JWKS, or `null` when it publishes none. */
  jwks: () => Promise<jose.JSONWebKeySet | null>;
  /** Values of the variables `excludes` names. */
  values: (name: string) => unknown;
}

/** One check made: `ok` is `null` when it could not be made against this target. */
export interface Outcome {
  check: string;
  ok: boolean | null;
  detail?: string;
}

/** The clock skew the contract allows between servers, in seconds. */
export const CLOCK_SKEW_SECONDS = 30;

const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));

function pass(check: string): Outcome {
  return { check, ok: true };
}

function judge(check: string, problem: string | undefined): Outcome {
  return problem === undefined ? pass(check) : { check, ok: false, detail: problem };
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** The first way `v` misses the assertion, or `undefined`. */
function assertionProblem(v: unknown, a: Assertion): string | undefined {
  // Through `[*]`, a value exists when any item has one.
  const present = a.path?.includes("[*]") && Array.isArray(v) ? v.some((x) => x !== undefined) : v !== undefined;
  if (a.exists !== undefined && present !== a.exists) {
    return `expected ${a.exists ? "a value" : "nothing"}, got ${show(v)}`;
  }
  if ("equals" in a && !matchesSubset(v, a.equals)) return `expected ${show(a.equals)}, got ${show(v)}`;
  if ("notEquals" in a && matchesSubset(v, a.notEquals)) return `expected anything but ${show(a.notEquals)}`;
  if (a.oneOf && !a.oneOf.some((x) => matchesSubset(v, x))) {
    return `expected one of ${show(a.oneOf)}, got ${show(v)}`;
  }
  if (a.noneOf && a.noneOf.some((x) => matchesSubset(v, x))) return `expected none of the earlier values, got it again`;
  if (a.type !== undefined) {
    const t = typeOf(v);
    if (t !== a.type && !(a.type === "number" && t === "integer")) return `expected a ${a.type}, got ${show(v)}`;
  }
  if (a.contains !== undefined && !(Array.isArray(v) && v.some((x) => matchesSubset(x, a.contains)))) {
    return `expected a list containing ${show(a.contains)}, got ${show(v)}`;
  }
  if (a.notContains !== undefined) {
    if (!Array.isArray(v)) return `expected a list, got ${show(v)}`;
    if (v.some((x) => matchesSubset(x, a.notContains))) return `expected a list without ${show(a.notContains)}`;
  }
  if (a.length !== undefined && !(Array.isArray(v) && v.length === a.length)) {
    return `expected ${a.length} items, got ${Array.isArray(v) ? v.length : show(v)}`;
  }
  if (a.matches !== undefined && !(typeof v === "string" && new RegExp(a.matches).test(v))) {
    return `expected to match /${a.matches}/, got ${show(v)}`;
  }
  if (a.hasValue !== undefined) {
    const values = v !== null && typeof v === "object" ? Object.values(v) : [];
    if (!values.some((x) => matchesSubset(x, a.hasValue))) return `expected a member equal to ${show(a.hasValue)}`;
  }
  if (a.distinct) {
    if (!Array.isArray(v)) return `expected a list, got ${show(v)}`;
    const seen = new Set(v.map((x) => JSON.stringify(x)));
    if (seen.size !== v.length) return `expected ${v.length} different values, got ${seen.size}`;
  }
  if (a.ordered !== undefined) {
    if (!Array.isArray(v)) return `expected a list, got ${show(v)}`;
    let at = 0;
    for (const x of v) if (at < a.ordered.length && matchesSubset(x, a.ordered[at])) at++;
    if (at < a.ordered.length) {
      return `expected ${show(a.ordered)} in this order, found the first ${at} only (then not ${show(a.ordered[at])})`;
    }
  }
  if (a.count !== undefined) {
    const n = Array.isArray(v) ? v.filter((x) => matchesSubset(x, a.count!.of)).length : -1;
    if (n !== a.count.is) return `expected ${a.count.is} × ${show(a.count.of)}, got ${n < 0 ? show(v) : n}`;
  }
  return undefined;
}

/** Checks an assertion on `subject` (by `path`) or on its rendered `value`. */
export function checkAssertion(subject: unknown, a: Assertion, label = ""): Outcome {
  const v = a.path !== undefined ? select(subject, a.path) : a.value;
  return judge(`${label}${a.path !== undefined ? `"${a.path}"` : "value"}`, assertionProblem(v, a));
}

async function checkToken(
  received: Received,
  t: NonNullable<Checks["token"]>,
  ctx: ExpectContext,
): Promise<Outcome[]> {
  const token = select(received.json, t.path);
  if (typeof token !== "string") return [judge(`token at "${t.path}"`, `expected a JWT, got ${show(token)}`)];
  let header: Record<string, unknown>;
  let claims: jose.JWTPayload;
  try {
    header = jose.decodeProtectedHeader(token) as Record<string, unknown>;
    claims = jose.decodeJwt(token);
  } catch (error) {
    return [judge(`token at "${t.path}"`, `not a JWT (${(error as Error).message})`)];
  }
  const out: Outcome[] = [];
  for (const [k, v] of Object.entries(t.header ?? {})) {
    out.push(
      judge(
        `token header "${k}"`,
        matchesSubset(header[k], v) ? undefined : `expected ${show(v)}, got ${show(header[k])}`,
      ),
    );
  }
  for (const [k, v] of Object.entries(t.claims ?? {})) {
    out.push(
      judge(
        `token claim "${k}"`,
        matchesSubset(claims[k], v) ? undefined : `expected ${show(v)}, got ${show(claims[k])}`,
      ),
    );
  }
  for (const k of t.has ?? []) {
    const there = k === "kid" ? typeof header.kid === "string" : claims[k] !== undefined;
    out.push(judge(k === "kid" ? `token header "kid"` : `token claim "${k}"`, there ? undefined : "missing"));
  }
  for (const k of t.lacks ?? []) {
    out.push(judge(`token claim "${k}" absent`, claims[k] === undefined ? undefined : `got ${show(claims[k])}`));
  }
  const life = typeof claims.exp === "number" && typeof claims.iat === "number" ? claims.exp - claims.iat : undefined;
  if (t.lifetime) {
    out.push(
      judge(
        "token lifetime",
        life !== undefined && life >= t.lifetime.min && life <= t.lifetime.max
          ? undefined
          : `expected ${t.lifetime.min} to ${t.lifetime.max} s from "iat" to "exp", got ${
            life === undefined ? "no iat or exp" : `${life} s`
          }`,
      ),
    );
  }
  for (const path of t.lifetimeEquals ?? []) {
    const stated = select(received.json, path);
    out.push(
      judge(
        `token lifetime equals "${path}"`,
        life !== undefined && stated === life
          ? undefined
          : `"exp" - "iat" is ${life === undefined ? "not known (no iat or exp)" : `${life} s`}, "${path}" says ${
            show(stated)
          }`,
      ),
    );
  }
  if (t.issuedNow) {
    const iat = claims.iat;
    const earliest = Math.floor(received.sentAt / 1000) - CLOCK_SKEW_SECONDS - 1;
    const latest = Math.ceil(received.receivedAt / 1000) + CLOCK_SKEW_SECONDS + 1;
    out.push(
      judge(
        `token "iat" is now`,
        typeof iat === "number" && iat >= earliest && iat <= latest
          ? undefined
          : `expected the time of minting (±${CLOCK_SKEW_SECONDS} s), got ${show(iat)}` +
            (typeof iat === "number" ? ` (${Math.round(iat - received.receivedAt / 1000)} s from now)` : ""),
      ),
    );
  }
  for (const a of t.assert ?? []) out.push(checkAssertion({ header, claims }, a, "token "));
  if (t.signature) {
    const jwks = await ctx.jwks();
    if (!jwks) {
      out.push({ check: "token signature", ok: null, detail: "the target publishes no JWKS to check it against" });
    } else {
      try {
        await jose.compactVerify(token, jose.createLocalJWKSet(jwks));
        out.push(pass("token signature"));
      } catch (error) {
        out.push(judge("token signature", `does not verify against the target's JWKS (${(error as Error).message})`));
      }
    }
  }
  return out;
}

function statusMatches(status: number, spec: number | string): boolean {
  return typeof spec === "number" ? status === spec : String(status)[0] === spec[0];
}

function checkProblem(received: Received): string | undefined {
  const type = received.headers.get("content-type") ?? "";
  if (!type.startsWith("application/problem+json")) return `expected application/problem+json, got "${type}"`;
  const body = received.json as Record<string, unknown> | undefined;
  if (body === null || typeof body !== "object" || Array.isArray(body)) return "expected a JSON object";
  if (body.status !== undefined && body.status !== received.status) {
    return `"status" says ${show(body.status)}, the answer is ${received.status}`;
  }
  const named = typeof body.code === "string" ||
    (typeof body.type === "string" && body.type !== "" && body.type !== "about:blank");
  return named ? undefined : `expected a "code" or a "type" naming the error, got ${show(body)}`;
}

/** The headers an answer to HEAD repeats from the answer to GET (RFC 9110, 9.3.2). */
const HEAD_HEADERS = [
  "content-type",
  "cache-control",
  "x-content-type-options",
  "access-control-allow-origin",
  "www-authenticate",
  "allow",
];

/** Whether an answer to HEAD is the answer to GET without its body: same status and headers, the GET body's length. */
export function headMatchesGet(head: Received, get: Received): Outcome {
  const check = "HEAD answers as GET, without the body";
  if (head.status !== get.status) return judge(check, `HEAD answered ${head.status}, GET ${get.status}`);
  if (head.text !== "") return judge(check, `HEAD answered a body of ${head.text.length} characters`);
  for (const name of HEAD_HEADERS) {
    const [h, g] = [head.headers.get(name), get.headers.get(name)];
    if (h !== g) return judge(check, `header ${name} is ${show(h)} on HEAD, ${show(g)} on GET`);
  }
  const length = String(new TextEncoder().encode(get.text).byteLength);
  const stated = head.headers.get("content-length");
  return judge(
    check,
    stated === length ? undefined : `Content-Length is ${show(stated)}, the GET body has ${length} bytes`,
  );
}

/** Every check of `checks` on `received`, passed or not. */
export async function check(received: Received, checks: Checks, ctx: ExpectContext): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const { status, headers, json, text } = received;
  if (checks.status !== undefined) {
    const allowed = Array.isArray(checks.status) ? checks.status : [checks.status];
    out.push(
      judge(
        "status",
        allowed.some((s) => statusMatches(status, s)) ? undefined : `expected ${allowed.join(" or ")}, got ${status}`,
      ),
    );
  }
  for (const [name, want] of Object.entries(checks.headers ?? {})) {
    const got = headers.get(name);
    const shown = got === null ? "none" : `"${got}"`;
    if (typeof want === "string") {
      out.push(judge(`header ${name}`, got === want ? undefined : `expected "${want}", got ${shown}`));
    } else if ("absent" in want) {
      out.push(judge(`header ${name} absent`, got === null ? undefined : `expected none, got ${shown}`));
    } else {
      const ok = got !== null && new RegExp(want.matches).test(got);
      out.push(judge(`header ${name}`, ok ? undefined : `expected to match /${want.matches}/, got ${shown}`));
    }
  }
  if (checks.problem) out.push(judge("problem+json", checkProblem(received)));
  if (checks.code !== undefined) {
    const code = select(json, "code");
    out.push(judge("problem code", code === checks.code ? undefined : `expected "${checks.code}", got ${show(code)}`));
  }
  for (const p of checks.errorPaths ?? []) {
    const paths = select(json, "errors[*].path");
    const ok = Array.isArray(paths) && paths.includes(p);
    out.push(judge(`problem errors name "${p}"`, ok ? undefined : `got ${show(paths)}`));
  }
  for (const word of checks.mentions ?? []) {
    out.push(judge(`body names "${word}"`, text.includes(word) ? undefined : `not in ${show(text.slice(0, 300))}`));
  }
  if (checks.openapi) {
    out.push(judge("a complete OpenAPI document", openApiProblem(json)));
    out.push(judge("the OpenAPI document gives the contract", openApiContractProblem(json)));
  }
  if (checks.schema !== undefined) {
    const schema = PUBLISHED_SCHEMAS.get(checks.schema);
    if (!schema) throw new Error(`Cannot check the body: no published schema is named "${checks.schema}"`);
    const parsed = schema.safeParse(json);
    const first = parsed.success
      ? undefined
      : parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
    out.push(judge(`body is a ${checks.schema}`, first));
  }
  if (checks.body !== undefined) {
    out.push(judge("body", matchesSubset(json, checks.body) ? undefined : `expected to contain ${show(checks.body)}`));
  }
  for (const a of checks.assert ?? []) out.push(checkAssertion(json, a));
  if (checks.token) out.push(...await checkToken(received, checks.token, ctx));
  for (const name of checks.excludes ?? []) {
    const value = ctx.values(name);
    const leaked = typeof value === "string" && value.length >= 8 && text.includes(value);
    out.push(judge(`body never shows {{${name}}}`, leaked ? "it does: it must never be returned" : undefined));
  }
  return out;
}
