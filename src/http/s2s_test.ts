import assert from "node:assert/strict";
import * as jose from "jose";
import { LIMITS } from "../contract/common.ts";
import { ERROR_CODES } from "../contract/errors.ts";
import { MintVisitorTokenResponse } from "../contract/s2s.ts";
import { verifyVisitorToken } from "../identity/visitor_token.ts";
import { body, testApp } from "../test_utils.ts";

const MINT = "/api/widget/visitor-token";

async function problem(response: Response, status: number, code: string) {
  const b = await body(response);
  assert.equal(response.status, status, JSON.stringify(b));
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  assert.equal(b.code, code);
  assert.ok(ERROR_CODES.includes(b.code));
  assert.equal(b.status, status);
  assert.equal(b.type, `urn:setchat:error:${code}`);
  assert.ok(b.title && b.detail && b.fix && b.instance);
  return b;
}

Deno.test("POST /api/widget/visitor-token mints a verifiable token with no-store", async () => {
  await using t = await testApp();
  const site = t.a.sites[0]!.apiKey;
  const res = await t.post(MINT, t.a.serverToken, {
    siteApiKey: site,
    externalUserId: "user-42",
    email: "ada@example.com",
    name: "Ada",
    provider: "acme-sso",
    metadata: { plan: "pro", seats: 3, flags: ["beta"] },
    workspace: { externalId: "eu-1" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("content-type"), "application/json");
  // The answer is built whole by the route: it carries its request id like every other answer.
  assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  assert.equal(res.headers.get("access-control-allow-origin"), null, "a server-to-server route is no CORS route");
  const b = MintVisitorTokenResponse.parse(await body(res));
  assert.deepEqual({ ...b, token: "" }, { token: "", expiresIn: 300, expires_in: 300, expiresInLabel: "5m" });
  const claims = await verifyVisitorToken(t.deps.keys, b.token, {
    issuer: "setchat-test",
    siteApiKey: site,
    tenantId: t.a.tenant.id,
    nowMs: t.clock.now(),
  });
  assert.equal(claims.sub, "user-42");
  assert.equal(claims.email, "ada@example.com");
  assert.equal(claims.name, "Ada");
  assert.equal(claims.provider, "acme-sso");
  assert.deepEqual(claims.metadata, { plan: "pro", seats: 3, flags: ["beta"] });
  assert.equal(claims.workspace, "eu-1");
  assert.equal(claims.exp - claims.iat, 300);
});

Deno.test("POST /api/widget/visitor-token mints with the two required fields only", async () => {
  await using t = await testApp();
  const res = await t.post(MINT, t.a.serverToken, { siteApiKey: t.a.sites[1]!.apiKey, externalUserId: "u" });
  assert.equal(res.status, 200);
  const claims = jose.decodeJwt((await body(res)).token);
  assert.equal(claims.aud, t.a.sites[1]!.apiKey);
  for (const absent of ["email", "name", "provider", "metadata", "workspace"]) assert.ok(!(absent in claims), absent);
});

Deno.test("POST /api/widget/visitor-token refuses another tenant's site and an unknown site with 403", async () => {
  await using t = await testApp();
  for (const siteApiKey of [t.b.sites[0]!.apiKey, "site_doesnotexist"]) {
    const res = await t.post(MINT, t.a.serverToken, { siteApiKey, externalUserId: "u" });
    const b = await problem(res, 403, "site_not_allowed");
    assert.ok(!("token" in b));
  }
});

Deno.test("POST /api/widget/visitor-token refuses missing, malformed, mistyped, unknown and wrong-kind tokens with 401", async () => {
  await using t = await testApp();
  const ok = { siteApiKey: t.a.sites[0]!.apiKey, externalUserId: "u" };
  const s2s = t.a.serverToken;
  await problem(await t.post(MINT, undefined, ok), 401, "auth_missing");
  const cases: [string, string][] = [
    [`Basic ${btoa("a:b")}`, "auth_malformed"],
    ["Bearer", "auth_malformed"],
    [`Bearer ${s2s.slice(0, -1)}`, "auth_malformed"],
    [`Bearer ${s2s.slice(0, 20)}X${s2s.slice(21)}`, "auth_malformed"],
    [`Bearer "${s2s}"`, "auth_malformed"],
    [`Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2ln`, "auth_malformed"],
    [`Bearer ${t.a.adminToken}`, "auth_wrong_kind"],
    [`Bearer ${(await import("../identity/secret_token.ts")).generateSecret("s2s").plaintext}`, "auth_unknown"],
  ];
  for (const [authorization, code] of cases) {
    const res = await t.fetch(MINT, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify(ok),
    });
    await problem(res, 401, code);
  }
  // Case-insensitive scheme, as RFC 9110 says.
  const lower = await t.fetch(MINT, {
    method: "POST",
    headers: { authorization: `bearer ${s2s}`, "content-type": "application/json" },
    body: JSON.stringify(ok),
  });
  assert.equal(lower.status, 200);
});

Deno.test("POST /api/widget/visitor-token names each offending field in a 400", async () => {
  await using t = await testApp();
  const site = t.a.sites[0]!.apiKey;
  const res = await t.post(MINT, t.a.serverToken, {
    siteApiKey: site,
    externalUserId: 42,
    email: "not-an-email",
    metadata: "plan=pro",
    workspace: { externalId: "has spaces" },
  });
  const b = await problem(res, 400, "invalid_request");
  assert.deepEqual(b.errors.map((e: { path: string }) => e.path).sort(), [
    "email",
    "externalUserId",
    "metadata",
    "workspace.externalId",
  ]);
  const missing = await problem(await t.post(MINT, t.a.serverToken, {}), 400, "invalid_request");
  assert.deepEqual(missing.errors.map((e: { path: string }) => e.path).sort(), ["externalUserId", "siteApiKey"]);
  for (const notObject of [[], "x", 1, null]) {
    await problem(await t.post(MINT, t.a.serverToken, JSON.stringify(notObject)), 400, "invalid_request");
  }
});

Deno.test("POST /api/widget/visitor-token refuses unknown fields by name, with a hint", async () => {
  await using t = await testApp();
  const res = await t.post(MINT, t.a.serverToken, {
    siteApiKey: t.a.sites[0]!.apiKey,
    externalUserId: "u",
    custom_data: { plan: "pro" },
    admin: true,
  });
  const b = await problem(res, 400, "unknown_field");
  assert.deepEqual(b.errors.map((e: { path: string }) => e.path).sort(), ["admin", "custom_data"]);
  assert.match(b.detail, /custom_data.*metadata/);
  const nested = await t.post(MINT, t.a.serverToken, {
    siteApiKey: t.a.sites[0]!.apiKey,
    externalUserId: "u",
    workspace: { externalId: "w", name: "x" },
  });
  assert.equal((await problem(nested, 400, "unknown_field")).errors[0].path, "workspace.name");
});

Deno.test("POST /api/widget/visitor-token names the field a snake_case one means, and sends only custom data to metadata", async () => {
  await using t = await testApp();
  const site = t.a.sites[0]!.apiKey;
  const messageOf = (b: { errors: { path: string; message: string }[] }, path: string) =>
    b.errors.find((e) => e.path === path)?.message;
  const snake = await problem(
    await t.post(MINT, t.a.serverToken, { siteApiKey: site, external_user_id: "u" }),
    400,
    "unknown_field",
  );
  assert.equal(messageOf(snake, "external_user_id"), 'Unknown field "external_user_id": the field is "externalUserId"');
  assert.doesNotMatch(snake.fix, /metadata/, "a misspelt field is told about metadata");
  const custom = { siteApiKey: site, externalUserId: "u", custom_data: { plan: "pro" } };
  const data = await problem(await t.post(MINT, t.a.serverToken, custom), 400, "unknown_field");
  assert.equal(messageOf(data, "custom_data"), 'Unknown field "custom_data": custom data goes in "metadata"');
  const other = await problem(
    await t.post(MINT, t.a.serverToken, { siteApiKey: site, externalUserId: "u", admin: true }),
    400,
    "unknown_field",
  );
  assert.equal(messageOf(other, "admin"), 'Unknown field "admin"');
});

Deno.test("POST /api/widget/visitor-token's fix for a token without the Bearer prefix says to add it first", async () => {
  await using t = await testApp();
  const res = await t.fetch(MINT, {
    method: "POST",
    headers: { authorization: t.a.serverToken, "content-type": "application/json" },
    body: JSON.stringify({ siteApiKey: t.a.sites[0]!.apiKey, externalUserId: "u" }),
  });
  const b = await problem(res, 401, "auth_malformed");
  assert.match(b.detail, /must be "Bearer <token>"/);
  assert.match(b.fix, /^Send `Authorization: Bearer <token>`/, "the fix starts elsewhere than the missing prefix");
  assert.ok(!b.fix.includes(t.a.serverToken), "the fix never echoes the credential");
});

Deno.test("POST /api/widget/visitor-token bounds metadata at 4 KiB of JSON", async () => {
  await using t = await testApp();
  const base = { siteApiKey: t.a.sites[0]!.apiKey, externalUserId: "u" };
  const fits = { k: "x".repeat(LIMITS.customDataBytes - `{"k":""}`.length) };
  assert.equal(JSON.stringify(fits).length, LIMITS.customDataBytes);
  assert.equal((await t.post(MINT, t.a.serverToken, { ...base, metadata: fits })).status, 200);
  const over = { k: "x".repeat(LIMITS.customDataBytes - `{"k":""}`.length + 1) };
  const b = await problem(await t.post(MINT, t.a.serverToken, { ...base, metadata: over }), 400, "invalid_request");
  assert.equal(b.errors[0].path, "metadata");
  assert.match(b.errors[0].message, /4096 bytes/);
});

Deno.test("POST /api/widget/visitor-token caps the body before parsing it (413)", async () => {
  await using t = await testApp();
  const big = JSON.stringify({ siteApiKey: "s", externalUserId: "u", pad: "x".repeat(LIMITS.mintBodyBytes) });
  await problem(await t.post(MINT, t.a.serverToken, big), 413, "body_too_large");
  // A streamed body with no Content-Length is cut off at the limit too.
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      sent += 4096;
      if (sent > 10 * 1024 * 1024) return controller.close();
      controller.enqueue(new Uint8Array(4096).fill(32));
    },
  });
  const res = await t.fetch(MINT, {
    method: "POST",
    headers: { authorization: `Bearer ${t.a.serverToken}`, "content-type": "application/json" },
    body: stream,
  });
  await problem(res, 413, "body_too_large");
  assert.ok(sent < 64 * 1024, `read ${sent} bytes of an endless body`);
});

