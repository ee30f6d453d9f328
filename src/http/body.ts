import { z } from "zod";
import { LIMITS } from "../contract/common.ts";
import { AppError, type FieldError } from "../domain/app_error.ts";

/** Names users often give a field, beyond its snake_case spelling, with the field they mean. */
const FIELD_ALIASES: Record<string, string> = {
  custom_data: "metadata",
  customData: "metadata",
  userId: "externalUserId",
  user_id: "externalUserId",
  siteKey: "siteApiKey",
};

/** Strict UTF-8, one decoder for every body: a whole body at a time keeps no state between calls. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const LENIENT_UTF8 = new TextDecoder("utf-8");

/** The field an unknown `key` most likely means, when the object it was sent in has that field. */
export function meantField(key: string, known: ReadonlySet<string>): string | undefined {
  const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const guess = known.has(camel) ? camel : FIELD_ALIASES[key];
  return guess !== undefined && guess !== key && known.has(guess) ? guess : undefined;
}

/** The fields of the object `schema` describes at `path`, as far as zod shows them. */
function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): Set<string> {
  // deno-lint-ignore no-explicit-any
  let node: any = schema;
  for (const key of path) node = node?.shape?.[key as string] ?? node?.unwrap?.()?.shape?.[key as string];
  const shape = node?.shape ?? node?.unwrap?.()?.shape;
  return new Set(shape && typeof shape === "object" ? Object.keys(shape) : []);
}

/** Bounds of {@linkcode readJson}. */
export interface ReadOptions {
  /** Bytes the body may have. */
  limit: number;
  /** Milliseconds the body may take to arrive in full. */
  timeoutMs: number;
  /**
   * A clock a test moves (`--test-clock`): the body is also late once this
   * clock has moved past the bound, so that a test proves the bound without
   * waiting for it.
   */
  clock?: MovableClock | undefined;
}

/** A clock that says when it moves. */
export interface MovableClock {
  now(): number;
  onMove(listener: () => void): () => void;
}

/**
 * Reads a JSON body: the content type must be JSON (415), the body at most
 * `limit` bytes, refused before it is all read (413), arrived in full within
 * `timeoutMs` (408), and parseable (400). Every refusal is a rejection, never
 * a throw: a caller starts reading before it authenticates, and answers the
 * body's errors only after.
 */
export function readJson(request: Request, { limit, timeoutMs, clock }: ReadOptions): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  // Spaces and tabs only before the parameters (RFC 9110's optional white space): `application/json` and a U+00A0 is
  // another media type.
  if (!/^application\/([\w.+-]+\+)?json[ \t]*(;|$)/i.test(type)) {
    return Promise.reject(
      new AppError(
        "unsupported_media_type",
        `Cannot read the body: Content-Type is ${type ? `"${type}"` : "missing"}, expected "application/json"`,
      ),
    );
  }
  // With a Content-Length the server reads exactly that many bytes, refused at once past the limit; without one
  // (chunked), the body is read piece by piece and cut off at the limit. So is one whose length the runtime shows as a
  // list: a Content-Length sent twice with one value comes through as "n, n" (RFC 9110, 8.6).
  const length = request.headers.get("content-length");
  const declared = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
  if (declared !== undefined && declared > limit) return Promise.reject(tooLarge(limit));
  const reading = declared !== undefined ? request.bytes() : readBytes(request, limit);
  // Parsed in the read's own callback: an async function around it would cost each request a promise and a turn.
  return withDeadline(reading, timeoutMs, clock, parseJson);
}

/** The JSON value `bytes` hold, refused unless it is UTF-8, shallow enough and free of `__proto__` keys. */
function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    // Not valid UTF-8 is not JSON (RFC 8259): replacing the bytes would store text the client never sent. The
    // lenient decoder is the faster one; a U+FFFD in what it made (a replaced byte, or one the client sent) is
    // settled by the strict one.
    text = LENIENT_UTF8.decode(bytes);
    if (text.includes("\uFFFD")) text = UTF8.decode(bytes);
  } catch (error) {
    throw new AppError("malformed_json", "Cannot read the body: it is not valid UTF-8, which JSON must be", {
      cause: error,
    });
  }
  if (text.trim() === "") {
    throw new AppError("malformed_json", "Cannot read the body: it is empty, expected a JSON object");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AppError("malformed_json", `Cannot read the body: ${(error as Error).message}`, { cause: error });
  }
  const { deep, protoKeys } = inspect(value, LIMITS.jsonDepth);
  if (deep !== undefined) {
    throw new AppError("invalid_request", `Cannot accept the body: it nests deeper than ${LIMITS.jsonDepth} levels`, {
      errors: [{ path: deep, code: "too_deep", message: `nests deeper than ${LIMITS.jsonDepth} levels` }],
    });
  }
  if (protoKeys.length > 0) {
    const named = protoKeys.slice(0, 3).map((p) => `"${p}"`).join(", ");
    const more = protoKeys.length > 3 ? ` (and ${protoKeys.length - 3} more)` : "";
    throw new AppError(
      "invalid_request",
      `Cannot accept the body: ${named}${more} uses the key "__proto__", which this API refuses`,
      {
        errors: protoKeys.map((path) => ({
          path,
          code: "forbidden_key",
          message: `"__proto__" is refused as a key: JavaScript objects would drop it silently`,
        })),
      },
    );
  }
  return value;
}

/**
 * Walks a parsed body once, without recursion (validators that recurse would
 * overflow the stack on a body of 16 KiB of brackets). Finds the top-level
 * field under which it nests deeper than `max`, and the path of every
 * `__proto__` key: `JSON.parse` keeps one as a plain key, but every copy
 * into a new object (the schemas', the store's) drops it without a word,
 * so it is refused rather than lost.
 */
