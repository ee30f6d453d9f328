import assert from "node:assert/strict";
import { decodeProtectedHeader } from "jose";
import { startIndependentServer } from "./server.ts";
import {
  call,
  claims,
  deepMetadataBody,
  echoes,
  mint,
  mintOnBothNodes,
  mints,
  ops,
  rotate,
  unknownServerToken,
  verify,
} from "./_test_client.ts";

Deno.test("startIndependentServer() mints a visitor token whose ES256 signature verifies against its JWKS", async () => {
  await using server = await startIndependentServer();
  const before = Math.floor(Date.now() / 1000);
  const metadata = { plan: "pro", seats: 3, tags: ["a"] };
  const answer = await mint(server, {
    externalUserId: "Ada",
    email: "ada@example.com",
    name: "Ada L.",
    provider: "sso",
    metadata,
  });
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get("cache-control"), "no-store");
  assert.equal(answer.body.expiresIn, 600);
  assert.equal(answer.body.expires_in, 600);
  const jwt = String(answer.body.token);
  const header = decodeProtectedHeader(jwt);
  assert.equal(header.alg, "ES256");
  assert.equal(header.typ, "JWT");
  assert.equal(typeof header.kid, "string");
  const payload = await verify(server, jwt);
  assert.equal(payload.sub, "Ada");
  assert.equal(payload.aud, server.env.SETCHAT_SITE_API_KEY);
  assert.equal(payload.org, server.env.SETCHAT_TENANT_ID);
  assert.ok(payload.iat !== undefined && payload.iat >= before && payload.iat <= Math.ceil(Date.now() / 1000));
  assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600);
  assert.deepEqual(
    [payload.email, payload.name, payload.provider, payload.metadata],
    ["ada@example.com", "Ada L.", "sso", metadata],
  );
  const other = claims(await mint(server, { siteApiKey: server.env.SETCHAT_OTHER_SITE_API_KEY }));
  assert.equal(other.aud, server.env.SETCHAT_OTHER_SITE_API_KEY);
  assert.notEqual(other.jti, payload.jti);
});

Deno.test("startIndependentServer() keeps externalUserId byte for byte in sub", async () => {
  await using server = await startIndependentServer();
  for (const id of ["Ada", "ada", "Zoe\u0301", "Zo\u00e9", " padded ", "\u{1F600}", "a".repeat(256)]) {
    assert.equal(claims(await mint(server, { externalUserId: id })).sub, id);
  }
});

Deno.test("startIndependentServer() answers 401 to a missing, malformed, unknown or revoked server token", async () => {
  await using server = await startIndependentServer();
  const token = server.env.SETCHAT_SERVER_TOKEN;
  const refused = [
    await call(server, "/api/widget/visitor-token", { json: {} }),
    await call(server, "/api/widget/visitor-token", { authorization: "Bearer", json: {} }),
    await call(server, "/api/widget/visitor-token", { authorization: `Basic ${btoa(`x:${token}`)}`, json: {} }),
    await call(server, "/api/widget/visitor-token", { authorization: token, json: {} }),
    await mint(server, {}, `${token}0`),
    await mint(server, {}, token.toUpperCase()),
    await mint(server, {}, unknownServerToken()),
    await mint(server, {}, server.env.SETCHAT_ADMIN_TOKEN),
  ];
  for (const answer of refused) {
    assert.equal(answer.status, 401, answer.text);
    assert.match(String(answer.body.error), /^[a-z_]+$/);
    assert.match(answer.headers.get("www-authenticate") ?? "", /^Bearer /);
  }
  await rotate(server);
  await ops(server, "revoke-previous");
  assert.equal((await mint(server)).status, 401);
  assert.equal((await mint(server)).body.error, "revoked_token");
});

Deno.test("startIndependentServer() answers 400 to a body that is not JSON or not valid, naming unknown fields", async () => {
  await using server = await startIndependentServer();
  const bearer = server.env.SETCHAT_SERVER_TOKEN;
  const raw = (body: string) => call(server, "/api/widget/visitor-token", { bearer, raw: body });
  for (const body of ["", "{", "not json", "null", "[]", '"text"', "42"]) {
    assert.equal((await raw(body)).status, 400, body);
  }
  assert.equal(
    (await call(server, "/api/widget/visitor-token", { bearer, raw: new Uint8Array([0x7b, 0xff]) })).status,
    400,
  );
  const invalid: Record<string, unknown>[] = [
    { externalUserId: undefined },
    { siteApiKey: undefined },
    { externalUserId: 42 },
    { externalUserId: null },
    { externalUserId: "" },
    { siteApiKey: ["x"] },
    { email: 7 },
    { name: false },
    { provider: {} },
    { metadata: "text" },
    { metadata: [1] },
    { metadata: null },
    { email: "not an email" },
    { workspace: "w1" },
    { workspace: { externalId: "" } },
    { workspace: { externalId: "w1", name: "x" } },
  ];
  for (const fields of invalid) {
    const answer = await mint(server, fields);
    assert.equal(answer.status, 400, JSON.stringify(fields));
    assert.equal(answer.headers.get("content-type"), "application/json");
  }
  const unknown = await mint(server, { plan: "pro", custom_data: {} });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error, "unknown_field");
  assert.match(String(unknown.body.message), /"plan"/);
  assert.match(String(unknown.body.message), /"custom_data"/);
  assert.equal((await mint(server, { expiresInLabel: "5m" })).status, 400);
});

