/**
 * How long the API suite takes against the reference, in two settings:
 *
 * - in process, on loopback: what the suite itself costs (median of a few runs);
 * - far away: through a proxy that adds a fixed round trip to every exchange
 *   (`_delay_proxy.ts`), at several concurrencies, beside the bound no runner
 *   can beat: the longest case's requests in a row, or all the requests shared
 *   among the cases at once, whichever is more, times the round trip. The
 *   cases that move the target's clock or change credentials run one at a
 *   time after the others, since they change the time or the token the others
 *   use (`runsAlone()`): their requests in a row are shown apart, as the bound
 *   of this order.
 *
 * The suite's shape (requests per case, and how many in a row) is measured by
 * a run of one case at a time that counts the requests the reference
 * receives: requests that overlap belong to one parallel step.
 */
import { loadFixtures } from "../conformance/fixtures.ts";
import { DEFAULT_CONCURRENCY, type RunResult, runsAlone, runSuite } from "../conformance/runner.ts";
import { startInProcessTarget } from "../conformance/target.ts";
import { startDelayProxy } from "./_delay_proxy.ts";

/** Options of {@linkcode benchConformance}. */
export interface ConformanceBenchOptions {
  /** Runs in process. */
  rounds: number;
  /** Round trip the proxy adds, in milliseconds. */
  roundTripMs: number;
  /** Concurrencies tried through the proxy. */
  concurrencies: number[];
}

/** Requests of the suite, in all and in a row. */
export interface SuiteShape {
  requests: number;
  /** The case with the most requests in a row, and how many. */
  longest: { id: string; inARow: number };
  /** Cases that run one at a time after the others (they move the clock or change credentials), and their requests in a row. */
  alone: { cases: number; requests: number; inARow: number };
}

/** One run through the proxy. */
export interface FarRun {
  concurrency: number;
  wallMs: number;
  /** max(longest in a row, requests / concurrency) × round trip. */
  boundMs: number;
  /** The same with the cases that run alone added one after the other. */
  orderBoundMs: number;
}

/** What the benchmark measured. */
export interface ConformanceBenchResult {
  cases: number;
  medianMs: number;
  runs: number[];
  shape: SuiteShape;
  roundTripMs: number;
  far: FarRun[];
  defaultConcurrency: number;
}

function failOnFailures(run: RunResult): void {
  if (run.counts.failed) throw new Error(`Cannot benchmark the suite: ${run.counts.failed} cases failed`);
}

/** Runs the suite one case at a time against a reference that counts what it receives. */
export async function suiteShape(cases: Awaited<ReturnType<typeof loadFixtures>>): Promise<SuiteShape> {
  let inFlight = 0;
  let requests = 0;
  let rounds = 0;
  const target = await startInProcessTarget({
    wrap: (next) => async (request, info) => {
      requests++;
      if (inFlight++ === 0) rounds++;
      try {
        return await next(request, info);
      } finally {
        inFlight--;
      }
    },
  });
  const perCase = new Map<string, { requests: number; inARow: number }>();
  try {
    const run = await runSuite({
      target,
      cases,
      concurrency: 1,
      onResult: (r) => {
        perCase.set(r.id, { requests, inARow: rounds });
        requests = 0;
        rounds = 0;
      },
    });
    failOnFailures(run);
  } finally {
    await target.close();
  }
  let longest = { id: "", inARow: 0 };
  const alone = { cases: 0, requests: 0, inARow: 0 };
  let all = 0;
  for (const c of cases) {
    const s = perCase.get(c.id) ?? { requests: 0, inARow: 0 };
    all += s.requests;
    if (s.inARow > longest.inARow) longest = { id: c.id, inARow: s.inARow };
    // The in-process reference has a test clock: a stalled body moves it, alone.
    if (runsAlone(c, true)) {
      alone.cases++;
      alone.requests += s.requests;
      alone.inARow += s.inARow;
    }
  }
  return { requests: all, longest, alone };
}

/** Runs the suite through a proxy `roundTripMs` away, against a fresh reference. */
async function farRun(
  cases: Awaited<ReturnType<typeof loadFixtures>>,
  shape: SuiteShape,
  options: { roundTripMs: number; concurrency: number },
): Promise<FarRun> {
  const target = await startInProcessTarget();
  await using proxy = startDelayProxy(target.apiUrl, options.roundTripMs);
  try {
    const far = { ...target, apiUrl: proxy.url, nodes: [proxy.url], widgetUrl: `${proxy.url}/widget.js` };
    const start = performance.now();
    failOnFailures(await runSuite({ target: far, cases, concurrency: options.concurrency }));
    const wallMs = performance.now() - start;
    const shared = Math.max(shape.longest.inARow, shape.requests / options.concurrency);
    const ordinary = Math.max(shape.longest.inARow, (shape.requests - shape.alone.requests) / options.concurrency);
    return {
      concurrency: options.concurrency,
      wallMs,
      boundMs: shared * options.roundTripMs,
      orderBoundMs: (ordinary + shape.alone.inARow) * options.roundTripMs,
    };
  } finally {
    await target.close();
  }
}

/** Runs the suite in process `rounds` times, then through the proxy at each concurrency. */
export async function benchConformance(options: ConformanceBenchOptions): Promise<ConformanceBenchResult> {
  const cases = await loadFixtures("fixtures");
  const runs: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    const target = await startInProcessTarget();
    try {
      const start = performance.now();
      const run = await runSuite({ target, cases });
      runs.push(performance.now() - start);
      failOnFailures(run);
    } finally {
      await target.close();
    }
  }
  const sorted = [...runs].sort((a, b) => a - b);
  const shape = await suiteShape(cases);
  const far: FarRun[] = [];
  for (const concurrency of options.concurrencies) {
    far.push(await farRun(cases, shape, { roundTripMs: options.roundTripMs, concurrency }));
  }
  return {
    cases: cases.length,
    medianMs: sorted[Math.floor(sorted.length / 2)]!,
    runs,
    shape,
    roundTripMs: options.roundTripMs,
    far,
    defaultConcurrency: DEFAULT_CONCURRENCY,
  };
}

/** The result as `deno task bench` prints it. */
export function formatConformanceBench(r: ConformanceBenchResult): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const { shape } = r;
  return [
    `Conformance suite against the reference, in process (${r.cases} cases, ${r.runs.length} runs)`,
    `  median ${s(r.medianMs)}  (runs: ${r.runs.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s)`,
    `Conformance suite through a proxy adding ${r.roundTripMs} ms per round trip (${shape.requests} requests; ` +
    `the longest case, ${shape.longest.id}, ${shape.longest.inARow} in a row; ${shape.alone.cases} cases that ` +
    `move the clock or change credentials run alone after the others, ${shape.alone.inARow} requests in a row)`,
    ...r.far.map((f) =>
      `  ${String(f.concurrency).padStart(3)} cases at once${
        f.concurrency === r.defaultConcurrency ? " (default)" : "          "
      }` +
      `  ${s(f.wallMs)}  bound ${s(f.boundMs)} (${(f.wallMs / f.boundMs).toFixed(2)}×)` +
      `, with the cases that run alone ${s(f.orderBoundMs)} (${(f.wallMs / f.orderBoundMs).toFixed(2)}×)`
    ),
  ];
}

if (import.meta.main) {
  const r = await benchConformance({
    rounds: 5,
    roundTripMs: 50,
    concurrencies: [4, 8, 16, 32],
  });
  for (const line of formatConformanceBench(r)) console.log(line);
}
