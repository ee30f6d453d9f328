import assert from "node:assert/strict";
import { base62, newId } from "./encoding.ts";

Deno.test("newId() sorts by time, and within one millisecond in the order the ids were made", () => {
  const same = Array.from({ length: 200 }, () => newId("cnv", 1_765_000_000_000));
  assert.deepEqual([...same].sort(), same, "ids of one millisecond sort in the order they were made");
  assert.equal(new Set(same).size, same.length);
  const later = newId("cnv", 1_765_000_000_001);
  assert.ok(later > same.at(-1)!, "a later millisecond sorts after");
  assert.ok(newId("cnv", 1_765_000_000_000) < later, "an earlier millisecond sorts before, whatever came between");
  assert.match(later, /^cnv_[0-9A-Za-z]{21}$/);
  assert.equal(later.slice(4, 12), base62(1_765_000_000_001, 8));
});

Deno.test("newId() steps within a millisecond by an amount no one can guess", () => {
  const a = newId("ses", 1_765_000_000_500);
  const b = newId("ses", 1_765_000_000_500);
  const c = newId("ses", 1_765_000_000_500);
  const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const value = (id: string) => [...id.slice(12)].reduce((n, ch) => n * 62n + BigInt(digits.indexOf(ch)), 0n);
  assert.notEqual(value(b) - value(a), value(c) - value(b), "two steps of the same size: the step is not random");
});