Deno.test("startIndependentServer() answers 415 to a body that is not declared JSON and 413 past 1 MiB", async () => {
  await using server = await startIndependentServer();
  const bearer = server.env.SETCHAT_SERVER_TOKEN;
  const body = JSON.stringify({ siteApiKey: server.env.SETCHAT_SITE_API_KEY, externalUserId: "u" });
  const plain = await call(server, "/api/widget/visitor-token", { bearer, raw: body, contentType: "text/plain" });
  assert.equal(plain.status, 415);
  const typed = await call(server, "/api/widget/visitor-token", {
    bearer,
    raw: body,
    contentType: "application/json; charset=utf-8",
  });
  assert.equal(typed.status, 200);
  const huge = JSON.stringify({ siteApiKey: "x", externalUserId: "y".repeat(1024 * 1024) });
  assert.equal((await call(server, "/api/widget/visitor-token", { bearer, raw: huge })).status, 413);
});

Deno.test("startIndependentServer() mints for neither an unknown site nor another tenant's site", async () => {
  await using server = await startIndependentServer();
  const site = server.env.SETCHAT_SITE_API_KEY;
  const sites = [
    server.env.SETCHAT_FOREIGN_SITE_API_KEY,
    `${site}0`,
    site.slice(0, -1),
    site.toUpperCase(),
    `pk_${"0".repeat(32)}`,
    "x",
  ];
  for (const siteApiKey of sites) {
    const answer = await mint(server, { siteApiKey });
    assert.equal(answer.status, 400, siteApiKey);
    assert.equal(answer.body.error, "unknown_site");
  }
  const foreign = await mint(
    server,
    { siteApiKey: site },
    server.env.SETCHAT_FOREIGN_SERVER_TOKEN,
  );
  assert.equal(foreign.status, 400);
});

Deno.test("startIndependentServer() keeps a rotated-out token working on both nodes until revoke-previous revokes it on both", async () => {
  await using server = await startIndependentServer();
  const old = server.env.SETCHAT_SERVER_TOKEN;
  const first = await mint(server, {}, old);
  const second = await mint(server, {}, old);
  assert.notEqual(first.headers.get("x-served-by"), second.headers.get("x-served-by"));
  const rotated = await ops(server, "rotate");
  assert.equal(rotated.status, 200);
  assert.equal(rotated.headers.get("cache-control"), "no-store");
  assert.match(String((rotated.body.credential as Record<string, unknown>).secret), /^sk_[0-9a-f]{64}$/);
  assert.ok(!Number.isNaN(Date.parse(String((rotated.body.credential as Record<string, unknown>).createdAt))));
  const current = String((rotated.body.credential as Record<string, unknown>).secret);
  assert.deepEqual(await mintOnBothNodes(server, old), [200, 200]);
  assert.deepEqual(await mintOnBothNodes(server, current), [200, 200]);
  const revoked = await ops(server, "revoke-previous");
  assert.equal(revoked.status, 200);
  assert.deepEqual(revoked.body, { revoked: 1 });
  assert.deepEqual(await mintOnBothNodes(server, old), [401, 401]);
  assert.deepEqual(await mintOnBothNodes(server, current), [200, 200]);
});

Deno.test("startIndependentServer() keeps every earlier token until revoke-previous, which keeps the newest and repeats harmlessly", async () => {
  await using server = await startIndependentServer();
  const tokens = [server.env.SETCHAT_SERVER_TOKEN, await rotate(server), await rotate(server), await rotate(server)];
  assert.equal(new Set(tokens).size, 4);
  for (const token of tokens) assert.ok(await mints(server, token));
  const revoked = await ops(server, "revoke-previous");
  assert.equal(revoked.status, 200);
  assert.deepEqual(revoked.body, { revoked: 3 });
  for (const token of tokens) assert.ok(!echoes(revoked, token));
  const again = await ops(server, "revoke-previous");
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, { revoked: 0 });
  for (const token of tokens.slice(0, -1)) assert.equal((await mint(server, {}, token)).status, 401);
  assert.ok(await mints(server, tokens[3] ?? ""));
});

