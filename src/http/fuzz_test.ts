import assert from "node:assert/strict";
import { mintFor, openWidget, testApp } from "../test_utils.ts";

/** A small seeded generator, so that a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("no request a client can send makes the server answer 5xx", async () => {
  await using t = await testApp();
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? 20261122);
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const site = t.a.sites[0]!.apiKey;
  const widget = await openWidget(t, { visitorToken: await mintFor(t, "user-u") });
  const conversation = await widget.start();
  const paths = [
    "/api/widget/sessions",
    "/api/widget/session",
    "/api/widget/conversations",
    `/api/widget/conversations/${conversation.id}`,
    `/api/widget/conversations/${conversation.id}/messages`,
    `/api/widget/conversations/${conversation.id}/messages?after=msg_00000001`,
    `/api/widget/conversations/${conversation.id}/messages?after=%ff`,
    `/api/tenants/${t.a.tenant.id}/conversations?limit=-1&cursor=%00`,
    `/api/tenants/${t.a.tenant.id}/conversations/${conversation.id}/messages`,
    `/api/tenants/${t.a.tenant.id}/visitors/${widget.session.visitorId}`,
    `/api/widget/conversations/${"x".repeat(3000)}`,
    `/api/widget/conversations/${"x".repeat(3000)}/messages?after=msg_00000001`,
    `/api/tenants/${t.a.tenant.id}/conversations/${"x".repeat(3000)}`,
    `/api/tenants/${t.a.tenant.id}/visitors/${"x".repeat(5000)}`,
    "/api/widget/visitor-token",
    "/api/widget/visitor-token",
    "/api/widget/visitor-token",
    `/api/tenants/${t.a.tenant.id}/widget-identity/s2s-token/rotate`,
    `/api/tenants/${t.a.tenant.id}/widget-identity/s2s-token/revoke-previous`,
    `/api/tenants/${t.a.tenant.id}/widget-identity/s2s-tokens`,
    "/api/tenants/%2e%2e/widget-identity/s2s-tokens",
    "/api/tenants/%00/widget-identity/s2s-token/rotate",
    "/openapi.json",
    "/healthz",
    "/%ff%fe",
    "/api/widget/visitor-token/../../healthz",
  ];
  const tokens = [
    widget.token,
    widget.device,
    t.a.serverToken,
    t.a.adminToken,
    t.b.serverToken,
    "",
    "x",
    "setchat_s2s_",
    "Bearer",
    "\u00e9\u00e9",
  ];
  const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
  const bodies: (() => BodyInit)[] = [
    () => JSON.stringify({ siteApiKey: site, externalUserId: "u" }),
    () => `{"siteApiKey":"${site}","externalUserId":"u","metadata":{"a":${deep(5000, "[", "]")}}}`,
    () =>
      `{"siteApiKey":"${site}","externalUserId":"u","metadata":${
        deep(3000, '{"a":', "").concat("1", "}".repeat(3000))
      }}`,
    () => deep(7000, "[", "]"),
    () => JSON.stringify({ siteApiKey: site, externalUserId: "u".repeat(300), email: "a@b".repeat(100) }),
    () => JSON.stringify({ siteApiKey: 1, externalUserId: null, email: {}, metadata: [] }),
    () =>
      JSON.stringify({
        ["__proto__"]: { admin: true },
        constructor: { prototype: {} },
        siteApiKey: site,
        externalUserId: "u",
      }),
    () => `{"siteApiKey":"${site}","externalUserId":"\\ud800"}`,
    () => JSON.stringify({ siteApiKey: site, externalUserId: "u", metadata: { ["x".repeat(100)]: 1 } }),
    () => crypto.getRandomValues(new Uint8Array(new ArrayBuffer(Math.floor(rand() * 2048)))),
    () => "\u0000\u0001{",
    () => JSON.stringify("x".repeat(20000)),
    () => JSON.stringify({ siteApiKey: site, externalUserId: "u", metadata: { big: "x".repeat(40000) } }),
    () => "1e999999",
    () => JSON.stringify({ siteApiKey: site, externalUserId: "u", metadata: { n: 1e308 } }),
    () => JSON.stringify({ siteApiKey: site, deviceCredential: widget.device, user: { customData: { a: [[[[1]]]] } } }),
    () => JSON.stringify({ siteApiKey: site, visitorToken: "e30.e30.", workspace: { externalId: "w" } }),
    () => JSON.stringify({ kind: "ticket", subject: "x".repeat(300) }),
    () => JSON.stringify({ kind: "flow", flowId: "__proto__" }),
    () => JSON.stringify({ text: "\u0000".repeat(10) }),
  ];
  const types = [
    "application/json",
    "application/json; charset=latin1",
    "text/plain",
    "",
    "application/problem+json",
    "APPLICATION/JSON",
  ];
  const statuses = new Map<number, number>();
  for (let i = 0; i < 900; i++) {
    const headers: Record<string, string> = {};
    const token = pick(tokens);
    if (rand() < 0.9) headers.authorization = rand() < 0.8 ? `Bearer ${token}` : token;
    const type = pick(types);
    if (type) headers["content-type"] = type;
    const method = pick(["POST", "POST", "POST", "GET", "DELETE", "PUT", "OPTIONS", "PATCH"]);
    const init: RequestInit = { method, headers };
    if (method !== "GET") init.body = pick(bodies)();
    const path = pick(paths);
    let res: Response;
    try {
      res = await t.fetch(path, init);
    } catch (error) {
      if (error instanceof TypeError) continue; // a Request the fetch API itself refuses to build
      throw error;
    }
    await res.body?.cancel();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    assert.ok(res.status < 500, `seed ${seed} request ${i}: ${method} ${path} answered ${res.status}`);
  }
  // The mix must reach the handlers, not only the front door.
  for (const s of [200, 400, 401, 415]) assert.ok(statuses.has(s), `no ${s} among ${[...statuses.keys()]}`);
});
