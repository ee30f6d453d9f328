/**
 * A request no HTTP client sends on its own, written byte by byte on a socket:
 * a body that stops half-way short of its `Content-Length`, which a server
 * answers (the reference with `request_timeout`) once it stops waiting,
 * rather than waiting on it forever or failing; a chunked body whose framing
 * cannot be read, which a server refuses as a bad request; or a body whose
 * `Content-Length` comes twice with one value, which a server reads as one
 * length or refuses, and holds to its limit either way.
 */

/** One raw request. */
export interface RawRequest {
  method: string;
  /** The node's origin, `http://host:port` or `https://…`. */
  origin: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
  /** A `Content-Length` of the whole body goes with it, but only this many of its first bytes, then nothing. */
  stallAfter: number;
  /** Instead, the whole body goes as one chunk, then a chunk size that is not hexadecimal. */
  brokenChunks?: boolean | undefined;
  /** The `Content-Length` header goes twice, with one value (`stallAfter` then counts the bytes sent). */
  lengthTwice?: boolean | undefined;
  /** How long to wait for the whole answer, in ms. */
  timeoutMs: number;
  /** Runs once the body has stalled, until `answered` settles (to move a test clock past the server's bound). */
  whileStalled?: ((answered: Promise<unknown>) => Promise<void>) | undefined;
}

/** An answer read off the socket. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
}

const encoder = new TextEncoder();

/** How long a body whose framing breaks reads well before it breaks, in ms. */
const BROKEN_FRAMING_AFTER_MS = 250;

/** The most of a raw answer read, head and body: the runner keeps 64 KiB of a body, a stalled body's answer is small. */
const MAX_RAW_ANSWER = 1024 * 1024;

function head(r: RawRequest, url: URL): Uint8Array {
  const length = `content-length: ${r.body.byteLength}`;
  const framing = r.brokenChunks ? ["transfer-encoding: chunked"] : r.lengthTwice ? [length, length] : [length];
  const lines = [`${r.method} ${r.path} HTTP/1.1`, `host: ${url.host}`, ...framing];
  for (const [name, value] of r.headers) {
    if (!["host", "content-length", "transfer-encoding", "connection"].includes(name)) lines.push(`${name}: ${value}`);
  }
  return encoder.encode(`${lines.join("\r\n")}\r\n\r\n`);
}

/** Reads an HTTP/1.1 answer off `conn` until its body is whole or the server closes. */
async function readAnswer(conn: Deno.Conn, signal: AbortSignal): Promise<RawAnswer> {
  // What a target sends is hostile: it is read up to a bound, and searched only where new bytes arrived.
  let data = new Uint8Array(16 * 1024);
  let size = 0;
  let answer: RawAnswer | undefined;
  let bodyAt = -1;
  let length = -1;
  while (!signal.aborted && size < MAX_RAW_ANSWER) {
    if (size === data.byteLength) {
      const grown = new Uint8Array(Math.min(data.byteLength * 2, MAX_RAW_ANSWER));
      grown.set(data);
      data = grown;
    }
    const n = await conn.read(data.subarray(size));
    if (n === null) break;
    const searchFrom = Math.max(0, size - 3);
    size += n;
    if (bodyAt < 0) {
      const end = headEnd(data.subarray(0, size), searchFrom);
      if (end < 0) continue;
      const [statusLine, ...lines] = new TextDecoder().decode(data.subarray(0, end)).split("\r\n");
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      answer = { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0), headers, text: "" };
      bodyAt = end + 4;
      length = Number(headers.get("content-length") ?? -1);
    }
    if (length >= 0 && size - bodyAt >= length) break;
  }
  if (!answer) throw new TypeError(signal.aborted ? "no answer in time" : "the connection closed with no answer");
  const bodyEnd = length >= 0 ? Math.min(size, bodyAt + length) : size;
  answer.text = new TextDecoder().decode(data.subarray(bodyAt, bodyEnd));
  return answer;
}

/** Where the blank line ending an answer's head starts in `bytes`, searching from `from`; -1 when not yet there. */
function headEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 3 < bytes.byteLength; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

/** Writes all of `bytes`; answers false when the server closed its side first. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  try {
    for (let at = 0; at < bytes.byteLength;) at += await conn.write(bytes.subarray(at));
    return true;
  } catch {
    return false;
  }
}

/** Sends one raw request on its own connection and reads the answer. */
export async function sendRaw(r: RawRequest): Promise<RawAnswer> {
  const url = new URL(r.origin);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const conn = url.protocol === "https:"
    ? await Deno.connectTls({ hostname: url.hostname, port })
    : await Deno.connect({ hostname: url.hostname, port });
  const signal = AbortSignal.timeout(r.timeoutMs);
  const closeOnTimeout = () => conn.close();
  signal.addEventListener("abort", closeOnTimeout);
  try {
    const pieces = r.brokenChunks
      ? [
        new Uint8Array([...head(r, url), ...encoder.encode(`${r.body.byteLength.toString(16)}\r\n`), ...r.body]),
        encoder.encode("\r\nzz\r\n\r\n0\r\n\r\n"),
      ]
      : [head(r, url), r.body.slice(0, r.stallAfter)];
    // A server may answer, and close, before the rest is written: its answer is what counts.
    for (const [i, piece] of pieces.entries()) {
      // The broken framing comes once the server is reading the body: a runtime that meets it before handing the
      // request on (Deno's does) closes the connection without an answer, which says nothing of the server.
      if (i > 0 && r.brokenChunks) await new Promise((resolve) => setTimeout(resolve, BROKEN_FRAMING_AFTER_MS));
      if (!(await writeAll(conn, piece))) break;
    }
    const answer = readAnswer(conn, signal);
    answer.catch(() => {});
    // A body whose framing breaks has not stalled: the clock stays where the other cases need it.
    if (!r.brokenChunks) await r.whileStalled?.(answer);
    return await answer;
  } catch (error) {
    if (signal.aborted) throw new DOMException(`no answer within ${r.timeoutMs} ms`, "TimeoutError");
    throw error;
  } finally {
    signal.removeEventListener("abort", closeOnTimeout);
    try {
      conn.close();
    } catch {
      // Closed on the timeout already.
    }
  }
}
