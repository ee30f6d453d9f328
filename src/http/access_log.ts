/**
 * The access log: one line per request with its method, path, status,
 * duration and request id. Tokens travel in headers and bodies, which are
 * never logged; the query is dropped whole (cursors and site keys ride there),
 * and a path segment shaped like a secret or a JWT is masked, in case a
 * client put one where it does not belong.
 */

/** One request, as the access log records it. */
export interface AccessEntry {
  /** When the request arrived, ISO 8601. */
  time: string;
  method: string;
  path: string;
  status: number;
  /** Until the response's headers were ready, in milliseconds. */
  durationMs: number;
  /** The `x-request-id` the API answered with; null for the demo's pages. */
  requestId: string | null;
}

/** Options of {@linkcode withAccessLog}. */
export interface AccessLogOptions {
  format: "pretty" | "json";
  /** Where lines go; standard output by default. */
  write?: (line: string) => void;
}

const MAX_PATH_CHARS = 200;
const MASK = "[redacted]";

function looksSecret(segment: string): boolean {
  let text = segment;
  try {
    text = decodeURIComponent(segment);
  } catch {
    // A malformed escape is logged as sent.
  }
  return /setchat_/i.test(text) || /eyJ[\w-]{8,}/.test(text);
}

/** The path as logged: no query, secret-shaped segments masked, bounded in length. */
export function loggedPath(url: URL): string {
  const path = url.pathname.split("/").map((s) => looksSecret(s) ? MASK : s).join("/");
  return path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path;
}

/** One entry as a line of the given format. */
export function formatAccessEntry(entry: AccessEntry, format: AccessLogOptions["format"]): string {
  if (format === "json") return JSON.stringify(entry);
  const { time, method, path, status, durationMs, requestId } = entry;
  return `${time} ${method} ${path} ${status} ${durationMs.toFixed(1)}ms ${requestId ?? "-"}`;
}

/** Wraps a handler so that each request it answers writes one line. */
export function withAccessLog<A extends unknown[]>(
  handler: (request: Request, ...rest: A) => Promise<Response>,
  options: AccessLogOptions,
): (request: Request, ...rest: A) => Promise<Response> {
  const write = options.write ?? ((line: string) => console.log(line));
  return async (request, ...rest) => {
    const time = new Date().toISOString();
    const start = performance.now();
    let status = 500;
    let requestId: string | null = null;
    try {
      const response = await handler(request, ...rest);
      status = response.status;
      requestId = response.headers.get("x-request-id");
      return response;
    } finally {
      write(formatAccessEntry({
        time,
        // Methods are upper-case words; anything else is not worth echoing.
        method: /^[A-Z]{1,16}$/.test(request.method) ? request.method : "OTHER",
        path: loggedPath(new URL(request.url)),
        status,
        durationMs: Math.round((performance.now() - start) * 100) / 100,
        requestId,
      }, options.format));
    }
  };
}
