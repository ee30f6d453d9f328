import assert from "node:assert/strict";
import * as jose from "jose";
import { type RunningServer, startServer } from "../server.ts";

async function server(): Promise<RunningServer> {
  const s = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    dataDir: ":memory:",
    issuer: "setchat-test",
    visitorTokenLifetime: 300,
    publicUrl: undefined,
  });
  if (!s.deps.widgetScript) {
    await s.close();
    throw new Error("Cannot test the demo: dist/ is not built; run `deno task build` (the test task does)");
  }
  return s;
}

Deno.test("the demo serves its pages, its scripts and the widget", async () => {
  await using s = await server();
  for (
    const [path, type, marker] of [
      ["/", "text/html", 'src="/widget.js"'],
      ["/demo/agent", "text/html", "agent.js"],
      ["/demo/demo.css", "text/css", ".topbar"],
      ["/demo/acme.js", "text/javascript", "visitor-token"],
      ["/widget.js", "text/javascript", "SetChat"],
    ]
  ) {
    const res = await fetch(`${s.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type")!, new RegExp(type!));
    assert.ok((await res.text()).includes(marker!), `${path} lacks ${marker}`);
  }
});

Deno.test("the demo's backend mints visitor tokens for the signed-in Acme user only, server to server", async () => {
  await using s = await server();
  const anonymous = await fetch(`${s.url}/demo/api/visitor-token`, {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json" },
  });
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
  const login = await fetch(`${s.url}/demo/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: "user-ada" }),
  });
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  assert.match(login.headers.get("set-cookie")!, /HttpOnly/);
  await login.body?.cancel();
  const res = await fetch(`${s.url}/demo/api/visitor-token`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ workspace: "acme-eu" }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const claims = jose.decodeJwt(JSON.parse(text).token);
  assert.equal(claims.sub, "user-ada");
  assert.equal(claims.workspace, "acme-eu");
  assert.deepEqual(claims.metadata, { plan: "enterprise", role: "Admin" });
  const me = await (await fetch(`${s.url}/demo/api/me`, { headers: { cookie } })).json();
  assert.equal(me.user.id, "user-ada");
  assert.equal(me.siteApiKey, s.demo!.acme.sites[0]!.apiKey);
  const forged = await fetch(`${s.url}/demo/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: "user-root" }),
  });
  assert.equal(forged.status, 400);
  await forged.body?.cancel();
});

Deno.test("the demo's agent console reads and answers through the agent API, tokens never in a response", async () => {
  await using s = await server();
  const { acme } = s.demo!;
  const session = await (await fetch(`${s.url}/api/widget/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ siteApiKey: acme.sites[0]!.apiKey }),
  })).json();
  await (await fetch(`${s.url}/api/widget/conversations`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${session.sessionToken}` },
    body: JSON.stringify({ kind: "chat", text: "Hi" }),
  })).json();
  const seen: string[] = [];
  const list = await (await fetch(`${s.url}/demo/api/agent/conversations`)).text();
  seen.push(list);
  const [conversation] = JSON.parse(list).conversations;
  const detail = await (await fetch(`${s.url}/demo/api/agent/conversations/${conversation.id}`)).text();
  seen.push(detail);
  assert.equal(JSON.parse(detail).messages[0].text, "Hi");
  const reply = await fetch(`${s.url}/demo/api/agent/conversations/${conversation.id}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: "Hello from support" }),
  });
  assert.equal(reply.status, 201);
  seen.push(await reply.text());
  seen.push(await (await fetch(`${s.url}/demo/api/me`)).text());
  for (const page of ["/", "/demo/acme.js", "/demo/agent.js"]) seen.push(await (await fetch(`${s.url}${page}`)).text());
  for (const secret of [acme.serverToken, acme.adminToken]) {
    assert.ok(!seen.join("\n").includes(secret.slice(12)), "a tenant token reached the browser");
  }
});

Deno.test("the demo's backend answers this machine only, whatever address the server listens on", async () => {
  await using s = await server();
  const from = (hostname: string) =>
    s.handler(new Request(`${s.url}/demo/api/agent/conversations`), {
      remoteAddr: { hostname, port: 40000, transport: "tcp" },
      completed: Promise.resolve(),
    } as Deno.ServeHandlerInfo<Deno.NetAddr>);
  const outside = await from("203.0.113.7");
  assert.equal(outside.status, 403);
  await outside.body?.cancel();
  const inside = await from("127.0.0.1");
  assert.equal(inside.status, 200);
  await inside.body?.cancel();
  const page = await s.handler(new Request(`${s.url}/`), {
    remoteAddr: { hostname: "203.0.113.7", port: 40000, transport: "tcp" },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo<Deno.NetAddr>);
  assert.equal(page.status, 200, "the pages themselves are public");
  await page.body?.cancel();
});
