/**
 * Judges the server mutants of the sample, in a copy of the repository where
 * `sample_test.ts` switched them in: first none of them (every case must
 * pass), then each in turn against the cases that caught it. Prints one JSON
 * line per run: the mutant's name (`null` for none) and the cases that failed.
 */
import { loadFixtures } from "../conformance/fixtures.ts";
import { runSuite } from "../conformance/runner.ts";
import { startInProcessTarget } from "../conformance/target.ts";
import { explore } from "../conformance/explore/explore.ts";
import { EXPLORE } from "./protocol.ts";
import { SAMPLE, SWITCH } from "./sample.ts";

const cases = new Map((await loadFixtures("fixtures")).map((c) => [c.id, c]));
const server = SAMPLE.filter((m) => !m.file.startsWith("widget/"));
const global = globalThis as Record<string, unknown>;

/** The cases of `ids` that fail, each on a fresh reference, with `name` switched on. */
async function failing(name: string | null, ids: string[]): Promise<string[]> {
  global[SWITCH] = name;
  const failed: string[] = [];
  for (const id of ids) {
    const target = await startInProcessTarget();
    try {
      if (id === EXPLORE.id) {
        const result = await explore({ target, seed: EXPLORE.seed, runs: EXPLORE.runs, maxShrinkTries: 0 });
        if (result.failure) failed.push(id);
        continue;
      }
      const c = cases.get(id);
      if (!c) throw new Error(`Cannot judge the sample: no case is named ${id}`);
      const run = await runSuite({ target, cases: [c], concurrency: 1 });
      if (run.results[0]!.status !== "passed") failed.push(id);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("Cannot judge the sample")) throw error;
      failed.push(id);
    } finally {
      await target.close();
    }
  }
  global[SWITCH] = undefined;
  return failed;
}

const all = [...new Set(server.flatMap((m) => m.caughtBy))];
console.log(JSON.stringify({ name: null, failed: await failing(null, all) }));
for (const m of server) console.log(JSON.stringify({ name: m.name, failed: await failing(m.name, m.caughtBy) }));
