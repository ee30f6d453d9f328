import assert from "node:assert/strict";
import { NEW_VISITOR, withClientUser, withVerifiedProfile } from "./visitor.ts";

const verified = { externalUserId: "u1", email: "u@acme.test", name: "U", provider: null, customData: { plan: "pro" } };

Deno.test("withClientUser() never touches verified data, whatever its keys", () => {
  const v = withVerifiedProfile(NEW_VISITOR, verified);
  const after = withClientUser(v, {
    source: "page",
    email: "attacker@evil.test",
    externalUserId: "admin",
    customData: { plan: "enterprise", seats: 1000 },
  });
  assert.deepEqual(after.verified, verified);
  assert.deepEqual(after.nonVerifiedCustomData, { plan: "enterprise", seats: 1000 });
  assert.equal(after.nonVerified?.email, "attacker@evil.test");
});

Deno.test("withClientUser() keeps earlier non-verified fields a later call leaves out", () => {
  const a = withClientUser(NEW_VISITOR, {
    source: "prechat_form",
    name: "Ada",
    email: "ada@x.test",
    customData: { a: 1 },
  });
  const b = withClientUser(a, { source: "page" });
  assert.deepEqual(b.nonVerified, { name: "Ada", email: "ada@x.test", externalUserId: null, source: "page" });
  assert.deepEqual(b.nonVerifiedCustomData, { a: 1 });
});

Deno.test("withClientUser() replaces custom data whole, so it never grows past one request's", () => {
  let v = NEW_VISITOR;
  for (let i = 0; i < 100; i++) {
    const customData = Object.fromEntries([...Array(40)].map((_, j) => [`k${i}_${j}`, "x"]));
    v = withClientUser(v, { source: "page", customData });
  }
  assert.equal(Object.keys(v.nonVerifiedCustomData).length, 40);
});

Deno.test("withVerifiedProfile() replaces the verified profile with the newest token's", () => {
  const a = withVerifiedProfile(NEW_VISITOR, verified);
  const b = withVerifiedProfile(a, { ...verified, customData: { plan: "team" } });
  assert.deepEqual(b.verified?.customData, { plan: "team" });
});
