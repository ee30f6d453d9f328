import { z } from "zod";
import { ERROR_CODES } from "./errors.ts";

/** Bounds the API enforces, published in docs/contract.md and the OpenAPI document. */
export const LIMITS = {
  /** Serialised JSON bytes of `metadata` and of client `customData`. */
  customDataBytes: 4096,
  /** Characters of a visitor token the API will look at. */
  visitorTokenChars: 4096,
  /** Request body bytes of the visitor-token endpoint. */
  mintBodyBytes: 16 * 1024,
  /** Request body bytes of every other JSON endpoint. */
  bodyBytes: 32 * 1024,
  /** Milliseconds a request body may take to arrive in full, counted from the start of its handling. */
  bodyReadMs: 10_000,
  /** Levels of nesting of a JSON body (objects and arrays). */
  jsonDepth: 32,
  /** Characters of a message text. */
  messageChars: 4000,
} as const;

const encoder = new TextEncoder();

/** Marks, in the walk of {@linkcode isJsonValue}, where an array or object's items end: the container lies under it. */
const LEAVE = Symbol("leave");

/**
 * Whether `value` is a JSON value: null, a boolean, a string, a finite
 * number, or an array or plain object of JSON values, none holding itself.
 * Walked without recursion: a body of 16 KiB of brackets would overflow the
 * stack.
 */
export function isJsonValue(value: unknown): value is z.core.util.JSONType {
  const pending: unknown[] = [value];
  // The arrays and objects whose items are being walked: meeting one again under itself is a cycle.
  let open: Set<object> | undefined;
  while (pending.length > 0) {
    const v = pending.pop();
    if (v === LEAVE) {
      open!.delete(pending.pop() as object);
      continue;
    }
    if (v === null || typeof v === "string" || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    if (typeof v !== "object") return false;
    if (!Array.isArray(v)) {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
    }
    if (open?.has(v)) return false;
    (open ??= new Set()).add(v);
    pending.push(v, LEAVE);
    for (const item of Object.values(v)) pending.push(item);
  }
  return true;
}

/**
 * Any JSON value. Named, unlike `z.json()`, so that the OpenAPI document shows
 * it as one component instead of an anonymous recursive definition that no
 * tool resolves, and published as `{}`. A check rather than a recursive
 * union: zod compiles a schema without cycles into one function (the app's
 * `compiledParser`), and a recursive one could only say what this check says,
 * at several times its cost.
 */
export const JsonValue: z.ZodType<z.core.util.JSONType> = z
  .custom<z.core.util.JSONType>(isJsonValue, { message: "must be a JSON value" })
  .meta({ id: "JsonValue", description: "Any JSON value." });

/** Free-form custom data: a JSON object of at most {@linkcode LIMITS.customDataBytes} bytes. */
export const CustomData = z
  .record(z.string().min(1).max(64), JsonValue)
  .refine(
    (value) => {
      // A UTF-16 unit is one to three bytes of UTF-8: the length alone settles most texts without encoding them.
      const text = JSON.stringify(value);
      if (text.length * 3 <= LIMITS.customDataBytes) return true;
      return text.length <= LIMITS.customDataBytes && encoder.encode(text).length <= LIMITS.customDataBytes;
    },
    { message: `must be at most ${LIMITS.customDataBytes} bytes of JSON` },
  )
  .meta({
    id: "CustomData",
    description: "A JSON object of at most 4096 bytes once serialised. A `__proto__` key, at any depth, is refused.",
  });

/** A workspace of the customer's product, named by the customer's own id. */
export const Workspace = z
  .strictObject({
    externalId: z.string().min(1).max(128).regex(/^[\w.:@-]+$/, {
      message: "must be letters, digits and . _ : @ - only",
    }),
  })
  .meta({ id: "Workspace" });

/** One field-level error inside a problem. */
export const FieldError = z
  .object({ path: z.string(), code: z.string(), message: z.string() })
  .meta({ id: "FieldError" });

/** RFC 9457 problem details, with the stable `code` of the catalogue. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES),
    fix: z.string(),
    instance: z.string(),
    errors: z.array(FieldError).optional(),
  })
  .meta({ id: "Problem" });
export type Problem = z.infer<typeof Problem>;
