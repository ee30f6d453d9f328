/**
 * Checks every answer gets in the reference profile, whatever its step says:
 * what an implementation publishes of itself holds for each of its answers.
 *
 * - An error is the problem its catalogue describes: its `type`, `title`,
 *   `status` and `fix`, a `detail` written "Cannot <action>: <cause>" that
 *   names the first three fields `errors` lists (and counts the others), an `instance` naming the request's
 *   `X-Request-Id`, and the RFC 6750 challenge on a 401.
 * - Every answer of an operation of `/openapi.json` is one the document
 *   gives for it: its status, its problem code, its content type, and a body
 *   of the documented schema.
 * - Every answer of an operation carries `X-Content-Type-Options: nosniff`,
 *   and under `/api/` `Cache-Control: no-store` and its `X-Request-Id`.
 * - Every id a success shows begins with its kind: `cnv_` a conversation,
 *   `msg_` a message, `vis_` a visitor, `s2s_` a server token.
 *
 * These are the reference's own choices, so they hold only in the reference
 * profile (a target declaring `referenceChoices`).
 */
import { type ErrorCode, ERRORS } from "../src/contract/errors.ts";
import type { Outcome, Received } from "./expect.ts";
import { PUBLISHED_SCHEMAS } from "./schemas.ts";

/** An OpenAPI 3.1 document, as far as these checks read it. */
export interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

interface OpenApiOperation {
  operationId?: string;
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}

const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));

function judge(check: string, problem: string | undefined): Outcome {
  return problem === undefined ? { check, ok: true } : { check, ok: false, detail: problem };
}

/** The first way a problem answer differs from what the catalogue says of its code. */
function problemMismatch(received: Received): string | undefined {
  const type = received.headers.get("content-type") ?? "";
  if (!type.startsWith("application/problem+json")) return `expected application/problem+json, got "${type}"`;
  const body = received.json as Record<string, unknown> | undefined;
  if (body === null || typeof body !== "object" || Array.isArray(body)) return "expected a JSON object";
  const code = body.code as ErrorCode;
  const info = typeof code === "string" ? ERRORS[code] : undefined;
  if (!info) return `"code" ${show(body.code)} is not in the error catalogue`;
  const want: Record<string, unknown> = {
    type: `urn:setchat:error:${code}`,
    title: info.title,
    status: info.status,
    fix: info.fix,
    instance: `urn:setchat:request:${received.headers.get("x-request-id")}`,
  };
  for (const [k, v] of Object.entries(want)) {
    if (body[k] !== v) return `"${k}" is ${show(body[k])}, the catalogue gives ${show(v)} for ${code}`;
  }
  if (received.status !== info.status) return `the answer is ${received.status}, the catalogue gives ${info.status}`;
  const detail = body.detail;
  if (info.status >= 500) {
    if (detail !== "The server failed to answer this request") return `a 5xx "detail" must say nothing of the cause`;
  } else if (typeof detail !== "string" || !/^Cannot \w+:? \S/.test(detail)) {
    return `"detail" ${show(detail)} does not say what it cannot do and why ("Cannot <action>: <cause>")`;
  }
  const broken = brokenText(detail as string);
  if (broken) return `"detail" ${show(detail)} ${broken}`;
  const errors = body.errors;
  if (errors === undefined) {
    return code === "invalid_request" || code === "unknown_field"
      ? `${code} must list the fields in "errors"`
      : undefined;
  }
  if (!Array.isArray(errors) || errors.length === 0) return `"errors" must be a list of at least one field`;
  for (const e of errors as Record<string, unknown>[]) {
    if (typeof e?.path !== "string" || typeof e.code !== "string" || e.code === "" || typeof e.message !== "string") {
      return `each of "errors" needs a path, a code and a message, got ${show(e)}`;
    }
    if (e.message === "") return `the error at "${e.path}" has an empty message`;
    const brokenMessage = brokenText(e.message);
    if (brokenMessage) return `the message at "${e.path}" ${brokenMessage}: ${show(e.message)}`;
    if (e.code === "unknown_field" && !e.message.includes(`"${String(e.path).split(".").at(-1)}"`)) {
      return `the unknown field error at "${e.path}" does not name the field: ${show(e.message)}`;
    }
  }
  // The detail names the first three fields (a body nested too deep, its depth) and says how many more there are.
  const listed = errors as { path: string; code: string; message: string }[];
  for (const e of listed.slice(0, 3)) {
    const named = e.code === "too_deep" ? "nests deeper than" : e.path.split(".").at(-1) ?? "";
    if (!(detail as string).includes(named)) return `"detail" does not name ${show(named)}: ${show(detail)}`;
  }
  if (listed.length > 3 && !(detail as string).includes(`(and ${listed.length - 3} more)`)) {
    return `"detail" does not say how many more fields "errors" lists beyond the first three`;
  }
  // Those it counts are not named too: a field past the third, quoted whole, is named by no other.
  for (const e of listed.slice(3)) {
    if (listed.slice(0, 3).every((f) => f.path !== e.path) && (detail as string).includes(`"${e.path}"`)) {
      return `"detail" names ${show(e.path)}, which it counts among the more: ${show(detail)}`;
    }
  }
  return undefined;
}

