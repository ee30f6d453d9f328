/**
 * A clock a test can move: the server's time is the real time plus an
 * offset, or a frozen instant. With it a conformance run checks what depends
 * on time (a session past its end, `expiresIn` counting down, a token one
 * second past its lifetime or its skew) without waiting minutes. The
 * reference has one only when started with `--test-clock`, which it refuses
 * where anyone but its operator could reach it; otherwise its clock is the
 * real one.
 */

/**
 * The times the test clock holds, both ends included: from the start of the
 * year 2000 to the start of the year 8000. A move outside them is refused.
 * A running clock follows the host's, which would have to step back 30 years
 * to take it before the epoch, the first time an id holds. Every record the
 * server makes carries its time in its id, whose digits hold times up to
 * 8888-12-02 (`LAST_ID_MS`): a clock left running at the last time it holds
 * would take 888 years to get there, so no run makes a record its id cannot
 * date, and every time the server writes (an end a week ahead included) keeps
 * the four-digit year of RFC 3339.
 */
export const TEST_CLOCK_TIMES: { readonly firstMs: number; readonly lastMs: number } = Object.freeze({
  firstMs: Date.UTC(2000, 0, 1),
  lastMs: Date.UTC(8000, 0, 1),
});

/** A change to the test clock; applied in this order: reset, freeze, advance. */
export interface ClockChange {
  /** Back to the real time, running. */
  reset?: boolean | undefined;
  /** Stop the clock at the start of the second it shows (`true`), or let it run from there (`false`). */
  freeze?: boolean | undefined;
  /** Move the clock by this many seconds (negative: back). */
  advanceSeconds?: number | undefined;
}

/** What the test clock shows. */
export interface ClockState {
  nowMs: number;
  /** How far the clock is from the real time, in ms. */
  offsetMs: number;
  frozen: boolean;
}

/** The test clock over a real one. */
export class TestClock {
  #offsetMs = 0;
  #frozenAt: number | undefined;
  readonly #real: () => number;
  readonly #listeners = new Set<() => void>();

  constructor(real: () => number = Date.now) {
    this.#real = real;
  }

  /** The time the server uses, in ms since the epoch. */
  now(): number {
    return this.#frozenAt ?? this.#real() + this.#offsetMs;
  }

  /** Applies `change` and answers what the clock shows then. */
  apply(change: ClockChange): ClockState {
    [this.#offsetMs, this.#frozenAt] = this.#changed(change);
    for (const listener of [...this.#listeners]) listener();
    return this.state();
  }

  /** The time the clock would show after `change`, which is left unapplied (to refuse a move before it is made). */
  nowAfter(change: ClockChange): number {
    const [offsetMs, frozenAt] = this.#changed(change);
    return frozenAt ?? this.#real() + offsetMs;
  }

  /** The offset and the frozen instant `change` gives. */
  #changed(change: ClockChange): [offsetMs: number, frozenAt: number | undefined] {
    let offsetMs = this.#offsetMs;
    let frozenAt = this.#frozenAt;
    if (change.reset) {
      offsetMs = 0;
      frozenAt = undefined;
    }
    // A whole second: a token's times are whole seconds, so what a test counts comes out exact.
    if (change.freeze === true && frozenAt === undefined) {
      frozenAt = Math.floor((frozenAt ?? this.#real() + offsetMs) / 1000) * 1000;
    }
    if (change.freeze === false && frozenAt !== undefined) {
      offsetMs = frozenAt - this.#real();
      frozenAt = undefined;
    }
    const by = (change.advanceSeconds ?? 0) * 1000;
    if (frozenAt !== undefined) frozenAt += by;
    else offsetMs += by;
    return [offsetMs, frozenAt];
  }

  /** Calls `listener` after every change, until the returned function is called. */
  onMove(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** What the clock shows. */
  state(): ClockState {
    const nowMs = this.now();
    return { nowMs, offsetMs: nowMs - this.#real(), frozen: this.#frozenAt !== undefined };
  }
}
