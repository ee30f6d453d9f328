import assert from "node:assert/strict";
import { type ClockAnswer, clockMismatch } from "./clock_check.ts";

const T = 1_800_000_000_000;

function answer(nowMs: number, frozen: boolean, receivedAt: number, offsetMs?: number): ClockAnswer {
  return {
    state: { nowMs, frozen, ...(offsetMs === undefined ? {} : { offsetMs }) },
    sentAt: receivedAt - 5,
    receivedAt,
  };
}

Deno.test("clockMismatch() accepts a clock that moves as asked", () => {
  const frozen = answer(T, true, 1000);
  assert.equal(clockMismatch({ freeze: true }, frozen, undefined), undefined);
  const on = answer(T + 600_000, true, 1100);
  assert.equal(clockMismatch({ advanceSeconds: 600 }, on, frozen), undefined);
  const running = answer(T + 600_040, false, 1140);
  assert.equal(clockMismatch({ freeze: false }, running, on), undefined);
  const later = answer(T + 600_040 + 1000 + 300_000, false, 2140);
  assert.equal(clockMismatch({ advanceSeconds: 300 }, later, running), undefined);
  assert.equal(clockMismatch({ reset: true }, answer(T, false, 2200, 1), later), undefined);
});

Deno.test("clockMismatch() names each way a clock can lie", () => {
  const frozen = answer(T, true, 1000);
  // Asked to stop, it runs; stopped between two seconds.
  assert.match(
    clockMismatch({ freeze: true }, answer(T, false, 1000), undefined)!,
    /running, where it should be frozen/,
  );
  assert.match(
    clockMismatch({ freeze: true }, answer(T + 250, true, 1000), undefined)!,
    /not at the start of a second/,
  );
  // Stopped, it must move by exactly what was asked: not a second less, not the other way.
  assert.match(clockMismatch({ advanceSeconds: 10 }, answer(T + 9000, true, 1010), frozen)!, /-1000 ms off/);
  assert.match(clockMismatch({ advanceSeconds: 10 }, answer(T - 10_000, true, 1010), frozen)!, /-20000 ms off/);
  // Let run, it must run on from where it stood, and advance from there.
  assert.match(clockMismatch({ freeze: false }, answer(T, true, 1010), frozen)!, /frozen, where it should be running/);
  assert.match(clockMismatch({ freeze: false }, answer(2 * T, false, 1010), frozen)!, /ms off/);
  const running = answer(T, false, 1000);
  assert.match(clockMismatch({ advanceSeconds: 600 }, answer(T - 600_000, false, 1100), running)!, /ms off/);
  assert.match(clockMismatch({ advanceSeconds: 600 }, answer(T + 600_000, true, 1100), running)!, /frozen/);
  // A reset runs again on real time.
  assert.match(clockMismatch({ reset: true }, answer(T, true, 1100), frozen)!, /frozen, where it should be running/);
  assert.match(clockMismatch({ reset: true }, answer(T, false, 1100, 600_000), frozen)!, /from its real time/);
});

Deno.test("clockMismatch() holds the offset a clock states to the time it shows", () => {
  // Stopped 400 ms before the real time, then moved an hour on while 100 ms passed: 3599.5 s ahead.
  const frozen = answer(T, true, 1000, -400);
  const on = answer(T + 3_600_000, true, 1100, 3_599_500);
  assert.equal(clockMismatch({ advanceSeconds: 3600 }, on, frozen), undefined);
  // Running, the offset moves by the seconds asked only.
  const running = answer(T + 3_600_050, false, 1150, 3_599_500);
  assert.equal(clockMismatch({ freeze: false }, running, on), undefined);
  assert.equal(
    clockMismatch({ advanceSeconds: 60 }, answer(T + 3_660_100, false, 1200, 3_659_500), running),
    undefined,
  );
  // An offset in the wrong unit, or not moving with the clock.
  assert.match(
    clockMismatch({ advanceSeconds: 3600 }, answer(T + 3_600_000, true, 1100, 3_599_500_000), frozen)!,
    /3599500000 ms from its real time, where 3599500 was expected/,
  );
  assert.match(
    clockMismatch({ advanceSeconds: 60 }, answer(T + 3_660_100, false, 1200, 3_599_500), running)!,
    /from its real time/,
  );
});
