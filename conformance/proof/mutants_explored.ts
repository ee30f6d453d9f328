/**
 * Explore mode against the broken builds, with no fixture: which ones it
 * catches on its own, in how many runs, and how short the shrunk sequence
 * is. `deno run --allow-all conformance/proof/mutants_explored.ts` prints
 * the table; the tests hold the same numbers.
 */
import { kindOf, type Mutant, type MutantKind, MUTANTS } from "./mutants.ts";
import { startInProcessTarget, type Target } from "../target.ts";
import { explore, fixturePasses } from "../explore/explore.ts";

/** The kinds explore mode must catch on its own. */
export const EXPLORED_KINDS: readonly MutantKind[] = ["visibility", "isolation", "logout"];

/** The broken builds explore mode must catch on its own. */
export function exploredMutants(): Mutant[] {
  return MUTANTS.filter((m) => EXPLORED_KINDS.includes(kindOf(m)));
}

/** What explore mode made of one broken build. */
export interface MutantExploration {
  name: string;
  kind: MutantKind;
  caught: boolean;
  /** Runs until the first disagreement (or all of them). */
  runs: number;
  /** Actions in the shrunk sequence. */
  shrunk?: number | undefined;
  clause?: string | undefined;
  /** The shrunk fixture, in a normal run: fails the broken build, passes on the reference. */
  fixtureFailsMutant?: boolean | undefined;
  fixturePassesReference?: boolean | undefined;
}

/** Explores each broken build in this process, one at a time. */
export async function exploreMutants(
  mutants: readonly Mutant[],
  options: { seed: number; runs: number; steps: number; reference?: Target },
): Promise<MutantExploration[]> {
  const out: MutantExploration[] = [];
  for (const mutant of mutants) {
    const target = await startInProcessTarget(mutant.options());
    try {
      const result = await explore({ target, seed: options.seed, runs: options.runs, steps: options.steps });
      const f = result.failure;
      out.push({
        name: mutant.name,
        kind: kindOf(mutant),
        caught: f !== undefined,
        runs: result.runs,
        shrunk: f?.shrunk.length,
        clause: f?.disagreement.clause,
        fixtureFailsMutant: f ? !(await fixturePasses(f.fixture, target)) : undefined,
        fixturePassesReference: f && options.reference ? await fixturePasses(f.fixture, options.reference) : undefined,
      });
    } finally {
      await target.close();
    }
  }
  return out;
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

if (import.meta.main) {
  const seed = Number(Deno.args[0] ?? 1);
  const reference = await startInProcessTarget();
  try {
    const rows = await exploreMutants(exploredMutants(), { seed, runs: 30, steps: 30, reference });
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(32)} ${r.kind.padEnd(11)} ${r.caught ? "caught" : "MISSED"} in run ${r.runs}` +
          (r.caught
            ? `, shrunk to ${r.shrunk} actions (${r.clause}); fixture fails it: ${r.fixtureFailsMutant}, ` +
              `passes on the reference: ${r.fixturePassesReference}`
            : ""),
      );
    }
    const caught = rows.filter((r) => r.caught);
    console.log(
      `Caught by explore alone: ${caught.length} of ${rows.length}; median shrunk length ${
        median(caught.map((r) => r.shrunk!))
      } actions (seed ${seed}, at most 30 runs of 30 actions each).`,
    );
  } finally {
    await reference.close();
  }
}
