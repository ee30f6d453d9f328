/** The suite's version and the contract's it checks: every report carries both. */
import { CONTRACT_VERSION } from "../src/contract/meta.ts";
import suitePackage from "../package.json" with { type: "json" };

/**
 * The suite's version, kept in one place: the npm package's. Semver, as
 * CHANGELOG.md states it: a new `must` check is a new major version.
 */
export const SUITE_VERSION: string = suitePackage.version;

/** What a run's reports name: the suite that made them, and the contract it held the target to. */
export const VERSIONS = { suite: SUITE_VERSION, contract: CONTRACT_VERSION } as const;
