import { TestClockChange, TestClockState } from "../../contract/meta.ts";
import { AppError } from "../../domain/app_error.ts";
import { type ClockState, TEST_CLOCK_TIMES, type TestClock } from "../../domain/test_clock.ts";
import type { AppRoute, Principals } from "../context.ts";
import { json } from "../problem.ts";
import { defineRoute } from "../router.ts";
import { BODY_ERRORS, CREDENTIAL_ERRORS } from "./_errors.ts";

const iso = (ms: number) => new Date(ms).toISOString();

function stateView(s: ClockState): TestClockState {
  return { now: iso(s.nowMs), nowMs: s.nowMs, offsetSeconds: s.offsetMs / 1000, frozen: s.frozen };
}

/**
 * The test clock, on a reference started with `--test-clock` only: a tenant's
 * admin token reads and moves the server's time, for every tenant at once.
 */
export function testClockRoutes(clock: TestClock): AppRoute[] {
  const tag = "Testing";
  return [
    defineRoute<Principals, "admin">({
      method: "GET",
      path: "/api/test/clock",
      operationId: "getTestClock",
      summary: "What the test clock shows (a server started with --test-clock only)",
      tag,
      security: "admin",
      responses: { 200: { description: "The server's time", schema: TestClockState } },
      errors: CREDENTIAL_ERRORS,
      handle: () => json(200, stateView(clock.state())),
    }),
    defineRoute<Principals, "admin", TestClockChange>({
      method: "POST",
      path: "/api/test/clock",
      operationId: "setTestClock",
      summary: "Move, freeze or reset the test clock (a server started with --test-clock only)",
      description: "Applies `reset`, then `freeze`, then `advanceSeconds`. The clock is the whole server's: " +
        "sessions, tokens and listings of every tenant follow it.",
      tag,
      security: "admin",
      body: TestClockChange,
      responses: { 200: { description: "The server's time after the change", schema: TestClockState } },
      errors: [...CREDENTIAL_ERRORS, ...BODY_ERRORS],
      handle: ({ body }) => {
        // The clock stays within the times it holds, which every record's id can date for as long as it runs: a move
        // outside is refused, not a 500 at some later record.
        const at = clock.nowAfter(body);
        const { firstMs, lastMs } = TEST_CLOCK_TIMES;
        if (at < firstMs || at > lastMs) {
          const range = `from ${iso(firstMs)} to ${iso(lastMs)}`;
          const message = `would move the clock to ${iso(at)}, outside the times it holds (${range}): move it less ` +
            `far, or reset it`;
          throw new AppError("invalid_request", `Cannot move the test clock: "advanceSeconds" ${message}`, {
            errors: [{ path: "advanceSeconds", code: at < firstMs ? "too_small" : "too_big", message }],
          });
        }
        return json(200, stateView(clock.apply(body)));
      },
    }),
  ];
}
