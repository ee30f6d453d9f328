/** How long the whole API suite takes against the reference, in process (median of a few runs). */
import { loadFixtures } from "../conformance/fixtures.ts";
import { runSuite } from "../conformance/runner.ts";
import { startInProcessTarget } from "../conformance/target.ts";

/** The suite's size and its median duration. */
export interface ConformanceBenchResult {
  cases: number;
  medianMs: number;
  runs: number[];
}

/** Runs the suite `rounds` times against fresh references. */
export async function benchConformance(rounds = 5): Promise<ConformanceBenchResult> {
  const cases = await loadFixtures("fixtures");
  const runs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const target = await startInProcessTarget();
    try {
      const start = performance.now();
      const run = await runSuite({ target, cases });
      runs.push(performance.now() - start);
      if (run.counts.failed) throw new Error(`Cannot benchmark the suite: ${run.counts.failed} cases failed`);
    } finally {
      await target.close();
    }
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { cases: cases.length, medianMs: sorted[Math.floor(sorted.length / 2)]!, runs };
}

/** The result as `deno task bench` prints it. */
export function formatConformanceBench(r: ConformanceBenchResult): string[] {
  return [
    `Conformance suite against the reference, in process (${r.cases} cases, ${r.runs.length} runs)`,
    `  median ${(r.medianMs / 1000).toFixed(2)} s  (runs: ${r.runs.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s)`,
  ];
}

if (import.meta.main) {
  for (const line of formatConformanceBench(await benchConformance())) console.log(line);
}
