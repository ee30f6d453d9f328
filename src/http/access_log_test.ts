import assert from "node:assert/strict";
import { formatAccessEntry, loggedPath, withAccessLog } from "./access_log.ts";

const JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
const S2S = "setchat_s2s_v1k54B2ZWal0O74IMzTpwynnBkzOqtTcJCyzWN36Eym0gqMgE";

Deno.test("loggedPath() drops the query and masks segments shaped like a token", () => {
  const path = (p: string) => loggedPath(new URL(p, "http://x"));
  assert.equal(path("/api/widget/conversations?after=msg_1&token=abc"), "/api/widget/conversations");
  assert.equal(
    path("/api/tenants/ten_1/widget-identity/s2s-token/rotate"),
    "/api/tenants/ten_1/widget-identity/s2s-token/rotate",
  );
  assert.equal(path(`/api/x/${S2S}/y`), "/api/x/[redacted]/y");
  assert.equal(path(`/api/${JWT}`), "/api/[redacted]");
  assert.equal(path(`/api/${encodeURIComponent(`Bearer ${JWT}`)}`), "/api/[redacted]");
  assert.equal(path(`/api/%73etchat_adm_abc`), "/api/[redacted]", "escaped letters are decoded first");
  assert.equal(path(`/a/${"b".repeat(500)}`).length, 201, "long paths are cut");
});

Deno.test("withAccessLog() writes one line per request: method, path, status, duration, request id", async () => {
  const lines: string[] = [];
  const handler = withAccessLog(
    (request: Request) =>
      Promise.resolve(
        new URL(request.url).pathname === "/demo"
          ? new Response("page")
          : new Response(null, { status: 401, headers: { "x-request-id": "r-1" } }),
      ),
    { format: "json", write: (line) => lines.push(line) },
  );
  await handler(
    new Request(`http://x/api/widget/visitor-token?k=${S2S}`, {
      method: "POST",
      headers: { authorization: `Bearer ${S2S}` },
    }),
  );
  await handler(new Request("http://x/demo"));
  assert.equal(lines.length, 2);
  const [api, page] = lines.map((l) => JSON.parse(l));
  assert.deepEqual({ ...api, time: "t", durationMs: 0 }, {
    time: "t",
    method: "POST",
    path: "/api/widget/visitor-token",
    status: 401,
    durationMs: 0,
    requestId: "r-1",
  });
  assert.match(api.time, /^\d{4}-\d\d-\d\dT/);
  assert.ok(api.durationMs >= 0);
  assert.equal(page.requestId, null);
  assert.ok(!lines.join("\n").includes(S2S));
});

Deno.test("withAccessLog() logs a handler that throws as a 500, and rethrows", async () => {
  const lines: string[] = [];
  const handler = withAccessLog(() => Promise.reject(new Error("boom")), {
    format: "pretty",
    write: (line) => lines.push(line),
  });
  await assert.rejects(handler(new Request("http://x/api/version", { method: "GET" })), /boom/);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^\S+Z GET \/api\/version 500 \d+\.\dms -$/);
});

Deno.test("formatAccessEntry() writes pretty lines for people and JSON lines for programs", () => {
  const entry = {
    time: "2026-11-22T12:00:00.000Z",
    method: "GET",
    path: "/healthz",
    status: 200,
    durationMs: 1.234,
    requestId: "r-1",
  };
  assert.equal(formatAccessEntry(entry, "pretty"), "2026-11-22T12:00:00.000Z GET /healthz 200 1.2ms r-1");
  assert.deepEqual(JSON.parse(formatAccessEntry(entry, "json")), entry);
});
