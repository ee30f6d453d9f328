import assert from "node:assert/strict";
import { matchesSubset, MissingVariable, render, renderString, select } from "./template.ts";

Deno.test("renderString() substitutes variables and keeps a whole variable's type", () => {
  const vars = { a: "x", n: 3, obj: { k: 1 } };
  assert.equal(renderString("a={{a}} n={{ n }}", vars), "a=x n=3");
  assert.equal(renderString("{{n}}", vars), 3);
  assert.deepEqual(renderString("{{obj}}", vars), { k: 1 });
  assert.equal(renderString("{{repeat:ab:3}}", vars), "ababab");
  assert.throws(() => renderString("{{missing}}", vars), MissingVariable);
});

Deno.test("render() walks objects and arrays, keys included", () => {
  assert.deepEqual(render({ "{{a}}": ["{{n}}", "v-{{a}}"] }, { a: "k", n: 1 }), { k: [1, "v-k"] });
});

Deno.test("select() follows dots, indexes and [*]", () => {
  const body = { list: [{ id: "a", m: { t: 1 } }, { id: "b", m: { t: 2 } }], x: null };
  assert.equal(select(body, "list.1.id"), "b");
  assert.deepEqual(select(body, "list[*].id"), ["a", "b"]);
  assert.deepEqual(select(body, "list[*].m.t"), [1, 2]);
  assert.equal(select(body, "x.y"), undefined);
  assert.equal(select(body, "nope.deeper"), undefined);
  assert.equal(select(body, ""), body);
});

Deno.test("matchesSubset() compares objects by subset and arrays in full", () => {
  assert.ok(matchesSubset({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } }));
  assert.ok(!matchesSubset({ a: 1 }, { a: 2 }));
  assert.ok(!matchesSubset({ a: [1, 2] }, { a: [1] }));
  assert.ok(matchesSubset({ a: [{ x: 1, y: 2 }] }, { a: [{ x: 1 }] }));
  assert.ok(!matchesSubset(null, { a: 1 }));
  assert.ok(matchesSubset(null, null));
});