function inspect(value: unknown, max: number): { deep: string | undefined; protoKeys: string[] } {
  const protoKeys: string[] = [];
  // The root is no field: it has neither a top-level field nor a path.
  const stack: [value: unknown, depth: number, top: string | undefined, path: string | undefined][] = [
    [value, 0, undefined, undefined],
  ];
  while (stack.length > 0) {
    const [v, depth, top, path] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= max) return { deep: top, protoKeys };
    for (const [k, child] of Object.entries(v)) {
      const at = depth === 0 ? k : `${path}.${k}`;
      if (k === "__proto__") protoKeys.push(at);
      stack.push([child, depth + 1, depth === 0 ? k : top, at]);
    }
  }
  return { deep: undefined, protoKeys: protoKeys.sort() };
}

/** A read waiting on its deadline. */
interface Waiting {
  at: number;
  late: () => void;
}

/**
 * Reads waiting on a deadline `ms` after they began, oldest first, with one
 * timer for them all: a read that ends only leaves the set, where a timer of
 * its own would cost more than the rest of reading a small body (and an ended
 * read kept until the timer runs would outlive the request, for the garbage
 * collector to carry). The timer is left to run out when no read waits
 * (setting it again for every request of a quiet spell would cost the same),
 * and never keeps the process alive.
 */
export class Deadlines {
  readonly #ms: number;
  /** In the order they began, which is the order they fall due: every read waits the same `ms`. */
  readonly #waiting = new Set<Waiting>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Calls `late` once `ms` have passed, unless the returned function is called first. */
  add(late: () => void): () => void {
    const entry: Waiting = { at: performance.now() + this.#ms, late };
    this.#waiting.add(entry);
    if (this.#timer === undefined) this.#arm(this.#ms);
    return () => {
      this.#waiting.delete(entry);
    };
  }

  #arm(ms: number): void {
    const timer = setTimeout(() => this.#sweep(), ms);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (const entry of this.#waiting) {
      if (entry.at > now) {
        this.#arm(entry.at - now);
        return;
      }
      this.#waiting.delete(entry);
      entry.late();
    }
  }
}

const deadlines = new Map<number, Deadlines>();

/** Why a body could not be read, as the client is told it. */
function unreadable(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // The runtime fails the read on a chunk it cannot parse; the connection cannot carry another request after it.
  if (/invalid HTTP/i.test(String(error))) {
    return new AppError("malformed_json", "Cannot read the body: its chunked transfer encoding is malformed", {
      cause: error,
      headers: { connection: "close" },
    });
  }
  // The client went away half-way: its body is truncated, not a failure of ours.
  return new AppError("malformed_json", "Cannot read the body: the connection ended before all of it arrived", {
    cause: error,
  });
}

/**
 * What `settle` makes of `reading`'s value, or a 408 once `ms` have passed,
 * or the test `clock` has moved past them. A client that stalls half-way
 * through its body gets a clear answer instead of holding the handler; the
 * read itself is left to end with the connection (the runtime gives a handler
 * no way to close one).
 */
function withDeadline<T, R>(
  reading: Promise<T>,
  ms: number,
  clock: MovableClock | undefined,
  settle: (value: T) => R,
): Promise<R> {
  let queue = deadlines.get(ms);
  if (!queue) deadlines.set(ms, queue = new Deadlines(ms));
  const waiting = queue;
  // One promise settled by whichever comes first, the read or its deadline, which then stops waiting on the other.
  return new Promise<R>((resolve, reject) => {
    let moved: (() => void) | undefined;
    const stop = () => {
      done();
      moved?.();
    };
    const late = () => {
      stop();
      reject(
        new AppError("request_timeout", `Cannot read the body: it did not arrive in full within ${ms} ms`, {
          // RFC 9110: a 408 means this connection is not worth waiting on.
          headers: { connection: "close" },
        }),
      );
    };
    const done = waiting.add(late);
    if (clock) {
      const start = clock.now();
      moved = clock.onMove(() => {
        if (clock.now() - start >= ms) late();
      });
    }
    reading.then((value) => {
      stop();
      try {
        resolve(settle(value));
      } catch (error) {
        reject(error);
      }
    }, (error) => {
      stop();
      reject(unreadable(error));
    });
  });
}

async function readBytes(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return all;
}

function tooLarge(limit: number): AppError {
  return new AppError("body_too_large", `Cannot read the body: it is larger than ${limit} bytes`);
}

/**
 * The parser of `schema` for requests: zod's compiled form, one generated
 * function that accepts a valid value several times faster than the schema's
 * own walk and hands any other back to it, so that the issues, and the
 * messages a client reads, are the schema's. A schema zod cannot compile is
 * its own parser.
 */
export function compiledParser<T>(schema: z.ZodType<T>): z.ZodType<T> {
  return z.compile(schema);
}

/** Validates `value` against `schema`, turning zod issues into one field error each. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what = "the body"): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldError[] = [];
  let unknown = false;
  for (const issue of result.error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      unknown = true;
      const known = fieldsAt(schema, issue.path);
      for (const key of issue.keys) {
        const meant = meantField(key, known);
        errors.push({
          path: base ? `${base}.${key}` : key,
          code: "unknown_field",
          message: `Unknown field "${key}"${
            meant === "metadata" ? `: custom data goes in "metadata"` : meant ? `: the field is "${meant}"` : ""
          }`,
        });
      }
    } else {
      errors.push({ path: base, code: issue.code, message: issue.message });
    }
  }
  const summary = errors.slice(0, 3).map((e) => (e.path ? `"${e.path}": ${e.message}` : e.message)).join("; ");
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : "";
  throw new AppError(unknown ? "unknown_field" : "invalid_request", `Cannot accept ${what}: ${summary}${more}`, {
    errors,
  });
}
