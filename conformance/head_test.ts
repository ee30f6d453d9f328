/** HEAD is judged against GET without mistaking a resource others change for a HEAD that answers otherwise. */
import assert from "node:assert/strict";
import { loadFixtures } from "./fixtures.ts";
import { namedProfile } from "./levels.ts";
import { runSuite } from "./runner.ts";
import { startInProcessTarget } from "./target.ts";

const LISTING = /^\/api\/tenants\/[^/]+\/conversations$/;

/** The HEAD case of the agent API against a reference whose listing's answers `change` rewrites. */
async function judged(change: (method: string, body: string, length: number) => { body: string; length: number }) {
  const target = await startInProcessTarget({
    wrap: (next) => async (request, info) => {
      const response = await next(request, info);
      if (!LISTING.test(new URL(request.url).pathname) || response.status !== 200) return response;
      // The reference answers HEAD with GET's answer, body and all, which the HTTP server leaves out.
      const body = await response.text();
      const changed = change(request.method, body, new TextEncoder().encode(body).byteLength);
      const headers = new Headers(response.headers);
      headers.set("content-length", String(changed.length));
      return new Response(request.method === "HEAD" ? null : changed.body, { status: response.status, headers });
    },
  });
  try {
    const cases = (await loadFixtures(new URL("../fixtures", import.meta.url).pathname))
      .filter((c) => c.id === "http-head-agent");
    const run = await runSuite({ target, cases, profile: namedProfile("reference", "test") });
    return run.results[0]!;
  } finally {
    await target.close();
  }
}

Deno.test("a listing that changes once between HEAD and its GET is no failure: HEAD is judged on a pair that agrees", async () => {
  // Another case's conversation lands between the HEAD and the GET, once.
  let changedOnce = false;
  const result = await judged((method, body, length) => {
    if (method !== "GET" || changedOnce) return { body, length };
    changedOnce = true;
    return { body: `${body} `, length: length + 1 };
  });
  assert.ok(changedOnce);
  assert.equal(result.status, "passed", result.reason);
});

Deno.test("a HEAD whose Content-Length is not the GET body's fails, however often it is asked", async () => {
  const result = await judged((method, body, length) => ({ body, length: method === "HEAD" ? length + 2 : length }));
  assert.equal(result.status, "warning", "HEAD is a should of the contract");
  assert.match(result.reason ?? "", /HEAD answers as GET.*Content-Length/);
});
