import assert from "node:assert/strict";
import { Lru } from "./lru.ts";

Deno.test("Lru evicts the least recently used entry past its bound", () => {
  const lru = new Lru<string, number>(2);
  lru.set("a", 1);
  lru.set("b", 2);
  assert.equal(lru.get("a"), 1, "reading a makes b the least recently used");
  lru.set("c", 3);
  assert.equal(lru.get("b"), undefined);
  assert.equal(lru.get("a"), 1);
  assert.equal(lru.get("c"), 3);
});

Deno.test("Lru.delete() forgets an entry and set() replaces one without growing", () => {
  const lru = new Lru<string, number>(2);
  lru.set("a", 1);
  lru.set("a", 2);
  lru.set("b", 3);
  assert.equal(lru.get("a"), 2);
  lru.delete("a");
  assert.equal(lru.get("a"), undefined);
  assert.equal(lru.get("b"), 3);
});
