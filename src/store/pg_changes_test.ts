import assert from "node:assert/strict";
import type postgres from "postgres";
import { Changes, parseSnapshot } from "./pg_changes.ts";

/** A stand-in for the driver: each check waits until the test answers it; pruning is answered at once. */
function fakeDatabase() {
  const statements: {
    text: string;
    values: unknown[];
    answer: (row: Record<string, unknown>) => void;
    fail: (error: Error) => void;
  }[] = [];
  const sql = ((strings: TemplateStringsArray, ...values: unknown[]) =>
    new Promise((resolve, reject) => {
      if (strings.join("?").includes("delete from cache_changes")) return resolve([]);
      statements.push({ text: strings.join("?"), values, answer: (row) => resolve([row]), fail: reject });
    })) as unknown as postgres.Sql;
  return { sql, statements };
}

const settled = () => new Promise((r) => setTimeout(r, 0));

Deno.test("parseSnapshot() reads xmax and the running transactions", () => {
  assert.deepEqual(parseSnapshot("10:20:12,15"), { xmax: "20", running: ["12", "15"] });
  assert.deepEqual(parseSnapshot("20:20:"), { xmax: "20", running: [] });
  assert.throws(() => parseSnapshot("nonsense"), TypeError);
});

Deno.test("Changes.fresh() never serves a lookup with a check that began before it", async () => {
  const { sql, statements } = fakeDatabase();
  const forgotten: (readonly string[] | undefined)[] = [];
  const changes = new Changes(sql, { forget: (keys) => forgotten.push(keys) });
  const first = [changes.fresh(), changes.fresh()];
  await settled();
  assert.equal(statements.length, 1, "lookups made together share a check");
  statements[0]!.answer({ snapshot: "5:9:" });
  await Promise.all(first);
  assert.deepEqual(forgotten, [undefined], "the first check knows nothing before it: it forgets everything");

  // A check is running when the second lookup comes: it waits for the next one, which a third lookup shares.
  const running = changes.fresh();
  await settled();
  let secondDone = false;
  const second = changes.fresh().then(() => (secondDone = true));
  const third = changes.fresh();
  await settled();
  assert.equal(statements.length, 2, "one check at a time");
  statements[1]!.answer({ snapshot: "9:11:", below: "0", keys: [] });
  await running;
  await settled();
  assert.equal(secondDone, false, "the check that began before the second lookup does not serve it");
  assert.equal(statements.length, 3, "the next check starts once the running one ends");
  assert.deepEqual(statements[2]!.values, ["11", []], "it reads what committed since the previous snapshot");
  statements[2]!.answer({ snapshot: "11:14:12", below: "0", keys: ["credential:h1"] });
  await Promise.all([second, third]);
  assert.deepEqual(forgotten.at(-1), ["credential:h1"]);
  assert.equal(changes.checks, 3);

  // A transaction still running at a snapshot is read again by the next check.
  const fourth = changes.fresh();
  await settled();
  assert.deepEqual(statements[3]!.values, ["14", ["12"]]);
  // Rows this instance has not read were pruned: it forgets everything.
  statements[3]!.answer({ snapshot: "14:15:", below: "12", keys: [] });
  await fourth;
  assert.equal(forgotten.at(-1), undefined);
});

Deno.test("Changes.fresh() passes a failed check on to its lookups, and the next lookup checks again", async () => {
  const { sql, statements } = fakeDatabase();
  const changes = new Changes(sql, { forget: () => {} });
  const first = changes.fresh();
  await settled();
  statements[0]!.answer({ snapshot: "5:9:" });
  await first;
  const broken = changes.fresh();
  await settled();
  statements[1]!.fail(new Error("connection lost"));
  await assert.rejects(broken, /connection lost/);
  const again = changes.fresh();
  await settled();
  assert.equal(statements.length, 3);
  statements[2]!.answer({ snapshot: "9:10:", below: "0", keys: [] });
  await again;
});