/**
 * How a sentence of an error shows a part left out: a colon, a quote or a
 * parenthesis with nothing after it, a doubled space, a space before a comma.
 * A message is written whole, its cause after its colon.
 */
export function brokenText(text: string): string | undefined {
  if (/:\s*$/.test(text)) return "ends at a colon, its cause left out";
  if (/:\s*[;,)]/.test(text)) return "leaves a part empty after a colon";
  if (/ {2}|\s[,;]/.test(text)) return "has a gap where a word was left out";
  if (/\(\s*\)|\[object \w+\]/.test(text)) return "shows a value the server never filled in";
  return undefined;
}

/** The challenge a 401 of `code` carries (RFC 6750): no `error` when no credential was sent. */
function expectedChallenge(code: unknown): string {
  return code === "auth_missing" ? `Bearer realm="setchat"` : `Bearer realm="setchat", error="invalid_token"`;
}

/** The operation of `/openapi.json` a request calls, if any; HEAD is GET's. */
export function operationOf(
  doc: OpenApiDocument,
  method: string,
  path: string,
): { template: string; operation: OpenApiOperation } | undefined {
  const pathname = path.split("?")[0]!;
  const verb = (method === "HEAD" ? "GET" : method).toLowerCase();
  for (const { template, pattern, operations } of pathsOf(doc)) {
    if (pattern.test(pathname) && operations[verb]) return { template, operation: operations[verb] };
  }
  return undefined;
}

/** The paths of each document met, with their templates compiled once: every answer of a run is looked up. */
const compiledPaths = new WeakMap<
  OpenApiDocument,
  { template: string; pattern: RegExp; operations: Record<string, OpenApiOperation> }[]
>();

function pathsOf(doc: OpenApiDocument) {
  let paths = compiledPaths.get(doc);
  if (!paths) {
    paths = Object.entries(doc.paths ?? {}).map(([template, operations]) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+")}$`),
      operations,
    }));
    compiledPaths.set(doc, paths);
  }
  return paths;
}

/** The first way an answer differs from what the document gives for its operation. */
function undocumented(doc: OpenApiDocument, method: string, path: string, received: Received): string | undefined {
  const found = operationOf(doc, method, path);
  if (!found) return undefined;
  const where = `${method} ${found.template}`;
  const response = found.operation.responses?.[String(received.status)];
  if (!response) return `${where} does not document the status ${received.status}`;
  const code = (received.json as { code?: unknown } | undefined)?.code;
  if (received.status >= 400 && typeof code === "string" && !(response.description ?? "").includes(`\`${code}\``)) {
    return `${where} does not document the error ${code} for ${received.status}`;
  }
  if (method === "HEAD") return undefined;
  const content = response.content;
  const type = (received.headers.get("content-type") ?? "").split(";")[0]!.trim();
  if (!content) return received.text === "" ? undefined : `${where} documents no body for ${received.status}`;
  const media = content[type];
  if (!media) return `${where} documents ${Object.keys(content).join(", ")} for ${received.status}, not "${type}"`;
  const ref = media.schema?.$ref;
  const name = ref?.startsWith("#/components/schemas/") ? ref.slice("#/components/schemas/".length) : undefined;
  const schema = name === undefined ? undefined : PUBLISHED_SCHEMAS.get(name);
  if (name !== undefined && !schema) {
    return `${where} documents the schema ${name}, which the contract does not publish`;
  }
  const parsed = schema?.safeParse(received.json);
  if (parsed && !parsed.success) {
    const first = parsed.error.issues[0]!;
    return `${where} answered a body that is not a ${name} (${first.path.join(".") || "body"}: ${first.message})`;
  }
  return undefined;
}

