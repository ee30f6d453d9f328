/**
 * What only the server's operator sees: the access log's lines, the error log
 * of an answer the server failed to give, and the reasons it refuses to start
 * with the table of docs/running.md that explains them; what only a server
 * fresh from start-up shows: the first body read under a deadline, and that a
 * read that ended leaves its deadline's queue; what only a client of HTTP/1.0
 * sees, which the suite's clients never speak; a test clock at the ends of the
 * times it holds, and left running there for 888 years, which a run would take
 * days of moves to reach; how a HEAD answer's header section reads on the wire
 * beside GET's; and how far apart the random parts of ids are, which no case
 * can compute. No client reads the logs or starts the server, and the suite's
 * reference is warm, so the conformance suite cannot judge them over HTTP.
 * Registered as tests by `operator_checks_test.ts`, and run against every
 * mutant of `src/http` by `deno task mutation`.
 */
import assert from "node:assert/strict";
import { ERROR_CODES, ERRORS } from "./contract/errors.ts";
import { AppError } from "./domain/app_error.ts";
import { capturingConsole } from "./console_capture.ts";
import { LIMITS } from "./contract/common.ts";
import { openDataDirectory, startServer } from "./server.ts";
import { body, openWidget, TEST_SERVER_CONFIG, testApp } from "./test_utils.ts";
import { formatAccessEntry, loggedPath, withAccessLog } from "./http/access_log.ts";
import { Deadlines, readJson } from "./http/body.ts";
import { LAST_ID_MS, newId } from "./identity/encoding.ts";
import { problemResponse } from "./http/problem.ts";
import { parseCommandLine } from "./config.ts";
import { STARTUP_ERRORS, StartupError, type StartupErrorCode } from "./domain/startup_error.ts";
import { TEST_CLOCK_TIMES, TestClock } from "./domain/test_clock.ts";
import { openPostgresStore } from "./store/pg_store.ts";

/** One check of what the operator sees: a name and what it runs. */
export interface OperatorCheck {
  name: string;
  fn: () => Promise<void>;
}

const JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
const S2S = "setchat_s2s_v1k54B2ZWal0O74IMzTpwynnBkzOqtTcJCyzWN36Eym0gqMgE";

/** A deadline no read has used yet in this process: reading under it starts from nothing, as after start-up. */
let unusedDeadlineMs = 240;

/** A JSON body sent in two pieces `gapMs` apart, or whose second piece never comes. */
function bodyInPieces(gapMs: number | "never"): Request {
  const encoder = new TextEncoder();
  let sent = 0;
  return new Request("http://x/api/widget/visitor-token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 2) return controller.close();
        if (sent === 1) {
          if (gapMs === "never") return await new Promise(() => {});
          await new Promise((r) => setTimeout(r, gapMs));
        }
        controller.enqueue(encoder.encode(sent++ === 0 ? `{"siteApiKey": "k", ` : `"externalUserId": "u"}`));
      },
    }),
  });
}

/** The start-up table of docs/running.md, as an operator reads it: one entry per row. */
async function documentedStartupErrors(): Promise<{ message: string; cause: string; fix: string }[]> {
  const text = await Deno.readTextFile(new URL("../docs/running.md", import.meta.url));
  const block = text.match(/<!-- generated:startup-errors -->([\s\S]*?)<!-- \/generated:startup-errors -->/)?.[1];
  assert.ok(block, "docs/running.md has no start-up table");
  return block.split("\n").filter((l) => l.startsWith("|")).slice(2).map((row) => {
    const [message, cause, fix] = row.split("|").slice(1, -1).map((cell) => cell.trim());
    return { message: message!.replace(/^`|`$/g, ""), cause: cause!, fix: fix! };
  });
}

/**
 * The refusal `start` throws, which must be a start-up error of `code` in one line that says what failed, then why:
 * the line of its catalogue entry when `names` is not given, else one naming what `names` matches. The server prints
 * that line alone; a program that lets the error escape (a tool opening its own store) shows it as Deno prints any
 * error, which must name its class and, when `cause` is given, the system error under it.
 */
async function assertRefusedAs(
  code: StartupErrorCode,
  start: () => unknown,
  names?: RegExp,
  cause?: RegExp,
): Promise<void> {
  let thrown: unknown;
  try {
    const started = await start();
    await (started as Partial<AsyncDisposable> | undefined)?.[Symbol.asyncDispose]?.();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof StartupError, `${code}: the server started, or failed with ${thrown}`);
  assert.equal(thrown.code, code);
  assert.match(thrown.message, /^Cannot \S[^\n]*?: \S[^\n]+$/, "one line that says what failed, then why");
  const form = STARTUP_ERRORS[code].message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/<[^>]+>/g, ".+");
  assert.match(thrown.message, names ?? new RegExp(`^${form}$`), `${code} does not read as docs/running.md says`);
  const escaped = Deno.inspect(thrown);
  assert.match(escaped, /^StartupError: Cannot /, `${code}, escaping, does not name its class`);
  if (cause) assert.match(escaped, cause, `${code}, escaping, does not show the system error under it`);
}

/** Writes `request` as it is, on a connection of its own to the server at `url`, and reads its answer. */
async function exchangeRaw(url: string, request: string, ms = 5000): Promise<string> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode(request));
  return await readAnswer(conn, ms);
}

