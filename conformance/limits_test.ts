import assert from "node:assert/strict";
import { contractLimits, limitCaseId, limitsFixture } from "./limits.ts";
import { limitsFixtureText } from "../tools/docs.ts";

Deno.test("fixtures/limits.json is generated from the contract's table of limits (run `deno task docs` to update)", async () => {
  assert.equal(
    await Deno.readTextFile(new URL("../fixtures/limits.json", import.meta.url)),
    await limitsFixtureText(),
    "fixtures/limits.json is stale: run `deno task docs`",
  );
});

Deno.test("contractLimits() holds the limits of LIMITS and every bounded field of the request schemas", () => {
  const limits = contractLimits();
  const has = (endpoint: string, field: string, kind: string, max: number) =>
    assert.ok(
      limits.some((l) => l.endpoint === endpoint && l.field === field && l.kind === kind && l.max === max),
      `${endpoint} ${field} ${kind} ${max}`,
    );
  has("mint", "(body)", "body bytes", 16384);
  has("session", "(body)", "body bytes", 32768);
  has("mint", "metadata", "JSON bytes", 4096);
  has("mint", "metadata", "levels", 32);
  has("mint", "externalUserId", "characters", 255);
  has("session", "user.email", "characters", 254);
  has("session", "visitorToken", "token characters", 4096);
  has("session", "visitorToken", "token seconds", 900);
  has("listing", "limit", "number", 100);
  assert.ok(!limits.some((l) => l.field === "siteApiKey"), "a made-up site key at its limit proves nothing");
  const ids = limitsFixture().cases.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, "case ids are unique");
  assert.ok(
    ids.includes(limitCaseId({ endpoint: "mint", field: "name", kind: "characters", min: 1, max: 200 }, "min")),
  );
});

Deno.test("the limits fixture sends each bound exactly: bodies padded to the byte, values to the character", () => {
  const file = limitsFixture();
  const mint = file.cases.find((c) => c.id === "limit-mint-body-body-bytes")!;
  const sizes = mint.steps.map((s) =>
    "request" in s ? [s.request.padTo, s.request.chunked ? "chunks" : s.request.lengthTwice ? "length twice" : ""] : []
  );
  assert.deepEqual(sizes, [
    [16384, ""],
    [16385, ""],
    [16384, "chunks"],
    [16385, "chunks"],
    [16384, "length twice"],
    [16385, "length twice"],
  ]);
  const email = file.cases.find((c) => c.id === "limit-session-user-email-characters")!;
  const sent = email.steps.flatMap((s) =>
    "request" in s ? [(s.request.json as { user: { email: string } }).user.email] : []
  );
  assert.deepEqual(sent.map((e) => e.length), [254, 255]);
  assert.ok(sent.every((e) => e.endsWith("@example.com")));
  const depth = file.cases.find((c) => c.id === "limit-mint-metadata-levels")!;
  const levels = depth.steps.flatMap((s) => {
    if (!("request" in s)) return [];
    let n = 1;
    for (
      let v: unknown = s.request.json;
      v && typeof v === "object";
      v = Object.values(v).find((x) => typeof x === "object")
    ) n++;
    return [n - 1];
  });
  assert.deepEqual(levels, [32, 33]);
});
