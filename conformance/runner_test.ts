import assert from "node:assert/strict";
import { loadFixtures } from "./fixtures.ts";
import { movesClock, runSuite, walksPages } from "./runner.ts";
import { startInProcessTarget } from "./target.ts";

Deno.test("runSuite() starts the cases that walk a listing before the others, whatever their order in the fixtures", async () => {
  const all = await loadFixtures(new URL("../fixtures", import.meta.url).pathname);
  const ordinary = all.filter((c) => !c.destructive && !movesClock(c));
  const walks = ordinary.filter(walksPages);
  const others = ordinary.filter((c) => !walksPages(c)).slice(0, 2);
  assert.ok(walks.length >= 2, "the fixtures walk listings");
  const cases = [...others, ...walks.slice(0, 2)];
  const target = await startInProcessTarget();
  try {
    const order: string[] = [];
    const run = await runSuite({ target, cases, concurrency: 1, onResult: (r) => order.push(r.id) });
    assert.deepEqual(run.results.map((r) => r.status), cases.map(() => "passed"));
    assert.deepEqual(order, [...walks.slice(0, 2), ...others].map((c) => c.id));
    assert.deepEqual(run.results.map((r) => r.id), cases.map((c) => c.id), "reports keep the fixtures' order");
  } finally {
    await target.close();
  }
});
