/** The suite's version and the contract's it checks: every report carries both. */
import { CONTRACT_VERSION } from "../src/contract/meta.ts";

/** The suite's version: raised with every change to its fixtures, checks or reports. */
export const SUITE_VERSION = "1.2.0";

/** What a run's reports name: the suite that made them, and the contract it held the target to. */
export const VERSIONS = { suite: SUITE_VERSION, contract: CONTRACT_VERSION } as const;