/** The kind an id names, by where it sits in an answer: the field, or the object it identifies. */
const ID_KINDS: readonly (readonly [RegExp, string])[] = [
  [/(^|\.)(conversationId|(conversation|conversations\[\d+\])\.id)$/, "cnv_"],
  [/(^|\.)(messages\[\d+\]|lastMessage)\.id$/, "msg_"],
  [/(^|\.)(visitorId|visitor\.id)$/, "vis_"],
  [/(^|\.)(s2sTokenId|(tokens\[\d+\]|revoked\[\d+\]|tokenInfo|current)\.id)$/, "s2s_"],
];

/** The first id of `value` that does not begin with its kind's prefix. */
export function idMismatch(value: unknown, path = ""): string | undefined {
  if (typeof value === "string") {
    const kind = ID_KINDS.find(([where]) => where.test(path));
    return kind && !value.startsWith(kind[1])
      ? `the id at "${path}" is ${show(value)}, not a ${kind[1]}… id`
      : undefined;
  }
  const entries = Array.isArray(value)
    ? value.map((v, i) => [`${path}[${i}]`, v] as const)
    : value !== null && typeof value === "object"
    ? Object.entries(value).map(([k, v]) => [path ? `${path}.${k}` : k, v] as const)
    : [];
  for (const [at, v] of entries) {
    const found = idMismatch(v, at);
    if (found) return found;
  }
  return undefined;
}

/** Every reference check of one answer to `method path`; `doc` is the target's `/openapi.json`, when it has one. */
export function referenceChecks(
  method: string,
  path: string,
  received: Received,
  doc: OpenApiDocument | null,
): Outcome[] {
  const out: Outcome[] = [];
  const api = path.startsWith("/api/");
  if (received.status >= 400 && api && method !== "HEAD") {
    out.push(judge("problem as the catalogue gives it", problemMismatch(received)));
  }
  const code = (received.json as { code?: unknown } | undefined)?.code;
  // An answer to HEAD has no body to name its code: its challenge is checked against GET's.
  if (received.status === 401 && code !== undefined) {
    const want = expectedChallenge(code);
    const got = received.headers.get("www-authenticate");
    out.push(judge("header www-authenticate", got === want ? undefined : `expected "${want}", got ${show(got)}`));
  } else if (received.status !== 401) {
    const got = received.headers.get("www-authenticate");
    out.push(
      judge("header www-authenticate absent", got === null ? undefined : `only a 401 challenges, got ${show(got)}`),
    );
  }
  const headers: [string, string][] = [];
  if (api || (doc && operationOf(doc, method, path))) headers.push(["x-content-type-options", "nosniff"]);
  // Every answer names its request, as the log does: an error's `instance` is not the only place a client finds it.
  const requestId = received.headers.get("x-request-id");
  if (api) {
    out.push(
      judge(
        "header x-request-id",
        requestId !== null && requestId !== "" ? undefined : "expected a request id, got none",
      ),
    );
  }
  if (api) headers.push(["cache-control", "no-store"]);
  for (const [name, want] of headers) {
    const got = received.headers.get(name);
    out.push(judge(`header ${name}`, got === want ? undefined : `expected "${want}", got ${show(got)}`));
  }
  if (doc) out.push(judge("answer documented in /openapi.json", undocumented(doc, method, path, received)));
  if (received.status < 300 && api && received.json !== undefined) {
    out.push(judge("ids begin with their kind", idMismatch(received.json)));
  }
  const body = received.json as { expiresIn?: unknown; expiresInLabel?: unknown } | undefined;
  if (received.status < 300 && body !== null && typeof body === "object" && "expiresInLabel" in body) {
    out.push(judge("expiresInLabel states expiresIn", labelMismatch(body.expiresInLabel, body.expiresIn)));
  }
  return out;
}

