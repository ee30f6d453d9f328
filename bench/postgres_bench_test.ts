import assert from "node:assert/strict";
import { benchPostgres, formatPostgresBench, projection } from "./postgres_bench.ts";

Deno.test("benchPostgres() measures KV against PostgreSQL, one instance against two, and history listings", async () => {
  const options = { seconds: 0.5, rounds: 1, concurrency: 4, others: 1000 };
  const r = await benchPostgres(options);
  for (const x of [r.mint.kv, r.mint.pg, r.widget.kv, r.widget.pg, r.twoInstances]) {
    assert.ok(x > 0);
  }
  assert.ok(r.history.small > 0 && r.history.large > 0);
  assert.equal(r.history.others, 1000);
  for (const c of [r.scale!.mint, r.scale!.widget]) assert.ok(c.instance > 0 && c.database > 0);
  const lines = formatPostgresBench(r, options);
  assert.equal(lines.length, 8);
  assert.match(lines[4]!, /site with 10 conversations .* with 1,010 /);
  assert.match(lines[6]!, /visitor-token .* instances per PostgreSQL core/);
});

Deno.test("projection() divides what a request costs an instance by what it costs the database", () => {
  assert.deepEqual(projection({ instance: 150, database: 10 }), { instancesPerCore: 15, perSecondPerCore: 100_000 });
});
