import assert from "node:assert/strict";
import { CustomData, isJsonValue, JsonValue } from "./common.ts";

Deno.test("isJsonValue() takes what JSON can write, at any depth, and nothing else", () => {
  const bare = Object.create(null);
  bare.a = [1, { b: null }];
  const shared = { x: 1 };
  for (
    const value of [null, true, false, "", "text", 0, -1.5, 1e300, [], {}, [[[]]], { a: { b: [1, "2", null] } }, bare, {
      one: shared,
      two: shared,
    }, [shared, [shared]]]
  ) {
    assert.equal(isJsonValue(value), true, JSON.stringify(value));
  }
  class Point {
    x = 1;
  }
  const refused = [undefined, NaN, Infinity, -Infinity, () => 1, Symbol("s"), 1n, new Date(0), new Map(), new Point()];
  for (const value of refused) {
    assert.equal(isJsonValue(value), false, String(typeof value));
    // Wherever it sits: under arrays and objects, after valid items, deep down.
    assert.equal(isJsonValue([1, "a", value]), false);
    assert.equal(isJsonValue({ a: 1, b: value }), false);
    assert.equal(isJsonValue({ a: [{ b: [value] }] }), false);
  }
  // An array or object that holds itself, however far down, is no JSON.
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.b = [{ c: cyclic }];
  assert.equal(isJsonValue(cyclic), false);
  assert.equal(isJsonValue([cyclic]), false);
  // Thousands of levels, walked without recursion.
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { d: deep };
  assert.equal(isJsonValue(deep), true);
});

Deno.test("JsonValue and CustomData refuse what is not JSON, naming the field", () => {
  assert.equal(JsonValue.safeParse({ a: [1, { b: "c" }] }).success, true);
  const result = CustomData.safeParse({ plan: "pro", when: new Date(0) });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues.map((i) => [i.path.join("."), i.message]), [["when", "must be a JSON value"]]);
});
