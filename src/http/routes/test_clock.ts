import { TestClockChange, TestClockState } from "../../contract/meta.ts";
import { AppError } from "../../domain/app_error.ts";
import type { ClockState, TestClock } from "../../domain/test_clock.ts";
import { idHoldsTime, LAST_ID_MS } from "../../identity/encoding.ts";
import type { AppRoute, Principals } from "../context.ts";
import { json } from "../problem.ts";
import { defineRoute } from "../router.ts";
import { BODY_ERRORS, CREDENTIAL_ERRORS } from "./_errors.ts";

function stateView(s: ClockState): TestClockState {
  return { now: new Date(s.nowMs).toISOString(), nowMs: s.nowMs, offsetSeconds: s.offsetMs / 1000, frozen: s.frozen };
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
        // Every record made at the clock's time carries it in its id, which holds no time before the epoch or past
        // its last digit: a move there is refused, not a 500 at the next record.
        const at = clock.nowAfter(body);
        if (!idHoldsTime(at)) {
          const range = `from ${new Date(0).toISOString()} to ${new Date(LAST_ID_MS).toISOString()}`;
          const message = `would move the clock to ${new Date(at).toISOString()}, where the server's ids hold no ` +
            `time (they hold ${range}): move it less far, or reset it`;
          throw new AppError("invalid_request", `Cannot move the test clock: "advanceSeconds" ${message}`, {
            errors: [{ path: "advanceSeconds", code: at < 0 ? "too_small" : "too_big", message }],
          });
        }
        return json(200, stateView(clock.apply(body)));
      },
    }),
  ];
}
