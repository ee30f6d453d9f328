import assert from "node:assert/strict";
import { TestClock } from "./test_clock.ts";

Deno.test("TestClock follows the real clock until moved, then keeps its offset", () => {
  let real = 1_000_500;
  const clock = new TestClock(() => real);
  assert.equal(clock.now(), 1_000_500);
  assert.deepEqual(clock.apply({ advanceSeconds: 60 }), { nowMs: 1_060_500, offsetMs: 60_000, frozen: false });
  real += 1000;
  assert.equal(clock.now(), 1_061_500, "a running clock goes on from where it was moved");
  assert.deepEqual(clock.apply({ advanceSeconds: -90 }).offsetMs, -30_000);
});

Deno.test("TestClock.apply() freezes at the start of the second, moves a frozen clock, and resets to real time", () => {
  let real = 2_000_750;
  const clock = new TestClock(() => real);
  assert.deepEqual(clock.apply({ freeze: true }), { nowMs: 2_000_000, offsetMs: -750, frozen: true });
  real += 5000;
  assert.equal(clock.now(), 2_000_000, "a frozen clock does not move with real time");
  assert.equal(clock.apply({ advanceSeconds: 300 }).nowMs, 2_300_000);
  assert.equal(clock.apply({ freeze: true }).nowMs, 2_300_000, "freezing a frozen clock keeps its time");
  const thawed = clock.apply({ freeze: false });
  assert.deepEqual(thawed, { nowMs: 2_300_000, offsetMs: 294_250, frozen: false });
  real += 1000;
  assert.equal(clock.now(), 2_301_000, "thawed, it runs from the time it showed");
  assert.deepEqual(clock.apply({ reset: true, freeze: true, advanceSeconds: 2 }), {
    nowMs: 2_008_000,
    offsetMs: 1_250,
    frozen: true,
  });
  assert.deepEqual(clock.apply({ reset: true }), { nowMs: real, offsetMs: 0, frozen: false });
});
