import assert from "node:assert/strict";
import { ERROR_CODES, ERRORS } from "../contract/errors.ts";
import { Jwks, Version } from "../contract/meta.ts";
import { AppError } from "../domain/app_error.ts";
import { generateSecret } from "../identity/secret_token.ts";
import { body, testApp, testServer } from "../test_utils.ts";
import { problemResponse } from "./problem.ts";

Deno.test("GET /healthz, /api/version and /.well-known/jwks.json answer their schemas", async () => {
  await using t = await testApp();
  assert.deepEqual(await body(await t.fetch("/healthz")), { status: "ok" });
  const version = Version.parse(await body(await t.fetch("/api/version")));
  assert.equal(version.implementation, "setchat-reference");
  assert.equal(version.issuer, "setchat-test");
  const jwks = Jwks.parse(await body(await t.fetch("/.well-known/jwks.json")));
  assert.deepEqual(jwks.keys.map((k) => [k.kty, k.alg, k.use, k.kid]), [[
    "OKP",
    "EdDSA",
    "sig",
    t.deps.keys.current.kid,
  ]]);
  assert.ok(!("d" in jwks.keys[0]!), "the private part is published");
});

Deno.test("GET /openapi.json documents every route, its errors and the schemas it references", async () => {
  await using t = await testApp();
  const doc = await body(await t.fetch("/openapi.json"));
  assert.equal(doc.openapi, "3.1.0");
  const operations = Object.values(doc.paths).flatMap((p) => Object.values(p as object)) as {
    operationId: string;
    responses: Record<string, unknown>;
  }[];
  for (
    const id of ["mintVisitorToken", "rotateS2sToken", "revokePreviousS2sTokens", "listS2sTokens", "jwks", "version"]
  ) {
    assert.ok(operations.some((o) => o.operationId === id), id);
  }
  const mint = doc.paths["/api/widget/visitor-token"].post;
  assert.deepEqual(mint.requestBody.content["application/json"].schema, {
    $ref: "#/components/schemas/MintVisitorTokenRequest",
  });
  assert.ok(mint.responses["401"] && mint.responses["400"] && mint.responses["403"] && mint.responses["413"]);
  assert.deepEqual(mint.security, [{ s2s: [] }]);
  const request = doc.components.schemas.MintVisitorTokenRequest;
  assert.equal(request.additionalProperties, false);
  assert.deepEqual(request.required.sort(), ["externalUserId", "siteApiKey"]);
  assert.deepEqual(doc.components.schemas.Problem.properties.code.enum, ERROR_CODES);
});

Deno.test("unknown paths are 404 and wrong methods 405 with Allow, as problems", async () => {
  await using t = await testApp();
  const missing = await t.fetch("/api/nope");
  assert.equal(missing.status, 404);
  assert.equal((await body(missing)).code, "route_not_found");
  const wrong = await t.fetch("/api/widget/visitor-token");
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "POST");
  assert.equal((await body(wrong)).code, "method_not_allowed");
  const put = await t.fetch("/api/tenants/x/widget-identity/s2s-token/rotate", { method: "PUT" });
  assert.equal(put.status, 405);
});

Deno.test("server-to-server endpoints send no CORS headers; public documents do", async () => {
  await using t = await testApp();
  const mint = await t.post("/api/widget/visitor-token", t.a.serverToken, {});
  assert.equal(mint.headers.get("access-control-allow-origin"), null);
  // OPTIONS is a method the S2S paths lack, like any other: 405 with Allow, and nothing a browser could use.
  const preflight = await t.fetch("/api/widget/visitor-token", {
    method: "OPTIONS",
    headers: { origin: "https://attacker.example", "access-control-request-method": "POST" },
  });
  assert.equal(preflight.status, 405);
  assert.equal(preflight.headers.get("allow"), "POST");
  assert.equal((await body(preflight)).code, "method_not_allowed");
  assert.equal(preflight.headers.get("access-control-allow-origin"), null);
  const rotate = await t.fetch(`/api/tenants/${t.a.tenant.id}/widget-identity/s2s-token/rotate`, { method: "OPTIONS" });
  assert.equal(rotate.status, 405);
  assert.equal(rotate.headers.get("allow"), "POST");
  await rotate.body?.cancel();
  const nowhere = await t.fetch("/api/nope", { method: "OPTIONS" });
  assert.equal(nowhere.status, 404);
  await nowhere.body?.cancel();
  await mint.body?.cancel();
  const jwks = await t.fetch("/.well-known/jwks.json");
  assert.equal(jwks.headers.get("access-control-allow-origin"), "*");
  await jwks.body?.cancel();
});

