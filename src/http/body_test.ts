import assert from "node:assert/strict";
import * as jose from "jose";
import { LIMITS } from "../contract/common.ts";
import { TestClock } from "../domain/test_clock.ts";
import { testServer } from "../test_utils.ts";
import { Deadlines } from "./body.ts";

Deno.test("a __proto__ key in metadata or customData is refused with a 400 naming its path, not dropped", async () => {
  await using s = await testServer();
  const { acme } = s.demo;
  const siteApiKey = acme.sites[0]!.apiKey;
  // Written by hand: JSON.stringify of an object literal would not keep a __proto__ key.
  const cases: [string, string, string | undefined, string[]][] = [
    [
      "/api/widget/visitor-token",
      `{"siteApiKey":"${siteApiKey}","externalUserId":"u","metadata":{"plan":"pro","__proto__":{"admin":true}}}`,
      acme.serverToken,
      ["metadata.__proto__"],
    ],
    [
      "/api/widget/visitor-token",
      `{"siteApiKey":"${siteApiKey}","externalUserId":"u","metadata":{"a":[{"\\u005f_proto__":1}],"__proto__":2}}`,
      acme.serverToken,
      ["metadata.__proto__", "metadata.a.0.__proto__"],
    ],
    [
      "/api/widget/visitor-token",
      `{"siteApiKey":"${siteApiKey}","externalUserId":"u","metadata":{"\\u005f_pr\\u006fto__":1,"none":null}}`,
      acme.serverToken,
      ["metadata.__proto__"],
    ],
    [
      "/api/widget/sessions",
      `{"siteApiKey":"${siteApiKey}","user":{"name":"Ada","customData":{"x":{"__proto__":{"y":1}}}}}`,
      undefined,
      ["user.customData.x.__proto__"],
    ],
    ["/api/widget/sessions", `{"siteApiKey":"${siteApiKey}","__proto__":{}}`, undefined, ["__proto__"]],
  ];
  for (const [path, text, token, paths] of cases) {
    const res = await s.call("POST", path, { ...(token ? { token } : {}), body: text });
    const problem = await res.json();
    assert.equal(res.status, 400, text);
    assert.equal(problem.code, "invalid_request");
    assert.deepEqual(problem.errors.map((e: { path: string }) => e.path), paths);
    assert.ok(problem.detail.includes(`"${paths[0]}"`), problem.detail);
  }
  // Other keys that mean something to JavaScript are kept as sent.
  const kept = await s.call("POST", "/api/widget/visitor-token", {
    token: acme.serverToken,
    body:
      `{"siteApiKey":"${siteApiKey}","externalUserId":"u","metadata":{"constructor":{"prototype":1},"toString":"x"}}`,
  });
  assert.equal(kept.status, 200);
  assert.deepEqual(jose.decodeJwt((await kept.json()).token).metadata, {
    constructor: { prototype: 1 },
    toString: "x",
  });
});

Deno.test("a body nesting one level past the bound is refused whatever brackets it uses, and brackets in strings are no level", async () => {
  await using s = await testServer();
  const { acme } = s.demo;
  const mint = (metadata: string) =>
    s.call("POST", "/api/widget/visitor-token", {
      token: acme.serverToken,
      body: `{"siteApiKey":"${acme.sites[0]!.apiKey}","externalUserId":"u","metadata":${metadata}}`,
    });
  // The body is level 1 and metadata level 2: `levels` more brackets inside it reach level `levels + 2`.
  const inside = (levels: number, open: string, close: string) =>
    `{"a":${open.repeat(levels)}1${close.repeat(levels)}}`;
  const max = LIMITS.jsonDepth;
  for (const [open, close] of [["[", "]"], ['{"b":', "}"]] as const) {
    assert.equal((await mint(inside(max - 2, open, close))).status, 200, `${open} at the bound`);
    const past = await mint(inside(max - 1, open, close));
    assert.equal(past.status, 400, `${open} past the bound`);
    assert.equal((await past.json()).errors[0].code, "too_deep");
  }
  const brackets = await mint(JSON.stringify({ text: "[{".repeat(max + 1) }));
  assert.equal(brackets.status, 200);
});

/**
 * Sends `head` and `parts` (each after `pauseMs`; a function is awaited in between) on a raw socket, and reads what
 * comes back until `waitMs`.
 */
