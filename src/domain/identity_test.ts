import assert from "node:assert/strict";
import { AppError } from "./app_error.ts";
import { identityMethod, sessionWorkspace } from "./identity.ts";

Deno.test("identityMethod() verifies only with a visitor token", () => {
  assert.equal(identityMethod({}), "anonymous");
  assert.equal(identityMethod({ user: { source: "prechat_form", email: "a@b.c" } }), "prechat_form");
  assert.equal(identityMethod({ user: { source: "page", externalUserId: "u1" } }), "client_user_data");
  assert.equal(identityMethod({ visitorToken: "eyJ", user: { source: "page" } }), "visitor_token");
});

Deno.test("sessionWorkspace() lets a bound token use its workspace only", () => {
  assert.equal(sessionWorkspace("w1", "w1"), "w1");
  assert.equal(sessionWorkspace("w2", undefined), "w2");
  assert.equal(sessionWorkspace(null, undefined), null);
  for (const requested of ["w2", null]) {
    assert.throws(
      () => sessionWorkspace(requested, "w1"),
      (e) => e instanceof AppError && e.code === "workspace_mismatch" && e.status === 403,
    );
  }
});