Deno.test("an error detail never repeats a value shaped like a credential, wherever the client put it", async () => {
  await using t = await testApp();
  const tokens = [t.a.serverToken, t.a.adminToken, generateSecret("wss").plaintext];
  const jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJl";
  const site = t.a.sites[0]!.apiKey;
  const answers = [
    // In the path: an unknown endpoint, an unknown tenant, an unknown conversation.
    await t.fetch(`/api/widget/session/${tokens[0]}`),
    await t.fetch(`/api/tenants/${tokens[1]}/widget-identity/s2s-token/rotate`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.a.adminToken}` },
    }),
    // In a field: a server token passed as the site key, of a session and of a mint.
    await t.post("/api/widget/sessions", undefined, { siteApiKey: tokens[0] }),
    await t.post("/api/widget/visitor-token", t.a.serverToken, { siteApiKey: jwt, externalUserId: "u" }),
    // In a body that is not JSON, which the parser's message quotes.
    await t.post("/api/widget/visitor-token", t.a.serverToken, `${tokens[2]} {"siteApiKey":"${site}"}`),
    await t.post("/api/widget/visitor-token", t.a.serverToken, `{"siteApiKey": ${jwt}}`),
    // As a field's name.
    await t.post("/api/widget/visitor-token", t.a.serverToken, {
      siteApiKey: site,
      externalUserId: "u",
      [tokens[1]!]: 1,
    }),
  ];
  for (const res of answers) {
    const text = await res.text();
    assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
    for (const secret of [...tokens, jwt, jwt.split(".")[0]!]) {
      assert.ok(!text.includes(secret.slice(12, 30)), `the answer repeats ${secret.slice(0, 16)}…: ${text}`);
    }
  }
});

Deno.test("problemResponse() puts a Bearer challenge on every 401 of the catalogue, and on nothing else", () => {
  const error = console.error;
  console.error = () => {}; // 5xx problems are logged: nothing worth reading here
  try {
    for (const code of ERROR_CODES) {
      const challenge = problemResponse(new AppError(code, "Cannot test: a detail"), "req-1").headers
        .get("www-authenticate");
      if (ERRORS[code].status !== 401) {
        assert.equal(challenge, null, code);
        continue;
      }
      assert.match(challenge ?? "", /^Bearer realm="setchat"/, code);
      assert.equal(challenge?.includes(`error="invalid_token"`), code !== "auth_missing", code);
    }
  } finally {
    console.error = error;
  }
});

Deno.test("every 401 over HTTP carries WWW-Authenticate: Bearer, with error=invalid_token once a token was sent", async () => {
  await using s = await testServer();
  const { acme, globex } = s.demo;
  const siteApiKey = acme.sites[0]!.apiKey;
  const ops = `/api/tenants/${acme.tenant.id}/widget-identity/s2s-token`;
  const mint = (token?: string) =>
    s.call("POST", "/api/widget/visitor-token", {
      ...(token === undefined ? {} : { token }),
      body: { siteApiKey, externalUserId: "u" },
    });
  const minted = (await (await mint(acme.serverToken)).json()).token;
  const rotated = (await (await s.call("POST", `${ops}/rotate`, { token: acme.adminToken })).json()).token;
  await (await s.call("POST", `${ops}/revoke-previous`, { token: acme.adminToken })).body?.cancel();
  const refusals: [string, Promise<Response>][] = [
    ["auth_missing", mint()],
    ["auth_malformed", mint("setchat_s2s_nope")],
    ["auth_wrong_kind", mint(acme.adminToken)],
    ["auth_unknown", mint(generateSecret("s2s").plaintext)],
    ["auth_revoked", mint(acme.serverToken)],
    ["auth_missing", s.call("GET", "/api/widget/conversations")],
    ["session_invalid", s.call("GET", "/api/widget/conversations", { token: generateSecret("wss").plaintext })],
    ["visitor_token_invalid", s.call("POST", "/api/widget/sessions", { body: { siteApiKey, visitorToken: "x.y.z" } })],
    ["visitor_token_revoked", s.call("POST", "/api/widget/sessions", { body: { siteApiKey, visitorToken: minted } })],
    ["auth_missing", s.call("GET", `/api/tenants/${globex.tenant.id}/conversations`)],
  ];
  for (const [code, pending] of refusals) {
    const res = await pending;
    const problem = await res.json();
    assert.equal(res.status, 401, code);
    assert.equal(problem.code, code);
    const expected = code === "auth_missing"
      ? `Bearer realm="setchat"`
      : `Bearer realm="setchat", error="invalid_token"`;
    assert.equal(res.headers.get("www-authenticate"), expected, code);
  }
  const fine = await mint(rotated);
  assert.equal(fine.headers.get("www-authenticate"), null, "a success carries no challenge");
  await fine.body?.cancel();
});

Deno.test("HEAD answers every GET endpoint like GET, without a body; other methods list HEAD in Allow", async () => {
  await using s = await testServer();
  const { acme } = s.demo;
  const session = await (await s.call("POST", "/api/widget/sessions", {
    body: { siteApiKey: acme.sites[0]!.apiKey },
  })).json();
  const cases: [string, string | undefined][] = [
    ["/healthz", undefined],
    ["/api/version", undefined],
    ["/.well-known/jwks.json", undefined],
    ["/openapi.json", undefined],
    ["/widget.js", undefined],
    ["/api/widget/session", session.sessionToken],
    ["/api/widget/conversations", session.sessionToken],
    ["/api/widget/conversations", undefined],
    [`/api/tenants/${acme.tenant.id}/widget-identity/s2s-tokens`, acme.adminToken],
    ["/api/nope", undefined],
    ["/", undefined],
  ];
  for (const [path, token] of cases) {
    const get = await s.call("GET", path, token ? { token } : {});
    const getBody = new Uint8Array(await get.arrayBuffer());
    const head = await s.call("HEAD", path, token ? { token } : {});
    assert.equal(head.status, get.status, path);
    assert.equal(await head.text(), "", `${path}: HEAD has no body`);
    assert.equal(head.headers.get("content-type"), get.headers.get("content-type"), path);
    // A problem's detail names the method, so only successes have the very same length.
    if (get.ok) assert.equal(head.headers.get("content-length"), String(getBody.byteLength), path);
    assert.equal(head.headers.get("www-authenticate"), get.headers.get("www-authenticate"), path);
  }
  const postOnly = await s.call("HEAD", "/api/widget/visitor-token");
  assert.equal(postOnly.status, 405);
  assert.equal(postOnly.headers.get("allow"), "POST");
  await postOnly.body?.cancel();
  const put = await s.call("PUT", "/api/widget/conversations");
  assert.equal(put.status, 405);
  assert.equal(put.headers.get("allow"), "GET, HEAD, POST");
  await put.body?.cancel();
});
