import assert from "node:assert/strict";
import { RevokePreviousResponse, RotateResponse, S2sTokenList } from "../contract/s2s.ts";
import { body, type TestApp, testApp } from "../test_utils.ts";

const ops = (t: TestApp, tenantId = t.a.tenant.id) => `/api/tenants/${tenantId}/widget-identity`;
const mint = (t: TestApp, token: string) =>
  t.post("/api/widget/visitor-token", token, { siteApiKey: t.a.sites[0]!.apiKey, externalUserId: "u" });
const rotate = (t: TestApp, token = t.a.adminToken) => t.post(`${ops(t)}/s2s-token/rotate`, token);
const revokePrevious = (t: TestApp, token = t.a.adminToken) => t.post(`${ops(t)}/s2s-token/revoke-previous`, token);
const list = async (t: TestApp) =>
  S2sTokenList.parse(
    await body(await t.fetch(`${ops(t)}/s2s-tokens`, { headers: { authorization: `Bearer ${t.a.adminToken}` } })),
  )
    .tokens;

Deno.test("rotate returns a new token once, with no-store, and both tokens work until revoke-previous", async () => {
  await using t = await testApp();
  const res = await rotate(t);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const rotated = RotateResponse.parse(await body(res));
  assert.match(rotated.token, /^setchat_s2s_/);
  assert.equal(rotated.tokenInfo.current, true);
  assert.equal(rotated.tokenInfo.displayPrefix, `${rotated.token.slice(0, 16)}…`);
  assert.equal((await mint(t, t.a.serverToken)).status, 200, "the previous token keeps working");
  assert.equal((await mint(t, rotated.token)).status, 200, "the new token works");

  const revoked = RevokePreviousResponse.parse(await body(await revokePrevious(t)));
  assert.equal(revoked.revoked.length, 1);
  assert.equal(revoked.current.id, rotated.tokenInfo.id);
  const after = await mint(t, t.a.serverToken);
  assert.equal(after.status, 401, "the revoked token is refused on the very next request");
  assert.equal((await body(after)).code, "auth_revoked");
  assert.equal((await mint(t, rotated.token)).status, 200, "the current token survives");
});

Deno.test("revoke-previous is idempotent and never revokes the current token", async () => {
  await using t = await testApp();
  for (let i = 0; i < 3; i++) {
    const r = RevokePreviousResponse.parse(await body(await revokePrevious(t)));
    assert.deepEqual(r.revoked, []);
    assert.equal(r.current.status, "active");
  }
  assert.equal((await mint(t, t.a.serverToken)).status, 200);
  const { token } = RotateResponse.parse(await body(await rotate(t)));
  assert.equal((await body(await revokePrevious(t))).revoked.length, 1);
  assert.deepEqual((await body(await revokePrevious(t))).revoked, []);
  assert.equal((await mint(t, token)).status, 200);
});

Deno.test("a second rotation while the previous token is active is a 409 rotation_pending", async () => {
  await using t = await testApp();
  assert.equal((await rotate(t)).status, 200);
  const second = await rotate(t);
  assert.equal(second.status, 409);
  assert.equal((await body(second)).code, "rotation_pending");
  assert.equal((await list(t)).filter((x) => x.status === "active").length, 2);
});

Deno.test("concurrent rotations over HTTP leave exactly one new token", async () => {
  await using t = await testApp();
  const results = await Promise.all(Array.from({ length: 6 }, () => rotate(t)));
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409, 409, 409]);
  const tokens = await list(t);
  assert.equal(tokens.length, 2);
  assert.equal(tokens.filter((x) => x.current).length, 1);
});

Deno.test("the token listing shows status and last use, never a plaintext or a hash", async () => {
  await using t = await testApp();
  assert.equal((await mint(t, t.a.serverToken)).status, 200);
  const usedAt = t.clock.now();
  t.clock.advance(60_000);
  const { token } = RotateResponse.parse(await body(await rotate(t)));
  await revokePrevious(t);
  const res = await t.fetch(`${ops(t)}/s2s-tokens`, { headers: { authorization: `Bearer ${t.a.adminToken}` } });
  const text = await res.text();
  for (const secret of [t.a.serverToken, token, t.a.adminToken]) {
    assert.ok(!text.includes(secret.slice(16)), "a token's secret part is in the listing");
  }
  const stored = await t.deps.store.listS2sTokens(t.a.tenant.id);
  for (const s of stored) assert.ok(!text.includes(s.hash), "a hash is in the listing");
  const tokens = S2sTokenList.parse(JSON.parse(text)).tokens;
  assert.deepEqual(tokens.map((x) => [x.status, x.current]), [["revoked", false], ["active", true]]);
  assert.equal(tokens[0]!.lastUsedAt, new Date(usedAt).toISOString());
  assert.equal(tokens[1]!.lastUsedAt, null);
  assert.ok(tokens[0]!.revokedAt);
});

Deno.test("tenant operations refuse the server token, other tenants and missing credentials", async () => {
  await using t = await testApp();
  const wrongKind = await rotate(t, t.a.serverToken);
  assert.equal(wrongKind.status, 401);
  assert.equal((await body(wrongKind)).code, "auth_wrong_kind");
  assert.equal((await body(await rotate(t, ""))).code, "auth_missing");
  // Tenant B's admin token on tenant A's path: as if A did not exist.
  for (const path of ["s2s-token/rotate", "s2s-token/revoke-previous"]) {
    const res = await t.post(`${ops(t)}/${path}`, t.b.adminToken);
    assert.equal(res.status, 404);
    assert.equal((await body(res)).code, "tenant_not_found");
  }
  const listing = await t.fetch(`${ops(t)}/s2s-tokens`, { headers: { authorization: `Bearer ${t.b.adminToken}` } });
  assert.equal(listing.status, 404);
  const unknown = await t.post(`${ops(t, "ten_nope")}/s2s-token/rotate`, t.a.adminToken);
  assert.equal((await body(unknown)).code, "tenant_not_found");
  assert.equal((await list(t)).length, 1, "nothing was rotated");
  assert.equal((await mint(t, t.a.serverToken)).status, 200, "A's token was not revoked by B");
});
