import assert from "node:assert/strict";
import { runSoakLoad, type SoakLoadResult } from "./_soak_load.ts";
import { formatSoakBench, type SoakBenchResult, soakErrors, soakSecondsFrom } from "./soak_bench.ts";

/** Just enough of the widget API for the generator's mix, with posting messages broken. */
function stub(request: Request): Response {
  const { pathname } = new URL(request.url);
  const json = (status: number, body: unknown) => Response.json(body, { status });
  if (pathname === "/api/widget/visitor-token") return json(200, { token: "eyJ.stub" });
  if (pathname === "/api/widget/sessions") return json(201, { sessionToken: "setchat_wss_stub" });
  if (pathname === "/api/widget/conversations") {
    return request.method === "POST"
      ? json(201, { conversation: { id: "cnv_1" }, messages: [{ id: "msg_00000001" }] })
      : json(200, { conversations: [] });
  }
  if (pathname.endsWith("/messages")) {
    return request.method === "POST" ? json(503, { code: "busy" }) : json(200, { messages: [] });
  }
  return json(200, { conversation: { id: "cnv_1" }, messages: [] });
}

function resultWith(load: SoakLoadResult): SoakBenchResult {
  const memory = { rss: 80 * 2 ** 20, heapUsed: 12 * 2 ** 20, heapTotal: 20 * 2 ** 20 };
  return {
    seconds: 1,
    warmupSeconds: 0.2,
    max: { perSecond: 400, seconds: 5, concurrency: 32 },
    rate: 200,
    load,
    memory: { start: memory, warm: memory, end: { ...memory, rss: memory.rss + 2 ** 20 } },
  };
}

Deno.test("runSoakLoad() counts every answer that is not 2xx as an error of its kind, and the soak says so loudly", async () => {
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, stub);
  let warmed = 0;
  const load = await runSoakLoad({
    mode: "soak",
    url: `http://127.0.0.1:${server.addr.port}`,
    serverToken: "setchat_s2s_stub",
    siteApiKey: "site_stub",
    concurrency: 4,
    rate: 200,
    warmupSeconds: 0.2,
    seconds: 1,
  }, () => warmed++);
  assert.equal(warmed, 1, "the warm-up ends once");
  assert.ok(load.kinds.post.count > 0);
  assert.equal(load.kinds.post.errors, load.kinds.post.count, "every post failed");
  assert.deepEqual(load.kinds.post.failures, { "503": load.kinds.post.count });
  for (const kind of ["mint", "session", "list", "create", "poll", "open"] as const) {
    assert.equal(load.kinds[kind].errors, 0, kind);
    assert.ok(load.kinds[kind].count > 0, kind);
  }
  const total = Object.values(load.kinds).reduce((sum, k) => sum + k.count, 0);
  assert.equal(total, 200, "an open loop sends its rate, whatever the answers");

  const lines = formatSoakBench(resultWith(load)).join("\n");
  assert.equal(soakErrors(resultWith(load)), load.kinds.post.count);
  assert.match(lines, new RegExp(`!!!!! ${load.kinds.post.count} REQUESTS FAILED OF 200: post 503 ×\\d+ !!!!!`));
  assert.doesNotMatch(lines, /errors: 0/);
});

Deno.test("runSoakLoad() catching up after a stall of the machine starts every session it sends", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      new URL(request.url).pathname.endsWith("/messages") && request.method === "POST"
        ? Response.json({ id: "msg_00000002" }, { status: 201 })
        : stub(request),
  );
  const load = await runSoakLoad({
    mode: "soak",
    url: `http://127.0.0.1:${server.addr.port}`,
    serverToken: "setchat_s2s_stub",
    siteApiKey: "site_stub",
    concurrency: 4,
    rate: 200,
    warmupSeconds: 0.2,
    seconds: 1,
  }, () => {
    // A busy machine: nothing runs for 1.5 s, then every request due meanwhile is sent at once.
    const stalled = performance.now();
    while (performance.now() - stalled < 1500) { /* stalled */ }
  });
  for (const [kind, k] of Object.entries(load.kinds)) assert.deepEqual(k.failures, {}, kind);
  assert.equal(Object.values(load.kinds).reduce((sum, k) => sum + k.count, 0), 200);
});

Deno.test("formatSoakBench() states the rate, the maximum it is half of, the mix, zero errors and memory growth", () => {
  const kind = { count: 10, p50Ms: 1.25, p99Ms: 9.5, maxMs: 12, errors: 0, failures: {} };
  const load: SoakLoadResult = {
    event: "done",
    requestsPerSecond: 200,
    maxSendLagMs: 1,
    kinds: { mint: kind, session: kind, list: kind, create: kind, post: kind, poll: kind, open: kind },
  };
  const lines = formatSoakBench(resultWith(load)).join("\n");
  assert.match(lines, /Soak: 1 s at 200 requests\/s, half the mix's maximum of 400\/s/);
  assert.match(lines, /mix: 15% mint .*, 40% poll messages/);
  assert.match(lines, /post a message\s+10\s+1\.3\s+9\.5\s+12\.0\s+0/);
  assert.match(lines, /errors: 0/);
  assert.match(lines, /RSS\s+80\.0 MB\s+80\.0 MB\s+81\.0 MB\s+\+1\.0 MB/);
  assert.doesNotMatch(lines, /FAILED/);
});

Deno.test("soakSecondsFrom() defaults to 60 and refuses what is not a number of seconds", () => {
  assert.equal(soakSecondsFrom(undefined), 60);
  assert.equal(soakSecondsFrom("5"), 5);
  assert.throws(() => soakSecondsFrom("soon"), /Cannot soak for "soon" seconds/);
  assert.throws(() => soakSecondsFrom("0"), RangeError);
});
