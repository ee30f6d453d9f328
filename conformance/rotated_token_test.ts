import assert from "node:assert/strict";
import { findRotatedToken, stringsOf } from "./rotated_token.ts";

const NEW = "sk_0123456789abcdef0123456789abcdef";
const OLD = "sk_fedcba9876543210fedcba9876543210";

Deno.test("stringsOf() lists every string of an answer with its path, in order", () => {
  assert.deepEqual(stringsOf({ a: "x", b: { c: ["y", 1, "z"] } }), [["a", "x"], ["b.c.0", "y"], ["b.c.2", "z"]]);
});

Deno.test("findRotatedToken() takes the declared field at its word, and fails when it holds no string", async () => {
  const never = () => Promise.reject(new Error("no request when the field is declared"));
  const declared = await findRotatedToken({ data: { secret: NEW } }, {
    declaredField: "data.secret",
    known: () => false,
    authenticates: never,
  });
  assert.deepEqual(declared, { token: NEW, field: "data.secret", how: "declared" });
  const missing = await findRotatedToken({ token: NEW }, { declaredField: "data.secret", known: () => false });
  assert.ok("problem" in missing && /"data\.secret"/.test(missing.problem));
});

Deno.test("findRotatedToken() tries the answer's unseen strings until one authenticates, and says which field", async () => {
  const tried: string[] = [];
  const answer = {
    id: "stk_short",
    previous: OLD,
    createdAt: "2026-01-01T00:00:00.000Z",
    credential: { display: "sk_0123…", value: NEW },
  };
  const found = await findRotatedToken(answer, {
    known: (v) => v === OLD,
    authenticates: (candidate) => {
      tried.push(candidate);
      return Promise.resolve(candidate === NEW);
    },
  });
  assert.deepEqual(found, { token: NEW, field: "credential.value", how: "authenticates" });
  assert.ok(!tried.includes(OLD), "a credential the run already knows is never the new one");
  assert.ok(!tried.includes("stk_short"), "short strings are not tried");
});

Deno.test("findRotatedToken() finds nothing in an answer that shows no new token, and says why", async () => {
  const replayed = await findRotatedToken({ token: OLD }, {
    known: (v) => v === OLD,
    authenticates: () => Promise.resolve(true),
  });
  assert.ok("problem" in replayed && /no string that could be a new server token/.test(replayed.problem));
  const wrong = await findRotatedToken({ token: NEW }, {
    known: () => false,
    authenticates: () => Promise.resolve(false),
  });
  assert.ok("problem" in wrong && /none of the 1 unseen string/.test(wrong.problem));
  const siteless = await findRotatedToken({ token: NEW }, { known: () => false });
  assert.ok("problem" in siteless && /rotateTokenField/.test(siteless.problem));
});