async function rawExchange(
  port: number,
  head: string,
  parts: (string | (() => Promise<void>))[],
  { pauseMs = 0, waitMs = 5000 }: { pauseMs?: number; waitMs?: number } = {},
): Promise<{ text: string; ms: number }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const start = performance.now();
  const encoder = new TextEncoder();
  await conn.write(encoder.encode(head));
  for (const part of parts) {
    if (typeof part === "function") {
      await part();
      continue;
    }
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    await conn.write(encoder.encode(part));
  }
  // The test never hangs: whatever happens, the socket is closed after waitMs.
  const stop = setTimeout(() => conn.close(), waitMs);
  let text = "";
  const buffer = new Uint8Array(4096);
  try {
    while (!/\r\n\r\n[\s\S]*\}/.test(text)) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) throw error;
  } finally {
    clearTimeout(stop);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
  return { text, ms: performance.now() - start };
}

Deno.test("a body that stalls half-way gets a 408 as soon as the test clock moves past the bound, not before", async () => {
  const clock = new TestClock();
  // Resolved once the app has begun reading the request's body (it does so as soon as the request reaches it).
  let reading = Promise.withResolvers<void>();
  await using s = await testServer({
    mutate: (deps) => ({ ...deps, testClock: clock, config: { ...deps.config, bodyReadTimeoutMs: 600_000 } }),
    wrap: (next) => (request, info) => {
      const answer = next(request, info);
      reading.resolve();
      return answer;
    },
  });
  const port = Number(new URL(s.url).port);
  const body = JSON.stringify({ siteApiKey: s.demo.acme.sites[0]!.apiKey });
  const head = `POST /api/widget/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\n\r\n`;
  const moveClock = (seconds: number) => async () => {
    await reading.promise;
    clock.apply({ advanceSeconds: seconds });
  };
  // Short of the bound, the clock changes nothing: the rest of the body arrives and is read.
  const moved = await rawExchange(port, head, [body.slice(0, 10), moveClock(599), body.slice(10)]);
  assert.match(moved.text, /^HTTP\/1\.1 201 /, moved.text);
  reading = Promise.withResolvers<void>();
  const stalled = await rawExchange(port, head, [body.slice(0, 10), moveClock(601)], { waitMs: 60_000 });
  assert.match(stalled.text, /^HTTP\/1\.1 408 /, stalled.text);
  assert.match(stalled.text, /"code":"request_timeout"/);
});

