import assert from "node:assert/strict";
import { AgentConversationDetail, AgentConversationList, Visitor } from "../contract/agent.ts";
import { body, mintFor, openWidget, type TestApp, testApp } from "../test_utils.ts";

const get = (t: TestApp, path: string, token = t.a.adminToken) =>
  t.fetch(`/api/tenants/${t.a.tenant.id}${path}`, { headers: { authorization: `Bearer ${token}` } });

Deno.test("verified custom data comes from the token; page data lands in non_verified_custom_data only", async () => {
  await using t = await testApp();
  const token = await mintFor(t, "user-u", {
    email: "u@acme.test",
    name: "U",
    provider: "acme-sso",
    metadata: { plan: "pro", seats: 5 },
  });
  const w = await openWidget(t, {
    visitorToken: token,
    user: { email: "other@evil.test", name: "Mallory", customData: { plan: "enterprise", theme: "dark" } },
  });
  assert.equal(w.session.identity.email, "u@acme.test", "the widget shows the verified identity");
  const visitor = Visitor.parse(await body(await get(t, `/visitors/${w.session.visitorId}`)));
  assert.equal(visitor.verified, true);
  assert.equal(visitor.externalUserId, "user-u");
  assert.equal(visitor.email, "u@acme.test");
  assert.equal(visitor.provider, "acme-sso");
  assert.deepEqual(visitor.custom_data, { plan: "pro", seats: 5 });
  assert.deepEqual(visitor.non_verified_custom_data, { plan: "enterprise", theme: "dark" });
  assert.deepEqual(visitor.non_verified, {
    name: "Mallory",
    email: "other@evil.test",
    externalUserId: null,
    source: "page",
  });
  // A later session with more page data still never touches the verified part.
  await openWidget(t, {
    visitorToken: await mintFor(t, "user-u", { metadata: { plan: "pro", seats: 5 } }),
    user: { customData: { plan: "free" } },
  });
  const again = Visitor.parse(await body(await get(t, `/visitors/${w.session.visitorId}`)));
  assert.deepEqual(again.custom_data, { plan: "pro", seats: 5 });
  assert.deepEqual(again.non_verified_custom_data, { plan: "free" }, "the latest page data replaces the earlier");
});

Deno.test("the agent lists the tenant's conversations newest first, by site, page by page", async () => {
  await using t = await testApp();
  const one = await openWidget(t);
  const two = await openWidget(t, { siteApiKey: t.a.sites[1]!.apiKey });
  const made: string[] = [];
  for (let i = 0; i < 5; i++) {
    t.clock.advance(1000);
    made.push((await (i % 2 ? two : one).start()).id);
  }
  const all = AgentConversationList.parse(await body(await get(t, "/conversations")));
  assert.deepEqual(all.conversations.map((c) => c.id), [...made].reverse());
  assert.equal(all.nextCursor, null);
  const site1 = AgentConversationList.parse(
    await body(await get(t, `/conversations?siteApiKey=${t.a.sites[0]!.apiKey}`)),
  );
  assert.deepEqual(site1.conversations.map((c) => c.id), [made[4], made[2], made[0]]);
  const page1 = AgentConversationList.parse(await body(await get(t, "/conversations?limit=2")));
  assert.equal(page1.conversations.length, 2);
  const page2 = AgentConversationList.parse(
    await body(await get(t, `/conversations?limit=2&cursor=${page1.nextCursor}`)),
  );
  const page3 = AgentConversationList.parse(
    await body(await get(t, `/conversations?limit=2&cursor=${page2.nextCursor}`)),
  );
  assert.deepEqual(
    [...page1.conversations, ...page2.conversations, ...page3.conversations].map((c) => c.id),
    [...made].reverse(),
  );
  assert.equal(page3.nextCursor, null);
  const bad = await get(t, "/conversations?limit=0");
  assert.equal(bad.status, 400);
  const foreignSite = await get(t, `/conversations?siteApiKey=${t.b.sites[0]!.apiKey}`);
  assert.equal((await body(foreignSite)).code, "site_not_found");
  // A cursor this listing never gave is refused, not read as a place to start from.
  const siteTwo = t.a.sites[1]!.apiKey;
  for (const cursor of ["garbage", "", made[0]!]) {
    const refused = await get(t, `/conversations?limit=2&siteApiKey=${siteTwo}&cursor=${cursor}`);
    assert.equal(refused.status, 400, cursor);
    assert.equal((await body(refused)).errors[0].path, "cursor");
  }
  assert.equal((await get(t, `/conversations?limit=2&siteApiKey=${siteTwo}&cursor=${made[1]}`)).status, 200);
});

Deno.test("the agent reads a conversation with its visitor, and replies", async () => {
  await using t = await testApp();
  const w = await openWidget(t, { user: { source: "prechat_form", name: "Ada", email: "ada@x.test" } });
  const c = await w.start({ kind: "ticket", subject: "Broken export", text: "It fails" });
  const detail = AgentConversationDetail.parse(await body(await get(t, `/conversations/${c.id}`)));
  assert.equal(detail.conversation.identityMethod, "prechat_form");
  assert.equal(detail.visitor.id, w.session.visitorId);
  assert.deepEqual(detail.messages.map((m) => m.text), ["It fails"]);
  const reply = await t.post(`/api/tenants/${t.a.tenant.id}/conversations/${c.id}/messages`, t.a.adminToken, {
    text: "Fixed",
    authorName: "Grace",
  });
  assert.equal(reply.status, 201);
  const seen = await body(await w.call("GET", `/api/widget/conversations/${c.id}`));
  assert.deepEqual(seen.messages.map((m: { author: string; authorName: string }) => [m.author, m.authorName]), [
    ["visitor", "Ada"],
    ["agent", "Grace"],
  ]);
});

Deno.test("an agent of another tenant finds nothing: conversations, visitors, replies", async () => {
  await using t = await testApp();
  const w = await openWidget(t, { visitorToken: await mintFor(t, "user-u") });
  const c = await w.start();
  // B's admin token on A's path.
  assert.equal((await get(t, `/conversations/${c.id}`, t.b.adminToken)).status, 404);
  // B's admin token on B's own path, naming A's conversation and visitor.
  const onB = (path: string) =>
    t.fetch(`/api/tenants/${t.b.tenant.id}${path}`, { headers: { authorization: `Bearer ${t.b.adminToken}` } });
  const conv = await onB(`/conversations/${c.id}`);
  assert.equal((await body(conv)).code, "conversation_not_found");
  const visitor = await onB(`/visitors/${w.session.visitorId}`);
  assert.equal((await body(visitor)).code, "visitor_not_found");
  const reply = await t.post(`/api/tenants/${t.b.tenant.id}/conversations/${c.id}/messages`, t.b.adminToken, {
    text: "x",
  });
  assert.equal(reply.status, 404);
  assert.deepEqual((await body(await onB("/conversations"))).conversations, []);
  const widgetToken = await t.fetch(`/api/tenants/${t.a.tenant.id}/conversations`, {
    headers: { authorization: `Bearer ${w.token}` },
  });
  assert.equal((await body(widgetToken)).code, "auth_wrong_kind");
});
