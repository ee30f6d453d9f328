/**
 * HTTP plumbing every endpoint shares: errors as plain JSON `{ error, message }`, JSON answers, body reading with a
 * size limit, and validation messages that name the field.
 */
import type { z } from "zod";
import type { BugName } from "./bugs.ts";

/** The largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json[ \t]*(?:;.*)?$/i;
const SAFE_FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,39}$/;

/** An error that reaches the client as `{ error, message }` with its status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** A JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON answer, never cached. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    },
  });
}

/** The answer for an error. */
export function errorResponse(error: ApiError): Response {
  return json(error.status, { error: error.code, message: error.message }, error.headers);
}

/** A 405 unless the method is one of `allowed`. */
export function requireMethod(request: Request, allowed: readonly string[]): void {
  if (!allowed.includes(request.method)) {
    throw new ApiError(405, "method_not_allowed", `Cannot answer ${request.method}: this path accepts ${allowed[0]}`, {
      allow: allowed.join(", "),
    });
  }
}

/** A path segment as an id: a malformed percent-escape names nothing. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
}

/** The body as JSON: 415 unless declared JSON, 413 past the limit, 400 unless UTF-8 JSON. */
export async function readJson(request: Request, action: string, bugs: ReadonlySet<BugName>): Promise<unknown> {
  if (!JSON_MEDIA_TYPE.test(request.headers.get("content-type") ?? "")) {
    throw new ApiError(415, "unsupported_media_type", `Cannot ${action}: the body must be application/json`);
  }
  const bytes = await readBody(request, action, bugs);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, "invalid_json", `Cannot ${action}: the body is not UTF-8 text`);
  }
  if (bugs.has("invalid-json-500")) return JSON.parse(text);
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", `Cannot ${action}: the body is not valid JSON`);
  }
}

/** The request body, refused past the limit without reading it all. */
async function readBody(request: Request, action: string, bugs: ReadonlySet<BugName>): Promise<Uint8Array> {
  const tooLarge = (): Error =>
    bugs.has("oversized-body-500")
      ? new Error("Request body exceeds the limit")
      : new ApiError(413, "body_too_large", `Cannot ${action}: the body is larger than 1 MiB`);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (request.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ApiError || size > MAX_BODY_BYTES) throw error;
    throw new ApiError(400, "unreadable_body", `Cannot ${action}: the body could not be read`);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** A 400 naming the unknown fields, or counting those whose names are not plain identifiers (never echoed). */
export function unknownFields(fields: readonly string[], action: string): ApiError {
  const named = fields.filter((field) => SAFE_FIELD_NAME.test(field)).map((field) => `"${field}"`);
  const others = fields.length - named.length;
  if (others > 0) named.push(`${others} field${others === 1 ? "" : "s"} with an unusual name`);
  return new ApiError(400, "unknown_field", `Cannot ${action}: unknown field ${named.join(", ")}`);
}

/** Validates `parsed` against `schema`: a 400 naming the first field at fault, or unknown fields by name. */
export function validate<T>(schema: z.ZodType<T>, parsed: unknown, action: string): T {
  if (!isPlainObject(parsed)) {
    throw new ApiError(400, "invalid_body", `Cannot ${action}: the body must be a JSON object`);
  }
  const result = schema.safeParse(parsed);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const unknown = issues.flatMap((issue) => issue.code === "unrecognized_keys" ? issue.keys : []);
  if (unknown.length > 0) throw unknownFields(unknown, action);
  const issue = issues[0];
  const path = issue?.path ?? [];
  const field = path.length ? path.map(String).join(".") : "body";
  const given = path.reduce<unknown>((value, key) => isPlainObject(value) ? value[String(key)] : undefined, parsed);
  if (issue?.code === "invalid_type" && given === undefined) {
    throw new ApiError(400, "missing_field", `Cannot ${action}: "${field}" is required`);
  }
  throw new ApiError(400, "invalid_field", `Cannot ${action}: "${field}" ${describeIssue(issue)}`);
}

/** What is wrong with a field, in a few words. */
export function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  switch (issue?.code) {
    case "invalid_type":
      return `must be a ${issue.expected}`;
    case "too_small":
      return "must not be empty";
    case "too_big":
      return "is too long";
    case "invalid_format":
      return "is not a valid email address";
    case "invalid_value":
      return "is not one of the allowed values";
    case "custom":
      return issue.message || "is not valid";
    default:
      return "is not valid";
  }
}
