import assert from "node:assert/strict";
import { loadFixtures } from "./fixtures.ts";
import { changesCredentials, movesClock, runsAlone, runSuite, stallsBody, walksPages } from "./runner.ts";
import { startInProcessTarget } from "./target.ts";

Deno.test("runSuite() starts the cases that walk a listing before the others, whatever their order in the fixtures", async () => {
  const all = await loadFixtures(new URL("../fixtures", import.meta.url).pathname);
  const ordinary = all.filter((c) => !runsAlone(c, true));
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

Deno.test("runsAlone() keeps apart the cases that change what others see: rotations, revocations, the clock", async () => {
  const all = await loadFixtures(new URL("../fixtures", import.meta.url).pathname);
  const byId = new Map(all.map((c) => [c.id, c]));
  // Rotating or revoking the tenant's tokens changes the token every other case mints with.
  for (const id of ["rot-rotate-revoke", "rot-second-rotation-refused", "rot-concurrent", "rot-two-rotations"]) {
    assert.ok(changesCredentials(byId.get(id)!), id);
  }
  // Every token operation of these is expected to be refused: on a correct target they change nothing.
  for (const id of ["rot-ops-need-credential", "rot-ops-refuse-server-token", "rot-unknown-tenant", "http-405-ops"]) {
    const c = byId.get(id)!;
    assert.ok(c.destructive, `${id} can still change tokens on a broken target, so it needs --allow-destructive`);
    assert.ok(!runsAlone(c, true), id);
  }
  const refused = byId.get("rot-unknown-tenant")!;
  const rotate = refused.steps.find((s) => "request" in s && s.request.path.endsWith("/rotate"))!;
  const accepting = { ...rotate, expect: { status: [200, "4xx"] } } as typeof rotate;
  assert.ok(changesCredentials({ ...refused, steps: [accepting] }), "an operation that may succeed changes tokens");
  assert.ok(changesCredentials({ ...refused, steps: [{ ...rotate, expect: {} } as typeof rotate] }), "no status");
  assert.ok(!changesCredentials({ ...refused, destructive: false, steps: [accepting] }), "only destructive cases");
  const handing = { ...refused, steps: [{ name: "hand over", set: { serverToken: "x" } }] } as typeof refused;
  assert.ok(changesCredentials(handing), "a case that hands the run a new server token");
  // A stalled body moves the clock where there is one, and waits among the others where there is none.
  const stalled = byId.get("input-body-stalled")!;
  assert.ok(stallsBody(stalled) && runsAlone(stalled, true) && !runsAlone(stalled, false));
  assert.ok(runsAlone(all.find(movesClock)!, false));
});

Deno.test("a stalled body moves a clock the run can move past the bound, and waits on a target without one", async () => {
  const all = await loadFixtures(new URL("../fixtures", import.meta.url).pathname);
  const stalled = all.find((c) => c.id === "input-body-stalled")!;
  const moves: unknown[] = [];
  const target = await startInProcessTarget({
    wrap: (next) => async (request, info) => {
      if (new URL(request.url).pathname === "/api/test/clock") moves.push(await request.clone().json());
      return await next(request, info);
    },
  });
  try {
    const moved = await runSuite({ target, cases: [stalled] });
    assert.equal(moved.counts.passed, 1, JSON.stringify(moved.results[0]));
    assert.deepEqual(moves.at(0), { advanceSeconds: 11 }, "moved past the contract's 10 s");
    assert.deepEqual(moves.at(-1), { reset: true }, "and back to real time");
  } finally {
    await target.close();
  }
  // A reference whose clock the run cannot move (no admin token) is waited on, up to its bound (shortened here).
  const clockless = await startInProcessTarget({
    mutate: (deps) => ({ ...deps, config: { ...deps.config, bodyReadTimeoutMs: 500 } }),
  });
  try {
    clockless.vars.adminToken = undefined;
    const waited = await runSuite({ target: clockless, cases: [stalled] });
    assert.equal(waited.counts.passed, 1, JSON.stringify(waited.results[0]));
  } finally {
    await clockless.close();
  }
});
