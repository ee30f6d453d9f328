import assert from "node:assert/strict";
import { AppError } from "./app_error.ts";
import { checkRotation, tokensToRevoke } from "./s2s_rotation.ts";

const active = (id: string) => ({ id, status: "active" as const });
const revoked = (id: string) => ({ id, status: "revoked" as const });

Deno.test("checkRotation() allows a rotation when only the current token is active", () => {
  checkRotation([active("a")], "a");
  checkRotation([revoked("a"), revoked("b"), active("c")], "c");
});

Deno.test("checkRotation() refuses a rotation while a previous token is active", () => {
  assert.throws(
    () => checkRotation([active("a"), active("b")], "b"),
    (e) => e instanceof AppError && e.code === "rotation_pending" && e.status === 409,
  );
});

Deno.test("tokensToRevoke() takes every active token but the current one", () => {
  const tokens = [revoked("a"), active("b"), active("c"), active("d")];
  assert.deepEqual(tokensToRevoke(tokens, "d").map((t) => t.id), ["b", "c"]);
  assert.deepEqual(tokensToRevoke([active("d")], "d"), []);
  assert.deepEqual(tokensToRevoke([revoked("a"), active("d")], "d"), []);
});
