import assert from "node:assert/strict";
import * as jose from "jose";
import { testServer } from "../test_utils.ts";

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