Deno.test("startIndependentServer() lets no tenant's credentials act on another tenant", async () => {
  await using server = await startIndependentServer();
  const env = server.env;
  for (const operation of ["rotate", "revoke-previous"] as const) {
    const crossed = await ops(server, operation, env.SETCHAT_FOREIGN_TENANT_ID, env.SETCHAT_ADMIN_TOKEN);
    assert.equal(crossed.status, 404);
    const withServerToken = await ops(server, operation, env.SETCHAT_TENANT_ID, env.SETCHAT_SERVER_TOKEN);
    assert.equal(withServerToken.status, 401);
    const unknownTenant = await ops(server, operation, `org_${"0".repeat(16)}`, env.SETCHAT_ADMIN_TOKEN);
    assert.equal(unknownTenant.status, 404);
  }
  // The other tenant's pending rotation survives this tenant's revoke-previous.
  const foreignNew = await ops(server, "rotate", env.SETCHAT_FOREIGN_TENANT_ID, env.SETCHAT_FOREIGN_ADMIN_TOKEN);
  assert.equal(foreignNew.status, 200);
  await rotate(server);
  assert.deepEqual((await ops(server, "revoke-previous")).body, { revoked: 1 });
  const foreignSite = { siteApiKey: env.SETCHAT_FOREIGN_SITE_API_KEY };
  assert.equal((await mint(server, foreignSite, env.SETCHAT_FOREIGN_SERVER_TOKEN)).status, 200);
  assert.equal(
    (await mint(server, foreignSite, String((foreignNew.body.credential as Record<string, unknown>).secret))).status,
    200,
  );
});

Deno.test("startIndependentServer() answers no input with a 5xx", async () => {
  await using server = await startIndependentServer();
  const bearer = server.env.SETCHAT_SERVER_TOKEN;
  const admin = server.env.SETCHAT_ADMIN_TOKEN;
  const answers = [
    await call(server, "/api/widget/visitor-token", { bearer, raw: deepMetadataBody(server, 100_000) }),
    await call(server, "/api/widget/visitor-token", { bearer, raw: "[".repeat(300_000) + "]".repeat(300_000) }),
    await mint(server, { metadata: { big: "x".repeat(20_000) } }),
    await mint(server, { externalUserId: "\ud800" }),
    await call(server, "/api/widget/visitor-token", { bearer, raw: '{"__proto__":{"x":1}}' }),
    await call(server, "/api/widget/visitor-token", { authorization: "Bearer  ", json: {} }),
    await call(server, "/api/widget/visitor-token", { authorization: "Bearer a b c", json: {} }),
    await call(server, "/api/widget/visitor-token", { method: "GET" }),
    await call(server, "/api/widget/visitor-token", { method: "OPTIONS" }),
    await call(server, "/api/tenants/%E0%A4%A/widget-identity/s2s-token/rotate", { bearer: admin }),
    await call(server, `/api/tenants/${"x".repeat(5000)}/widget-identity/s2s-token/rotate`, { bearer: admin }),
    await call(server, "/api/tenants//widget-identity/s2s-token/revoke-previous", { bearer: admin }),
    await call(server, "/.well-known/jwks.json", { method: "DELETE" }),
    await call(server, "/nowhere", { method: "GET" }),
  ];
  for (const answer of answers) assert.ok(answer.status < 500, `${answer.status} ${answer.text}`);
  const deep = answers[0];
  assert.equal(deep?.status, 400);
});

Deno.test("startIndependentServer() repeats no credential a request carried", async () => {
  await using server = await startIndependentServer();
  const unknown = unknownServerToken();
  const admin = server.env.SETCHAT_ADMIN_TOKEN;
  const cases: Array<[Awaited<ReturnType<typeof call>>, string]> = [
    [await mint(server, {}, unknown), unknown],
    [await mint(server, { siteApiKey: server.env.SETCHAT_FOREIGN_SITE_API_KEY }), server.env.SETCHAT_SERVER_TOKEN],
    [await mint(server, { [server.env.SETCHAT_SERVER_TOKEN]: 1 }), server.env.SETCHAT_SERVER_TOKEN],
    [await ops(server, "rotate", server.env.SETCHAT_TENANT_ID, `ak_${"1".repeat(64)}`), `ak_${"1".repeat(64)}`],
    [await ops(server, "rotate", server.env.SETCHAT_FOREIGN_TENANT_ID, admin), admin],
    [await ops(server, "revoke-previous"), admin],
  ];
  const minted = await mint(server);
  cases.push([minted, server.env.SETCHAT_SERVER_TOKEN]);
  for (const [answer, secret] of cases) assert.ok(!echoes(answer, secret), answer.text);
});

Deno.test("startIndependentServer() refuses an unknown bug name", async () => {
  await assert.rejects(
    () => startIndependentServer({ bugs: ["no-such-bug" as never] }),
    (error) => error instanceof TypeError && /unknown bug/.test(error.message),
  );
});