Deno.test("a body that stalls half-way gets a 408 request_timeout once the bound has passed", async () => {
  const bound = 800;
  const statuses: number[] = [];
  const server = (bodyReadTimeoutMs: number) =>
    testServer({
      mutate: (deps) => ({ ...deps, config: { ...deps.config, bodyReadTimeoutMs } }),
      wrap: (next) => async (request, info) => {
        const response = await next(request, info);
        statuses.push(response.status);
        return response;
      },
    });
  await using s = await server(bound);
  // A slow body is read on a server of its own with a bound far above its pauses: however busy the machine, its
  // pauses never add up to the bound, so slow never reads as stalled.
  await using patient = await server(60_000);
  const port = Number(new URL(s.url).port);
  const siteApiKey = s.demo.acme.sites[0]!.apiKey;
  const body = JSON.stringify({ siteApiKey });
  const heads = {
    "Content-Length": `POST /api/widget/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`,
    chunked: `POST /api/widget/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Transfer-Encoding: chunked\r\n\r\n`,
  };
  const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
  for (const [framing, head] of Object.entries(heads)) {
    const half = body.slice(0, 10);
    const stalled = await rawExchange(port, head, [framing === "chunked" ? chunk(half) : half]);
    assert.match(stalled.text, /^HTTP\/1\.1 408 /, `${framing}: ${stalled.text}`);
    assert.match(stalled.text, /connection: close/i);
    assert.match(stalled.text, /"code":"request_timeout"/);
    assert.ok(stalled.ms >= bound - 20, `${framing}: answered after ${stalled.ms} ms, before the bound`);
  }
  // A client that hangs up half-way is answered as a truncated body, never a 5xx.
  statuses.length = 0;
  await rawExchange(port, heads["Content-Length"], [body.slice(0, 10)], { waitMs: 50 });
  const deadline = Date.now() + 30_000;
  while (statuses.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(statuses, [400]);
  // A slow body that still arrives within the bound is read as usual.
  const patientPort = Number(new URL(patient.url).port);
  const patientBody = JSON.stringify({ siteApiKey: patient.demo.acme.sites[0]!.apiKey });
  const parts = [patientBody.slice(0, 10), patientBody.slice(10)];
  const slow = await rawExchange(patientPort, heads.chunked, [...parts.map(chunk), "0\r\n\r\n"], { pauseMs: 50 });
  assert.match(slow.text, /^HTTP\/1\.1 201 /, slow.text);
  const sized = heads["Content-Length"].replace(/Content-Length: \d+/, `Content-Length: ${patientBody.length}`);
  const whole = await rawExchange(patientPort, sized, parts, { pauseMs: 50 });
  assert.match(whole.text, /^HTTP\/1\.1 201 /, whole.text);
});

Deno.test("a JSON body that is not valid UTF-8 is a 400 malformed_json, never stored with replacement characters", async () => {
  await using s = await testServer();
  const siteApiKey = s.demo.acme.sites[0]!.apiKey;
  const encoder = new TextEncoder();
  // {"siteApiKey":"…","user":{"name":"<0xff 0xfe>"}}: bytes no UTF-8 text has.
  const bytes = new Uint8Array([
    ...encoder.encode(`{"siteApiKey":"${siteApiKey}","user":{"name":"Ada `),
    0xff,
    0xfe,
    ...encoder.encode(`"}}`),
  ]);
  const sent = [
    // With a Content-Length, and streamed (chunked).
    bytes,
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.subarray(0, 20));
        c.enqueue(bytes.subarray(20));
        c.close();
      },
    }),
  ];
  for (const body of sent) {
    const res = await fetch(`${s.url}/api/widget/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const problem = await res.json();
    assert.equal(res.status, 400, JSON.stringify(problem));
    assert.equal(problem.code, "malformed_json");
    assert.match(problem.detail, /not valid UTF-8/);
  }
});

Deno.test("a chunked body whose framing breaks after the handler started gets a 400 and Connection: close", async () => {
  const started = Promise.withResolvers<void>();
  await using s = await testServer({
    wrap: (next) => (request, info) => {
      started.resolve();
      return next(request, info);
    },
  });
  const port = Number(new URL(s.url).port);
  const head = `POST /api/widget/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Transfer-Encoding: chunked\r\n\r\n`;
  // A first chunk; once the handler runs, a chunk size that is not hexadecimal.
  const broken = await rawExchange(port, `${head}2\r\n{"\r\n`, [() => started.promise, "zz\r\n{}\r\n0\r\n\r\n"]);
  assert.match(broken.text, /^HTTP\/1\.1 400 /, broken.text);
  assert.match(broken.text, /connection: close/i);
  assert.match(broken.text, /"code":"malformed_json"/);
  assert.match(broken.text, /chunked transfer encoding is malformed/);
});

Deno.test("a chunked body broken from its first byte is closed by the runtime unanswered (a known limit)", async () => {
  // Deno 2.9 parses what arrived with the headers before it calls the handler: framing broken there ends the
  // connection with no answer, and the handler never runs. docs/running.md says so; this pins it, so that the day the
  // runtime answers (or calls the handler), the test says to update the docs.
  const calls: string[] = [];
  await using s = await testServer({
    wrap: (next) => (request, info) => {
      calls.push(new URL(request.url).pathname);
      return next(request, info);
    },
  });
  const port = Number(new URL(s.url).port);
  const head = `POST /api/widget/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Transfer-Encoding: chunked\r\n\r\n`;
  const closed = await rawExchange(port, `${head}zz\r\n{}\r\n0\r\n\r\n`, [], { waitMs: 15_000 });
  assert.equal(closed.text, "");
  assert.ok(closed.ms < 14_000, `the runtime held the connection for ${closed.ms} ms`);
  assert.deepEqual(calls, []);
});

Deno.test("Deadlines: one timer stands for every read, late ones fire oldest first, ended ones never", async () => {
  const deadlines = new Deadlines(20);
  const fired: string[] = [];
  const allFired = Promise.withResolvers<void>();
  const late = (name: string) => () => {
    fired.push(name);
    if (fired.length === 2) allFired.resolve();
  };
  deadlines.add(late("first"));
  const ended = deadlines.add(late("ended"));
  // Begun later, so due later: the timer is set again for it after the first fires.
  await new Promise((r) => setTimeout(r, 5));
  deadlines.add(late("second"));
  ended();
  ended();
  // Its timer keeps no process alive: a server's listener does, and here this one.
  const alive = setTimeout(() => {}, 60_000);
  await allFired.promise;
  clearTimeout(alive);
  assert.deepEqual(fired, ["first", "second"]);
});
