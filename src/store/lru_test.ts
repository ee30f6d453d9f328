import assert from "node:assert/strict";
import { Lru } from "./lru.ts";

Deno.test("Lru evicts the least recently used key, reading the newest again included", () => {
  const lru = new Lru<string, number>(2);
  lru.set("a", 1);
  lru.set("b", 2);
  assert.equal(lru.get("a"), 1);
  assert.equal(lru.get("a"), 1);
  lru.set("c", 3);
  assert.equal(lru.get("b"), undefined);
  assert.equal(lru.get("a"), 1);
  assert.equal(lru.get("c"), 3);
  lru.set("d", 4);
  assert.equal(lru.get("a"), undefined);
});

Deno.test("Lru forgets a deleted newest key and every key on clear", () => {
  const lru = new Lru<string, number>(2);
  lru.set("a", 1);
  lru.delete("a");
  assert.equal(lru.get("a"), undefined);
  lru.set("b", 2);
  lru.set("c", 3);
  lru.clear();
  assert.equal(lru.get("b"), undefined);
  assert.equal(lru.get("c"), undefined);
  lru.set("b", 2);
  assert.equal(lru.get("b"), 2);
});
