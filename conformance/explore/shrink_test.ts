import assert from "node:assert/strict";
import { shrink } from "./shrink.ts";

Deno.test("shrink() keeps only the items a synthetic failure needs", async () => {
  const items = Array.from({ length: 30 }, (_, i) => i);
  const fails = (xs: number[]) => Promise.resolve(xs.includes(3) && xs.includes(17));
  const { items: shrunk, tries } = await shrink(items, { fails });
  assert.deepEqual(shrunk, [3, 17]);
  assert.ok(tries < 100, `${tries} tries`);
});

Deno.test("shrink() keeps the order of the items it keeps", async () => {
  const fails = (xs: string[]) => Promise.resolve(xs.indexOf("login") >= 0 && xs.indexOf("login") < xs.indexOf("read"));
  const { items } = await shrink(["a", "login", "b", "c", "read", "d"], { fails });
  assert.deepEqual(items, ["login", "read"]);
});

Deno.test("shrink() simplifies each item, then the whole sequence, while the failure stays", async () => {
  type Item = { device: number; size: number };
  // Fails when two items share a device and one of them is at least 5.
  const fails = (xs: Item[]) =>
    Promise.resolve(xs.some((a, i) => xs.some((b, j) => i !== j && a.device === b.device && a.size >= 5)));
  const { items } = await shrink(
    [{ device: 2, size: 9 }, { device: 1, size: 7 }, { device: 2, size: 8 }, { device: 3, size: 1 }],
    {
      fails,
      simplify: (x) => (x.size > 0 ? [{ ...x, size: 0 }, { ...x, size: x.size - 1 }] : []),
      simplifyAll: (xs) => [xs.map((x) => ({ ...x, device: 0 }))],
    },
  );
  assert.deepEqual(items.map((x) => x.device), [0, 0]);
  assert.deepEqual(items.map((x) => x.size).sort(), [0, 5]);
});

Deno.test("shrink() stops at its bound of tries and still answers a failing sequence", async () => {
  let calls = 0;
  const fails = (xs: number[]) => {
    calls++;
    return Promise.resolve(xs.includes(0));
  };
  const { items, tries } = await shrink(Array.from({ length: 64 }, (_, i) => i), { fails, maxTries: 3 });
  assert.equal(tries, 3);
  assert.equal(calls, 3);
  assert.ok(items.includes(0));
});