/**
 * Why a lifetime's label is not `seconds` written as people write it (`5m`,
 * `14m59s`, `1h`: hours, then minutes and seconds below 60, leaving out the
 * parts that are zero), or `undefined`.
 */
export function labelMismatch(label: unknown, seconds: unknown): string | undefined {
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 0) {
    return `"expiresIn" is ${show(seconds)}, not a whole number of seconds to label`;
  }
  const parts = [[Math.floor(seconds / 3600), "h"], [Math.floor(seconds / 60) % 60, "m"], [seconds % 60, "s"]] as const;
  const want = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`).join("") || "0s";
  return label === want ? undefined : `"expiresInLabel" is ${show(label)}, where ${seconds} s is written "${want}"`;
}

/** Every string of `value` that is empty, by path. */
function emptyStrings(value: unknown, path: string, out: string[]): string[] {
  if (value === "") out.push(path || "(root)");
  else if (Array.isArray(value)) value.forEach((v, i) => emptyStrings(v, `${path}[${i}]`, out));
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) emptyStrings(v, path ? `${path}.${k}` : k, out);
  }
  return out;
}

/**
 * The first way an OpenAPI document is not complete: every operation named
 * (a unique `operationId`), summarised, tagged and answering at least one
 * documented success; every reference resolving; no text left empty.
 */
export function openApiProblem(doc: unknown): string | undefined {
  const d = doc as OpenApiDocument & { openapi?: unknown };
  if (d === null || typeof d !== "object" || d.openapi !== "3.1.0") return `expected an OpenAPI 3.1.0 document`;
  const ids = new Set<string>();
  const text = JSON.stringify(d);
  for (const [path, operations] of Object.entries(d.paths ?? {})) {
    for (const [method, op] of Object.entries(operations)) {
      const o = op as OpenApiOperation & { summary?: unknown; tags?: unknown; security?: unknown };
      const where = `${method.toUpperCase()} ${path}`;
      if (typeof o.operationId !== "string" || o.operationId === "") return `${where} has no operationId`;
      if (ids.has(o.operationId)) return `${where} repeats the operationId ${o.operationId}`;
      ids.add(o.operationId);
      if (typeof o.summary !== "string" || o.summary === "") return `${where} has no summary`;
      if (!Array.isArray(o.tags) || o.tags.length === 0) return `${where} has no tag`;
      const statuses = Object.keys(o.responses ?? {});
      if (!statuses.some((s) => s.startsWith("2"))) return `${where} documents no success`;
      // A 401 for a missing or refused credential belongs to an operation that takes one.
      const unauthorised = o.responses?.["401"]?.description ?? "";
      if (/`(auth|session)_\w+`/.test(unauthorised) && !(Array.isArray(o.security) && o.security.length > 0)) {
        return `${where} refuses credentials but declares no security scheme`;
      }
      for (const requirement of (o.security ?? []) as Record<string, unknown>[]) {
        for (const scheme of Object.keys(requirement)) {
          if (!d.components?.securitySchemes?.[scheme]) return `${where} uses the undefined scheme ${scheme}`;
        }
      }
    }
  }
  for (const [name, scheme] of Object.entries(d.components?.securitySchemes ?? {})) {
    const description = (scheme as { description?: unknown }).description;
    if (typeof description !== "string" || description === "") return `the security scheme ${name} is not described`;
  }
  for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
    if (!d.components?.schemas?.[m[1]!]) return `the reference to ${m[1]} resolves to nothing`;
  }
  const empty = emptyStrings(d, "", []);
  if (empty.length) return `empty text at ${empty.slice(0, 3).join(", ")}`;
  return undefined;
}