/** The first answer the server sends on `conn` (its head, and its body as long as it says), or what came in `ms`. */
async function readAnswer(conn: Deno.Conn, ms: number): Promise<string> {
  const stop = setTimeout(() => conn.close(), ms);
  let text = "";
  const decoder = new TextDecoder();
  try {
    for (const buffer = new Uint8Array(16_384);;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
      const end = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && text.length - end - 4 >= Number(length)) break;
    }
  } finally {
    clearTimeout(stop);
    try {
      conn.close();
    } catch { /* already closed */ }
  }
  return text;
}

/** Every check, in the order they run. */
export const OPERATOR_CHECKS: OperatorCheck[] = [
  {
    name: "the access log drops the query, masks path segments shaped like a token, and cuts long paths",
    fn: () => {
      const path = (p: string) => loggedPath(new URL(p, "http://x"));
      assert.equal(path("/api/widget/conversations?after=msg_1&token=abc"), "/api/widget/conversations");
      assert.equal(
        path("/api/tenants/ten_1/widget-identity/s2s-token/rotate"),
        "/api/tenants/ten_1/widget-identity/s2s-token/rotate",
      );
      assert.equal(path(`/api/x/${S2S}/y`), "/api/x/[redacted]/y");
      assert.equal(path(`/api/x/SETCHAT_anything`), "/api/x/[redacted]", "the prefix in any case");
      assert.equal(path(`/api/${JWT}`), "/api/[redacted]");
      assert.equal(path(`/api/${JWT.slice(0, 11)}`), "/api/[redacted]", "a JWT cut short after eight characters");
      assert.equal(path(`/api/eyJhbGciOi`), "/api/eyJhbGciOi", "seven characters after eyJ are not a JWT yet");
      assert.equal(path(`/api/${encodeURIComponent(`Bearer ${JWT}`)}`), "/api/[redacted]");
      assert.equal(path(`/api/%73etchat_adm_abc`), "/api/[redacted]", "escaped letters are decoded first");
      assert.equal(path(`/api/%E0%A4%A/x`), "/api/%E0%A4%A/x", "a malformed escape is logged as sent");
      assert.equal(path(`/api/%E0%A4%A${JWT}`), "/api/[redacted]", "and still masked");
      const long = path(`/a/${"b".repeat(500)}`);
      assert.equal(long, `/a/${"b".repeat(197)}…`, "long paths are cut at 200 characters, and say so");
      assert.equal(path(`/a/${"b".repeat(197)}`).length, 200, "a path of 200 characters is kept whole");
      return Promise.resolve();
    },
  },
  {
    name: "the access log writes one line per request: time, method, path, status, duration, request id",
    fn: async () => {
      const lines: string[] = [];
      const handler = withAccessLog(
        async (request: Request) => {
          await new Promise((r) => setTimeout(r, 5));
          return new URL(request.url).pathname === "/demo"
            ? new Response("page")
            : new Response(null, { status: 401, headers: { "x-request-id": "r-1" } });
        },
        { format: "json", write: (line) => lines.push(line) },
      );
      const before = Date.now();
      const began = performance.now();
      await handler(
        new Request(`http://x/api/widget/visitor-token?k=${S2S}`, {
          method: "POST",
          headers: { authorization: `Bearer ${S2S}` },
        }),
      );
      const took = performance.now() - began;
      await handler(new Request("http://x/demo"));
      // Methods that are not one upper-case word of at most 16 letters, however much of one they hold.
      const oddMethods = ["purge", "xPURGE", "PURGEx", "PURGEPURGEPURGEPU"];
      for (const method of oddMethods) await handler(new Request("http://x/demo", { method }));
      assert.equal(lines.length, 2 + oddMethods.length);
      const [api, page, ...odd] = lines.map((l) => JSON.parse(l));
      assert.deepEqual({ ...api, time: "t", durationMs: 0 }, {
        time: "t",
        method: "POST",
        path: "/api/widget/visitor-token",
        status: 401,
        durationMs: 0,
        requestId: "r-1",
      });
      const time = Date.parse(api.time);
      assert.ok(api.time === new Date(time).toISOString() && time >= before - 1 && time <= Date.now(), api.time);
      assert.ok(api.durationMs >= 4 && api.durationMs <= took + 1, `took ${api.durationMs} ms of ${took}`);
      assert.equal(Math.round(api.durationMs * 100) / 100, api.durationMs, "hundredths of a millisecond");
      assert.equal(page.requestId, null);
      assert.equal(page.status, 200);
      for (const [i, o] of odd.entries()) {
        assert.equal(o.method, "OTHER", `${oddMethods[i]}, not an upper-case word of at most 16 letters, is echoed`);
      }
      assert.ok(!lines.join("\n").includes(S2S));
    },
  },
  {
    name: "the access log writes a handler that throws as a 500, and rethrows",
    fn: async () => {
      const lines: string[] = [];
      const handler = withAccessLog(() => Promise.reject(new Error("boom")), {
        format: "pretty",
        write: (line) => lines.push(line),
      });
      await assert.rejects(handler(new Request("http://x/api/version", { method: "GET" })), /boom/);
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^\S+Z GET \/api\/version 500 \d+\.\dms -$/);
    },
  },
  {
    name: "the access log writes pretty lines for people and JSON lines for programs, to standard output by default",
    fn: async () => {
      const entry = {
        time: "2026-11-22T12:00:00.000Z",
        method: "GET",
        path: "/healthz",
        status: 200,
        durationMs: 1.25,
        requestId: "r-1",
      };
      assert.equal(formatAccessEntry(entry, "pretty"), "2026-11-22T12:00:00.000Z GET /healthz 200 1.3ms r-1");
      assert.equal(formatAccessEntry({ ...entry, requestId: null }, "pretty").endsWith(" 1.3ms -"), true);
      assert.deepEqual(JSON.parse(formatAccessEntry(entry, "json")), entry);
      const lines = await capturingConsole(async (lines) => {
        await withAccessLog(() => Promise.resolve(new Response("ok")), { format: "json" })(
          new Request("http://x/healthz-of-the-default-sink"),
        );
        return lines;
      });
      const line = lines.find((l) => l.includes("/healthz-of-the-default-sink"));
      assert.ok(line?.startsWith("log: {"), `the line went to ${line}`);
    },
  },
  {
    name:
      "an unexpected failure is a 500 problem that hides its detail, which the error log keeps under the request id",
    fn: async () => {
      await using t = await testApp();
      t.deps.store.findSiteByApiKey = () => Promise.reject(new Error("disk on fire: /secret/path"));
      const { res, b, lines } = await capturingConsole(async (lines) => {
        const res = await t.post("/api/widget/visitor-token", t.a.serverToken, {
          siteApiKey: t.a.sites[0]!.apiKey,
          externalUserId: "u",
        });
        return { res, b: await body(res), lines };
      });
      assert.equal(res.status, 500);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      const id = res.headers.get("x-request-id");
      assert.deepEqual(b, {
        type: "urn:setchat:error:internal_error",
        title: ERRORS.internal_error.title,
        status: 500,
        detail: "The server failed to answer this request",
        code: "internal_error",
        fix: ERRORS.internal_error.fix,
        instance: `urn:setchat:request:${id}`,
      });
      const logged = lines.find((l) => l.includes(`Request ${id} failed:`));
      assert.ok(logged?.startsWith("error: "), `no error line names the request: ${lines.join(" | ")}`);
      assert.ok(logged!.includes("disk on fire: /secret/path"), "the log keeps what failed");
    },
  },
  {
    name: "an error answered at 5xx keeps its code and hides its detail; below 500 it shows it and logs nothing",
    fn: async () => {
      const { answers, lines } = await capturingConsole(async (lines) => {
        const answers = await Promise.all(ERROR_CODES.map(async (code) => {
          const res = problemResponse(new AppError(code, `Cannot test ${code}: a detail`), `req-${code}`);
          return { code, res, b: await body(res) };
        }));
        return { answers, lines };
      });
      for (const { code, res, b } of answers) {
        const status = ERRORS[code].status;
        assert.equal(res.status, status, code);
        assert.equal(b.code, code);
        assert.equal(b.type, `urn:setchat:error:${code}`);
        assert.equal(b.instance, `urn:setchat:request:req-${code}`);
        const logged = lines.some((l) => l.startsWith(`error: Request req-${code} failed:`));
        if (status >= 500) {
          assert.equal(b.detail, "The server failed to answer this request", code);
          assert.ok(logged, `${code} is not in the error log`);
        } else {
          assert.equal(b.detail, `Cannot test ${code}: a detail`, code);
          assert.ok(!logged, `${code}, a client's error, is in the error log`);
        }
      }
    },
  },
  {
    name: "a body read under a deadline is read in full when it arrives within it, and refused with 408 once it passes",
    fn: async () => {
      const ms = unusedDeadlineMs++;
      const options = { limit: 1024, timeoutMs: ms };
      // The first read under this deadline, then a second one beside it: both within the deadline.
      const [first, second] = await Promise.all([
        readJson(bodyInPieces(Math.round(ms / 8)), options),
        readJson(bodyInPieces(Math.round(ms / 4)), options),
      ]);
      assert.deepEqual(first, { siteApiKey: "k", externalUserId: "u" });
      assert.deepEqual(second, first);
      const started = performance.now();
      // The deadline's timer keeps no process alive (a server's listener does): this one waits for it.
      const alive = setInterval(() => {}, 1000);
      const stalled = await readJson(bodyInPieces("never"), options).then(
        () => assert.fail("a body that never ends was read"),
        (error: AppError) => error,
      ).finally(() => clearInterval(alive));
      const waited = performance.now() - started;
      assert.equal(stalled.code, "request_timeout", stalled.message);
      assert.ok(stalled.message.includes(`within ${ms} ms`), stalled.message);
      assert.ok(waited >= ms - 5, `refused after ${waited.toFixed(0)} ms, before its deadline of ${ms} ms`);
    },
  },
  {
    name: "a body that breaks off, breaks its chunks or never comes is each refused for what it is, a client's 400",
    fn: async () => {
      const options = { limit: 1024, timeoutMs: 5000 };
      // A body sent in chunks (no Content-Length) whose stream fails after its first piece, as the runtime fails it.
      const failing = (reason: string) =>
        new Request("http://x/api/widget/visitor-token", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode(`{"siteApiKey": `));
              controller.error(new Error(reason));
            },
          }),
        });
      const refusal = (request: Request) =>
        readJson(request, options).then(() => assert.fail("a broken body was read"), (error: AppError) => error);
      const cases: [Request, string, string | null][] = [
        [failing("connection reset"), "Cannot read the body: the connection ended before all of it arrived", null],
        [
          failing("invalid HTTP chunk size"),
          "Cannot read the body: its chunked transfer encoding is malformed",
          "close",
        ],
        [
          new Request("http://x/api/widget/visitor-token", {
            method: "POST",
            headers: { "content-type": "application/json" },
          }),
          "Cannot read the body: it is empty, expected a JSON object",
          null,
        ],
      ];
      for (const [request, message, connection] of cases) {
        const error = await refusal(request);
        assert.equal(error.code, "malformed_json", error.message);
        assert.equal(error.status, 400);
        assert.equal(error.message, message);
        assert.equal(new Headers(error.headers).get("connection"), connection, message);
      }
    },
  },
  {
    name: "a stalled body is refused once a test clock moves to its deadline, not before, long before the real one",
    fn: async () => {
      // A test clock is at some time of day, never at zero: a deadline counts from when the read began.
      let now = 1_765_000_000_000;
      const listeners = new Set<() => void>();
      const clock = {
        now: () => now,
        onMove(listener: () => void) {
          listeners.add(listener);
          return () => void listeners.delete(listener);
        },
      };
      const move = (ms: number) => {
        now += ms;
        for (const l of [...listeners]) l();
      };
      const ms = 60_000;
      let refused: AppError | undefined;
      const read = readJson(bodyInPieces("never"), { limit: 1024, timeoutMs: ms, clock }).then(
        () => assert.fail("a body that never ends was read"),
        (error: AppError) => void (refused = error),
      );
      const settle = () => new Promise((r) => setTimeout(r, 20));
      await settle();
      move(ms / 2);
      await settle();
      assert.equal(refused, undefined, "refused when the clock had moved half its deadline");
      move(ms / 2 - 1);
      await settle();
      assert.equal(refused, undefined, "refused a millisecond before its deadline");
      move(1);
      // Refused at once: the real deadline is a minute away.
      await Promise.race([read, new Promise((r) => setTimeout(r, 5000))]);
      assert.equal((refused as AppError | undefined)?.code, "request_timeout", "not refused at its deadline");
      assert.equal(listeners.size, 0, "the refused read still listens to the clock");
    },
  },
  {
    name:
      "a request target is routed by the path a URL parser reads: dot segments resolved, whatever the Host or the query",
    fn: async () => {
      await using server = await startServer(TEST_SERVER_CONFIG);
      const { hostname, port } = new URL(server.url);
      const origin = `http://${hostname}:${port}`;
      /** The status line of a raw GET of `target`, sent with `host`, as a client that writes its own request does. */
      const statusOf = async (target: string, host = `${hostname}:${port}`) => {
        const text = await exchangeRaw(
          server.url,
          `GET ${target} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`,
        );
        return text.slice(0, text.indexOf("\r\n"));
      };
      // A first request from this origin, then targets the runtime keeps as they came: `request.url` is `${origin}/..`,
      // whose path a URL parser reads as `/`.
      assert.match(await statusOf("/api/version"), /^HTTP\/1\.1 200 /);
      assert.match(await statusOf("/.."), /^HTTP\/1\.1 200 /, "GET /.. is not GET /");
      assert.match(await statusOf("/./api/version"), /^HTTP\/1\.1 200 /, "GET /./api/version is not GET /api/version");
      assert.match(await statusOf("/api/../healthz"), /^HTTP\/1\.1 200 /, "GET /api/../healthz is not GET /healthz");
      // After a request from this origin, one from a shorter Host whose query ends with that origin: its own path counts,
      // not the part of its URL that follows as many characters as the last origin has.
      assert.match(await statusOf("/api/version"), /^HTTP\/1\.1 200 /);
      const filler = "a".repeat(origin.length - "http://a/".length);
      assert.match(
        await statusOf(`/${filler}/healthz?${origin}`, "a"),
        /^HTTP\/1\.1 404 /,
        "a path read from the query",
      );
    },
  },
  {
    name: "an answer to HEAD carries GET's header section on the wire: the same fields in the same order, the same " +
      "values, the body's Content-Length, and no body",
    fn: async () => {
      await using server = await startServer(TEST_SERVER_CONFIG);
      const { hostname, port } = new URL(server.url);
      const { acme } = server.demo!;
      const opened = await fetch(`${server.url}/api/widget/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ siteApiKey: acme.sites[0]!.apiKey }),
      });
      const { sessionToken } = await opened.json();
      /** The head and the body of a raw `method` of `target`, as the bytes came. */
      const exchange = async (method: string, target: string, token?: string) => {
        const auth = token ? `authorization: Bearer ${token}\r\n` : "";
        const request = `${method} ${target} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n${auth}connection: close\r\n\r\n`;
        const text = await exchangeRaw(server.url, request);
        const end = text.indexOf("\r\n\r\n");
        const [status = "", ...lines] = text.slice(0, end).split("\r\n");
        const fields = lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]);
        return { status, fields, body: text.slice(end + 4) };
      };
      // Answers built whole (the mint's, the version's), finished by the app (the others), a CORS route, a problem with
      // its challenge, the widget's script and the demo's page.
      const targets: [string, string?][] = [
        ["/api/version"],
        ["/healthz"],
        ["/openapi.json"],
        ["/.well-known/jwks.json"],
        ["/widget.js"],
        ["/api/widget/session", sessionToken],
        ["/api/widget/conversations"],
        [`/api/tenants/${acme.tenant.id}/widget-identity/s2s-tokens`, acme.adminToken],
        ["/api/nope"],
        ["/"],
      ];
      for (const [target, token] of targets) {
        const get = await exchange("GET", target, token);
        const head = await exchange("HEAD", target, token);
        assert.equal(head.status, get.status, target);
        assert.equal(head.body, "", `${target}: HEAD has a body`);
        // What differs from one answer to the next: the time, the request's id, and a problem's detail, which names
        // the method (so its length).
        const varies = new Set(["date", "x-request-id", ...(get.status.includes(" 200 ") ? [] : ["content-length"])]);
        const shown = (fields: string[][]) => fields.map(([n, v]) => varies.has(n!) ? n : `${n}: ${v}`);
        assert.deepEqual(shown(head.fields), shown(get.fields), `${target}: HEAD's header section is not GET's`);
        if (get.status.includes(" 200 ")) {
          const length = head.fields.find(([n]) => n === "content-length")?.[1];
          assert.equal(length, String(new TextEncoder().encode(get.body).byteLength), `${target}: Content-Length`);
        }
      }
    },
  },
  {
    name:
      "a body whose Content-Length is sent twice with one value is held to the limit as any other: refused past it " +
      "with 413, read within it; one declared past the limit is refused before any of it comes",
    fn: async () => {
      await using server = await startServer(TEST_SERVER_CONFIG);
      const { hostname, port } = new URL(server.url);
      const apiKey = server.demo!.acme.sites[0]!.apiKey;
      const send = async (body: string, { lengths = 2, sent = body } = {}) => {
        const length = new TextEncoder().encode(body).byteLength;
        const head = [
          "POST /api/widget/sessions HTTP/1.1",
          `host: ${hostname}:${port}`,
          "content-type: application/json",
          ...Array.from({ length: lengths }, () => `content-length: ${length}`),
          "connection: close",
        ];
        return await exchangeRaw(server.url, `${head.join("\r\n")}\r\n\r\n${sent}`);
      };
      const past = await send(JSON.stringify({ siteApiKey: apiKey, pad: "x".repeat(LIMITS.bodyBytes) }));
      assert.match(past, /^HTTP\/1\.1 413 /, `a body past the limit, its length sent twice: ${past.slice(0, 400)}`);
      assert.match(past, /"code":"body_too_large"/, past.slice(0, 400));
      const within = await send(JSON.stringify({ siteApiKey: apiKey }));
      assert.match(
        within,
        /^HTTP\/1\.1 201 /,
        `a body within the limit, its length sent twice: ${within.slice(0, 400)}`,
      );
      // Its length alone, none of it sent: refused at once, not once the read's deadline has passed.
      const declared = await send(JSON.stringify({ siteApiKey: apiKey, pad: "x".repeat(LIMITS.bodyBytes) }), {
        lengths: 1,
        sent: "",
      });
      assert.match(declared, /^HTTP\/1\.1 413 /, `a body declared past the limit, none of it sent: ${declared}`);
    },
  },
  {
    name:
      "an HTTP/1.0 client whose body stalls gets 408 with Connection: close, which the runtime adds only to HTTP/1.1",
    fn: async () => {
      await using server = await startServer({ ...TEST_SERVER_CONFIG, testClock: true });
      const { hostname, port } = new URL(server.url);
      const conn = await Deno.connect({ hostname, port: Number(port) });
      const head = [
        "POST /api/widget/visitor-token HTTP/1.0",
        `host: ${hostname}:${port}`,
        `authorization: Bearer ${server.demo!.acme.serverToken}`,
        "content-type: application/json",
        "content-length: 100",
      ];
      await conn.write(new TextEncoder().encode(`${head.join("\r\n")}\r\n\r\n{"siteApiKey": `));
      let answered = false;
      const answer = readAnswer(conn, 5000).finally(() => void (answered = true));
      // The test clock moved past the bound from another connection, as a test run moves it.
      const admin = server.demo!.acme;
      let moved: Response;
      do {
        await new Promise((r) => setTimeout(r, 20));
        moved = await fetch(`${server.url}/api/test/clock`, {
          method: "POST",
          headers: { authorization: `Bearer ${admin.adminToken}`, "content-type": "application/json" },
          body: JSON.stringify({ advanceSeconds: Math.ceil(LIMITS.bodyReadMs / 1000) + 1 }),
        });
        await moved.body?.cancel();
      } while (moved.ok && !answered);
      const text = await answer;
      const [status = "", ...lines] = text.slice(0, text.indexOf("\r\n\r\n")).split("\r\n");
      assert.match(status, /^HTTP\/1\.[01] 408 /, text);
      const headers = new Headers(lines.map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]));
      assert.equal(headers.get("connection"), "close", `the 408 to an HTTP/1.0 client: ${text}`);
    },
  },
  {
    name: "a test clock moves to the first and the last time it holds, makes records there, is refused a move past " +
      "either with 400 naming advanceSeconds, and left running to the last time an id holds still dates every record",
    fn: async () => {
      // Servers whose real clock stands at those ends, as a test run that moved its clock there by days would find it.
      const ends = [
        {
          real: TEST_CLOCK_TIMES.firstMs + 86_400_000,
          freeze: false,
          to: -86_400,
          past: -1,
          code: "too_small",
          shows: "1999-12-31T23:59:59.000Z",
        },
        {
          real: TEST_CLOCK_TIMES.lastMs,
          freeze: true,
          to: 0,
          past: 1,
          code: "too_big",
          shows: "8000-01-01T00:00:01.000Z",
        },
      ];
      for (const end of ends) {
        let real = end.real;
        await using server = await startServer({ ...TEST_SERVER_CONFIG, testClock: true }, { now: () => real });
        const { tenant, adminToken, sites } = server.demo!.acme;
        const call = async (path: string, change?: unknown, token = adminToken) => {
          const answer = await fetch(`${server.url}${path}`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            ...(change === undefined ? {} : { body: JSON.stringify(change) }),
          });
          return { status: answer.status, body: await answer.json() };
        };
        const at = end.real + end.to * 1000;
        // The clock left running (its real clock stands still) or stopped: a move is judged from where it is either way.
        const moved = await call("/api/test/clock", {
          ...(end.freeze ? { freeze: true } : {}),
          advanceSeconds: end.to,
        });
        assert.equal(moved.status, 200, `moving the clock to ${at} ms: ${JSON.stringify(moved.body)}`);
        assert.deepEqual([moved.body.nowMs, moved.body.frozen], [at, end.freeze]);
        const rotated = await call(`/api/tenants/${tenant.id}/widget-identity/s2s-token/rotate`);
        assert.equal(rotated.status, 200, `a new server token at ${at} ms: ${JSON.stringify(rotated.body)}`);
        for (const change of [{ advanceSeconds: end.past }, { freeze: true, advanceSeconds: end.past }]) {
          const refused = await call("/api/test/clock", change);
          assert.equal(refused.status, 400, `${JSON.stringify(change)} at ${at} ms: ${JSON.stringify(refused.body)}`);
          assert.equal(refused.body.code, "invalid_request");
          assert.deepEqual(refused.body.errors.map((e: { path: string; code: string }) => [e.path, e.code]), [
            ["advanceSeconds", end.code],
          ]);
          const range = "from 2000-01-01T00:00:00.000Z to 8000-01-01T00:00:00.000Z";
          for (const words of [end.shows, range, "move it less far, or reset it"]) {
            assert.ok(refused.body.detail.includes(words), `the refusal does not say ${words}: ${refused.body.detail}`);
          }
        }
        const shown = await fetch(`${server.url}/api/test/clock`, {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        const state = await shown.json();
        assert.deepEqual([state.nowMs, state.frozen], [at, end.freeze], "a refused move moved the clock");
        if (end.code !== "too_big") continue;
        // Left running from its last time to the last millisecond an id holds, 888 years on, which no run reaches:
        // every record is still made, dated in its id, and every time written is RFC 3339's, with four digits of year.
        assert.equal((await call("/api/test/clock", { freeze: false })).status, 200);
        real += LAST_ID_MS - TEST_CLOCK_TIMES.lastMs;
        const session = await call("/api/widget/sessions", { siteApiKey: sites[0]!.apiKey });
        assert.equal(session.status, 201, `a session at the last time an id holds: ${JSON.stringify(session.body)}`);
        const started = await call(
          "/api/widget/conversations",
          { kind: "chat", text: "Hello" },
          session.body.sessionToken,
        );
        assert.equal(
          started.status,
          201,
          `a conversation at the last time an id holds: ${JSON.stringify(started.body)}`,
        );
        const times = JSON.stringify([session.body, started.body]).match(/"\d+-\d+-\d+T[^"]*"/g) ?? [];
        assert.ok(times.length >= 3, `too few times in ${JSON.stringify([session.body, started.body])}`);
        for (const time of times) assert.match(time, /^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z"$/);
      }
    },
  },
  {
    name: "ids made in different milliseconds share nothing: the random part of one tells nothing of the next",
    fn: async () => {
      await using t = await testApp();
      const widget = await openWidget(t);
      const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
      // An id is its kind, 8 base62 digits of time, then 13 of its random part.
      const randomPart = (id: string) =>
        [...id.slice(id.indexOf("_") + 9)].reduce((n, c) => n * 62n + BigInt(digits.indexOf(c)), 0n);
      let previous: bigint | undefined;
      for (let i = 0; i < 4; i++) {
        t.clock.advance(1);
        const { id } = await widget.start();
        const random = randomPart(id);
        // Two 72-bit draws this close: one chance in 2^31.
        const apart = previous === undefined ? undefined : random > previous ? random - previous : previous - random;
        assert.ok(
          apart === undefined || apart > 1n << 40n,
          `${id} is ${apart} from the id before, a millisecond before`,
        );
        previous = random;
      }
    },
  },
  {
    name:
      "ids made in one millisecond sort in the order they were made whatever the random draws give, none or all ones",
    fn: () => {
      const draw = crypto.getRandomValues;
      for (const fill of [0x00, 0xff]) {
        // The generator's own draws, pinned: the ends of what a random source can give.
        crypto.getRandomValues = (<T extends ArrayBufferView | null>(array: T): T => {
          if (array instanceof Uint8Array) array.fill(fill);
          return array;
        }) as typeof crypto.getRandomValues;
        try {
          const ids = Array.from({ length: 3 }, () => newId("cnv", 1_765_000_000_000 + fill));
          for (let i = 1; i < ids.length; i++) {
            assert.ok(
              ids[i - 1]! < ids[i]!,
              `with every random byte ${fill}, ${ids[i]} does not sort after ${ids[i - 1]}`,
            );
          }
        } finally {
          crypto.getRandomValues = draw;
        }
      }
      return Promise.resolve();
    },
  },
  {
    name: "reads waiting on one deadline are each refused in time: a read begun later is refused after the first, " +
      "within a second of its own deadline",
    fn: async () => {
      // A timer set from the wrong moment (the process's age added, say) is late by about the process's age: in a
      // process younger than that, it could pass for the runtime's slowness.
      while (performance.now() < 2000) await new Promise((r) => setTimeout(r, 100));
      // The second read begins most of a deadline after the first: a timer that fires late, on a loaded machine, still
      // finds it waiting, not due, and must set itself again from the right moment.
      const ms = 1000 + unusedDeadlineMs++;
      const gap = Math.round(ms * 0.8);
      const options = { limit: 1024, timeoutMs: ms };
      // How long after it began a stalled read is refused, or that it still waits well past its deadline.
      const refusal = (began: number) =>
        Promise.race([
          readJson(bodyInPieces("never"), options).then(
            () => "read in full",
            (error: AppError) => error.code === "request_timeout" ? performance.now() - began : error.code,
          ),
          new Promise<string>((r) => setTimeout(() => r("still waiting"), 2 * ms + 2000)),
        ]);
      const alive = setInterval(() => {}, 1000);
      try {
        const first = refusal(performance.now());
        await new Promise((r) => setTimeout(r, gap));
        const second = refusal(performance.now());
        const [a, b] = await Promise.all([first, second]);
        assert.equal(typeof a, "number", `the first stalled read: ${a}`);
        assert.equal(typeof b, "number", `the second, begun ${gap} ms after the first: ${b}`);
        assert.ok((b as number) >= ms - 5, `the second was refused after ${b} ms, before its deadline of ${ms} ms`);
        for (const [which, after] of [["first", a], ["second", b]] as const) {
          const late = (after as number) - ms;
          assert.ok(late <= 1000, `the ${which} was refused ${late.toFixed(0)} ms past its deadline of ${ms} ms`);
        }
      } finally {
        clearInterval(alive);
      }
    },
  },
  {
    name:
      "a read that ended leaves its deadline's queue at once: nothing of it is kept until its deadline, or called then",
    fn: async () => {
      const queue = new Deadlines(50);
      const called: string[] = [];
      const alive = setInterval(() => {}, 1000);
      try {
        queue.add(() => called.push("the read that ended"))();
        // Due after the first, so the sweep that reaches it has passed the first's deadline.
        await new Promise<void>((resolve) => queue.add(() => resolve(void called.push("the read still waiting"))));
      } finally {
        clearInterval(alive);
      }
      assert.deepEqual(called, ["the read still waiting"]);
    },
  },
  {
    name:
      "reads that begin while a deadline's timer is set set no other: one timer serves them all, a stalled read or not",
    fn: () => {
      const set = globalThis.setTimeout;
      let timers = 0;
      const ends: (() => void)[] = [];
      const queue = new Deadlines(60_000);
      globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
        timers++;
        const timer = set(...args);
        ends.push(() => clearTimeout(timer));
        return timer;
      }) as typeof setTimeout;
      try {
        // One read that stalls, then a hundred that end at once, as a busy server meets them within one deadline.
        queue.add(() => {});
        for (let i = 0; i < 100; i++) queue.add(() => {})();
      } finally {
        globalThis.setTimeout = set;
        for (const end of ends) end();
      }
      assert.equal(timers, 1, `${timers} timers set for 101 reads begun within one deadline`);
      return Promise.resolve();
    },
  },
  {
    name: "no token plaintext reaches the log, whatever the request",
    fn: async () => {
      await using t = await testApp();
      const { lines, rotated } = await capturingConsole(async (lines) => {
        const site = t.a.sites[0]!.apiKey;
        const mint = (token: string) =>
          t.post("/api/widget/visitor-token", token, { siteApiKey: site, externalUserId: "u" }).then((r) =>
            r.body?.cancel()
          );
        await mint(t.a.serverToken);
        await mint(t.a.serverToken.slice(0, -2));
        const rotated = await body(
          await t.post(`/api/tenants/${t.a.tenant.id}/widget-identity/s2s-token/rotate`, t.a.adminToken),
        );
        await t.post(`/api/tenants/${t.a.tenant.id}/widget-identity/s2s-token/revoke-previous`, t.a.adminToken)
          .then((r) => r.body?.cancel());
        await mint(t.a.serverToken);
        t.deps.store.findSiteByApiKey = () => Promise.reject(new Error("boom"));
        await mint(rotated.token);
        return { lines, rotated };
      });
      const all = lines.join("\n");
      assert.ok(all.includes("boom"), "the 500 above should have logged something");
      for (const secret of [t.a.serverToken, t.a.adminToken, rotated.token]) {
        assert.ok(!all.includes(secret.slice(12, 40)), "a token was logged");
      }
    },
  },
  {
    name: "a server started without its widget built answers /widget.js with 503 widget_unavailable, as its OpenAPI " +
      "document says, and logs why",
    fn: async () => {
      // The in-process app has no widget bundle: as a server whose `dist/widget.js` was never built.
      await using t = await testApp();
      const { answer, problem, doc, lines } = await capturingConsole(async (lines) => {
        const answer = await t.fetch("/widget.js");
        return { answer, problem: await body(answer), doc: await body(await t.fetch("/openapi.json")), lines };
      });
      assert.equal(answer.status, ERRORS.widget_unavailable.status);
      assert.equal(problem.code, "widget_unavailable");
      const documented = doc.paths["/widget.js"].get.responses[String(ERRORS.widget_unavailable.status)]?.description;
      assert.ok(String(documented).includes("`widget_unavailable`"), `/widget.js documents ${documented}`);
      const logged = lines.find((l) => l.startsWith("error: ") && l.includes(problem.instance.split(":").at(-1)));
      assert.ok(
        logged?.includes("failed: AppError: Cannot serve the widget: dist/widget.js was not built\n"),
        `the log does not say why, naming the application's error: ${lines.join(" | ")}`,
      );
      assert.doesNotMatch(logged!, /\[cause\]/, "the log shows a cause the error does not have");
    },
  },
  {
    name: "the server's test clock refuses a stalled body when moved to its deadline, and stops calling what left it",
    fn: async () => {
      const clock = new TestClock(() => 1_765_000_000_000);
      let refused: AppError | undefined;
      const read = readJson(bodyInPieces("never"), { limit: 1024, timeoutMs: 60_000, clock }).catch(
        (error: AppError) => void (refused = error),
      );
      await new Promise((r) => setTimeout(r, 20));
      clock.apply({ advanceSeconds: 59 });
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(refused, undefined, "refused a second before its deadline");
      clock.apply({ advanceSeconds: 1 });
      await Promise.race([read, new Promise((r) => setTimeout(r, 5000))]);
      assert.equal(
        (refused as AppError | undefined)?.code,
        "request_timeout",
        "not refused at the test clock's deadline",
      );
      let calls = 0;
      const off = clock.onMove(() => calls++);
      clock.apply({ freeze: true });
      off();
      clock.apply({ advanceSeconds: 1 });
      assert.equal(calls, 1, "a listener taken off the clock is still called, or one on it was not");
    },
  },
  {
    name: "docs/running.md explains every reason not to start: its line, its cause and its fix, in full sentences",
    fn: async () => {
      const catalogue = Object.values(STARTUP_ERRORS);
      assert.deepEqual(
        await documentedStartupErrors(),
        catalogue.map(({ message, cause, fix }) => ({ message, cause, fix })),
      );
      for (const { message, cause, fix } of catalogue) {
        assert.match(message, /^Cannot \S.*: .+; \S.+[^.]$/, "a line says what failed, why, then what to do");
        assert.match(cause, /^\S.{20,}\.$/, `the cause of "${message}"`);
        assert.match(fix, /^\S.{20,}\.$/, `the fix of "${message}"`);
      }
    },
  },
  {
    name: "each reason not to start prints a line of the form docs/running.md gives it",
    fn: async () => {
      const env = () => undefined;
      await assertRefusedAs("invalid_setting", () => parseCommandLine(["--prot", "1"], env));
      const settings: [string[], Record<string, string>, RegExp][] = [
        [["--port"], {}, /'--port <value>' argument missing/],
        [["--port", "http"], {}, /--port "http"/],
        [[], { PORT: "-1" }, /PORT "-1"/],
        [["--log", "xml"], {}, /--log "xml".*pretty, json, off/],
        [[], { SETCHAT_VISITOR_TOKEN_TTL: "3600" }, /3600.*300 to 900.*SETCHAT_VISITOR_TOKEN_TTL/],
        [[], { SETCHAT_VISITOR_TOKEN_TTL: "450.5" }, /450\.5.*SETCHAT_VISITOR_TOKEN_TTL/],
        [["--database", "mysql://db/setchat"], {}, /--database.*postgres:\/\//],
        [[], { SETCHAT_TEST_CLOCK: "yes" }, /SETCHAT_TEST_CLOCK "yes"/],
      ];
      for (const [args, vars, names] of settings) {
        await assertRefusedAs("invalid_setting", () => parseCommandLine(args, (name) => vars[name]), names);
      }
      await assertRefusedAs("test_clock_refused", () => parseCommandLine(["--test-clock", "--host", "0.0.0.0"], env));
      const dir = await Deno.makeTempDir({ prefix: "setchat-startup-" });
      try {
        await Deno.writeTextFile(`${dir}/file`, "");
        await assertRefusedAs(
          "data_dir_unusable",
          () => openDataDirectory(`${dir}/file`),
          undefined,
          /\[cause\]: AlreadyExists/,
        );
        await Deno.mkdir(`${dir}/open`, { mode: 0o755 });
        await Deno.chmod(`${dir}/open`, 0o755);
        await assertRefusedAs("data_dir_open", () => openDataDirectory(`${dir}/open`));
        await using _first = await openDataDirectory(`${dir}/data`);
        await assertRefusedAs("data_dir_in_use", () => openDataDirectory(`${dir}/data`));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
      // A port nothing listens on: the one a listener just closed.
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = closed.addr.port;
      closed.close();
      await assertRefusedAs(
        "database_unusable",
        () => openPostgresStore({ url: `postgres://setchat:secret@127.0.0.1:${port}/setchat` }),
        undefined,
        /\[cause\]: .*ECONNREFUSED/s,
      );
    },
  },
];