Deno.test("POST /api/widget/visitor-token refuses a body that is not JSON (415) or not parseable (400)", async () => {
  await using t = await testApp();
  const auth = { authorization: `Bearer ${t.a.serverToken}` };
  const body = JSON.stringify({ siteApiKey: t.a.sites[0]!.apiKey, externalUserId: "u" });
  for (const type of [undefined, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) {
    const res = await t.fetch(MINT, {
      method: "POST",
      headers: { ...auth, ...(type ? { "content-type": type } : {}) },
      body,
    });
    await problem(res, 415, "unsupported_media_type");
  }
  const charset = await t.fetch(MINT, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json; charset=utf-8" },
    body,
  });
  assert.equal(charset.status, 200);
  for (const bad of ["", "{", "{'a':1}", '{"a":1,}', "nul", "\u0000"]) {
    await problem(await t.post(MINT, t.a.serverToken, bad), 400, "malformed_json");
  }
});

Deno.test("Authentication comes before the body: a bad token with a bad body is a 401", async () => {
  await using t = await testApp();
  await problem(await t.post(MINT, undefined, "{"), 401, "auth_missing");
  // Refused at once both: a body refused before it is read, under a token refused before any lookup. Neither leaves
  // a rejection unhandled (the test runner fails on one), and the next request is served.
  const wrongType = await t.fetch(MINT, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
  await problem(wrongType, 401, "auth_missing");
  const malformed = await t.fetch(MINT, {
    method: "POST",
    headers: { authorization: "Bearer setchat_s2s_nope", "content-type": "text/plain" },
    body: "{}",
  });
  await problem(malformed, 401, "auth_malformed");
  assert.equal(
    (await t.post(MINT, t.a.serverToken, { siteApiKey: t.a.sites[0]!.apiKey, externalUserId: "u" })).status,
    200,
  );
});
