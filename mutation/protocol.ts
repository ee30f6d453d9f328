/**
 * What Stryker's runner plugin (`stryker_plugin.mjs`) and the worker
 * (`worker.ts`) say to each other: one JSON object a line, the worker's
 * answers marked so that anything else it prints is told apart.
 */

/** The prefix of every answer line of the worker. */
export const MUTATION_MARK = "@@setchat-mutation@@ ";

/** The exploration the API suite runs as one of its tests: affordable on every mutant that reaches it. */
export const EXPLORE = {
  id: "explore",
  name: "explore: 20 random histories of 30 actions (seed 1) held against the identity model",
  seed: 1,
  runs: 20,
} as const;

/** Stryker's mutant coverage: how often each mutant's code ran, at load (`static`) and in each test. */
export interface Coverage {
  static: Record<string, number>;
  perTest: Record<string, Record<string, number>>;
}

/** A request to the worker. */
export type WorkerRequest =
  | { type: "dryRun" }
  | {
    type: "mutantRun";
    mutantId: string;
    /** The tests to run; every test when absent. */
    testFilter?: string[];
    hitLimit?: number;
    disableBail: boolean;
  };

/** One test's outcome in the dry run. */
export interface TestResult {
  id: string;
  name: string;
  fileName: string;
  /** The zero-based line the test is written on. */
  line: number;
  timeSpentMs: number;
  /** Why it failed; absent when it passed. */
  failure?: string;
}

/** A mutant run's outcome. */
export type MutantRunAnswer =
  | { status: "killed"; killedBy: string[]; failureMessage: string; nrOfTests: number }
  | { status: "survived"; nrOfTests: number }
  | { status: "timeout"; reason: string };
