/**
 * A run judges time at the second through the target's test clock: a clock
 * that does not move as its hook says (`freeze` stops it at the start of the
 * second it shows, `advanceSeconds` moves it by exactly that, `reset` brings
 * back the real time, `offsetSeconds` says how far it is from the real
 * time) would make every timed verdict wrong. Each answer of
 * the clock is held against what was asked of it, and the run says so when
 * they differ instead of judging the target on a clock that lies.
 */
import type { ClockState } from "./target.ts";

/** A change asked of a target's test clock. */
export interface ClockChange {
  reset?: boolean;
  freeze?: boolean | undefined;
  advanceSeconds?: number | undefined;
}

/** An answer of the clock, and when the runner sent the change and read the answer (its own ms). */
export interface ClockAnswer {
  state: ClockState;
  sentAt: number;
  receivedAt: number;
}

/** How far a running clock may stray from what the run expects, beyond the request's own time, in ms. */
export const CLOCK_SLACK_MS = 2000;

/**
 * Why the clock's answer is not what `change` asks of it, or `undefined`.
 * `before` is its previous answer in the same case (unknown at the case's
 * first move): from it, a frozen clock must move by exactly the seconds
 * asked, a running one by those and the time that passed.
 */
export function clockMismatch(
  change: ClockChange,
  answer: ClockAnswer,
  before: ClockAnswer | undefined,
): string | undefined {
  const { state } = answer;
  const by = (change.advanceSeconds ?? 0) * 1000;
  const frozen = change.freeze ?? (change.reset ? false : before?.state.frozen);
  if (frozen !== undefined && state.frozen !== frozen) {
    return `it answers that it is ${state.frozen ? "frozen" : "running"}, where it should be ${
      frozen ? "frozen" : "running"
    }`;
  }
  if (state.frozen && state.nowMs % 1000 !== 0) {
    return `it is frozen at ${state.nowMs} ms, not at the start of a second`;
  }
  const slack = CLOCK_SLACK_MS + (answer.receivedAt - answer.sentAt);
  if (change.reset) {
    if (state.offsetMs !== undefined && Math.abs(state.offsetMs - by) > slack) {
      return `after a reset it is ${state.offsetMs} ms from its real time, where it should be ${by} ms`;
    }
    return undefined;
  }
  if (!before) return undefined;
  const was = before.state;
  // Its offset is how far it is from the real time: it moves with the clock, less the real time that passed.
  if (state.offsetMs !== undefined && was.offsetMs !== undefined) {
    const expectedOffset = was.offsetMs + (state.nowMs - was.nowMs) - (answer.receivedAt - before.receivedAt);
    if (Math.abs(state.offsetMs - expectedOffset) > slack + (before.receivedAt - before.sentAt)) {
      return `it says it is ${state.offsetMs} ms from its real time, where ${expectedOffset} was expected from its ` +
        `previous answer (${was.offsetMs} ms at ${was.nowMs}) and the time shown since`;
    }
  }
  // A frozen clock held its instant; a running one went on with the runner's time.
  const expected = (was.frozen ? was.nowMs : was.nowMs + (answer.receivedAt - before.receivedAt)) + by;
  if (was.frozen && state.frozen) {
    if (state.nowMs !== expected) {
      return `frozen at ${was.nowMs} and moved by ${by} ms, it shows ${state.nowMs}: ${state.nowMs - expected} ms off`;
    }
  } else if (Math.abs(state.nowMs - expected) > slack + 1000) {
    // A second more: a clock stopping now stops at the start of the second it shows.
    return `it shows ${state.nowMs}, where ${expected} was expected (±${slack + 1000} ms): ${
      state.nowMs - expected
    } ms off`;
  }
  return undefined;
}
