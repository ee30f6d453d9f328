import { type ErrorCode, ERRORS } from "../contract/errors.ts";

/** One field-level problem, reported in the `errors` member of a problem. */
export interface FieldError {
  /** JSON pointer-like dotted path, `""` for the whole body. */
  path: string;
  code: string;
  message: string;
}

/** Options of an {@linkcode AppError}. */
export interface AppErrorOptions {
  errors?: FieldError[];
  cause?: unknown;
  /** Response headers the error needs, such as `Allow`. */
  headers?: Record<string, string>;
}

/**
 * The one application error: a stable `code` from the catalogue, its HTTP
 * status, and a detail that is shown to clients for 4xx and hidden for 5xx.
 */
export class AppError extends Error {
  override name = "AppError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[];
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERRORS[code].status;
    this.errors = options.errors ?? [];
    this.headers = options.headers ?? {};
  }

  /** Whether the detail may be shown to the client (never for 5xx). */
  get expose(): boolean {
    return this.status < 500;
  }
}
