/**
 * `deno task mutation`: mutation testing of the reference, the measure of the
 * suite's strength. StrykerJS (from npm, at a pinned version, run by npx on
 * Node.js) writes every mutant into a sandbox copy of the reference; the
 * conformance suite judges each one (`stryker_plugin.mjs`, `worker.ts`).
 *
 * Two suites: `api` mutates the server (`src/`) and judges it with the API
 * cases and an exploration, against the reference as `deno task serve`
 * starts it by default and, for the cases that depend on the visitor token
 * lifetime, as an operator may set it (301 s and 900 s); one test of the
 * reference itself checks that start-up refuses a lifetime the contract does
 * not allow, which only an operator sees. `browser` mutates the widget's
 * logic and judges it with the browser scenarios. Both run incrementally: a rerun retests only
 * the mutants whose code or tests changed (`--force` retests everything).
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { buildAll } from "../tools/build.ts";
import { formatSummary, type Mutant, mutantsOf, parseEquivalents, summarise } from "./score.ts";

/** The StrykerJS release this harness is written for. */
export const STRYKER_VERSION = "8.7.1";

/** What each suite mutates by default. */
export const DEFAULT_MUTATE: Record<Suite, string[]> = {
  api: [
    "src/domain/**/*.ts",
    "src/identity/**/*.ts",
    "src/http/**/*.ts",
    "src/store/kv_store.ts",
    "src/store/kv_keys.ts",
    "src/store/lru.ts",
    "!**/*_test.ts",
  ],
  browser: ["widget/session.ts", "widget/storage.ts", "widget/widget.ts"],
};

/** A suite of the harness. */
export type Suite = "api" | "browser";

const SUITES: Suite[] = ["api", "browser"];

const HELP = `Usage: deno task mutation [options]

Mutation testing of the reference with StrykerJS ${STRYKER_VERSION}: each mutant is
judged by the conformance suite. Reports go to <out>/<suite>/ (index.html,
mutation.json); a rerun retests only what changed.

  --suite api|browser|all   which to run (default api): api mutates src/ and runs the
                            API cases and an exploration; browser mutates the widget's
                            logic and runs the browser scenarios
  --mutate GLOB             what to mutate instead of the suite's default (repeatable),
                            e.g. --mutate src/http/body.ts
  --concurrency N           Stryker's test runners (default 2)
  --sample N                judge one function in N (a fixed sample, chosen by a hash of
                            the file and the function's name; the others are reported as
                            ignored); default 1, every mutant
  --force                   retest every mutant, not only what changed
  --out DIR                 where the reports go (default reports/mutation)
  --report-only             print the scores of the last reports, run nothing
  --survivors N             how many unexplained survivors to print (default 30)
  --help`;

/** Options of {@linkcode strykerConfig}. */
export interface ConfigOptions {
  suite: Suite;
  mutate: string[];
  concurrency: number;
  force: boolean;
  out: string;
  deno: string;
  /** One function in this many is judged; 1: all. */
  sample: number;
}

/** The Stryker configuration of one suite's run. */
export function strykerConfig(o: ConfigOptions): Record<string, unknown> {
  const dir = join(o.out, o.suite);
  return {
    $schema:
      `https://raw.githubusercontent.com/stryker-mutator/stryker-js/v${STRYKER_VERSION}/packages/core/schema/stryker-schema.json`,
    plugins: ["@stryker-mutator/*", "./mutation/stryker_plugin.mjs"],
    testRunner: "setchat",
    setchat: { deno: o.deno, suite: o.suite, sample: o.sample },
    ...(o.sample > 1 ? { ignorers: ["setchat-sample"] } : {}),
    mutate: o.mutate,
    coverageAnalysis: "perTest",
    concurrency: o.concurrency,
    incremental: true,
    incrementalFile: join(dir, "incremental.json"),
    force: o.force,
    reporters: ["html", "json", "progress-append-only"],
    htmlReporter: { fileName: join(dir, "index.html") },
    jsonReporter: { fileName: join(dir, "mutation.json") },
    tempDirName: ".stryker-tmp",
    cleanTempDir: "always",
    ignorePatterns: [".setchat", "docs/images", "*.kv", "*.kv-*"],
    // The widget is bundled from the instrumented source before the dry run.
    ...(o.suite === "browser" ? { buildCommand: `${o.deno} run --allow-all tools/build.ts` } : {}),
    disableTypeChecks: true,
    // A loaded machine makes runs slow, not wrong: generous timeouts, and one dry run to size them. A browser scenario
    // ends by itself when what it waits for never comes (each wait is bounded), so Stryker's timeout only guards a page
    // that hangs: more generous still, so that a survivor run on a machine busier than at the dry run is no kill.
    timeoutMS: o.suite === "browser" ? 90_000 : 20_000,
    timeoutFactor: o.suite === "browser" ? 3 : 2,
    dryRunTimeoutMinutes: 30,
    thresholds: { high: 90, low: 80, break: null },
    allowConsoleColors: !Deno.noColor,
  };
}

/** The embedded store's own checks and the operator's view of the HTTP layer, which the API suite runs beside the fixtures' cases. */
const STORE_CHECK_FILES = ["src/store/store_contract.ts", "src/store/kv_store_checks.ts", "src/operator_checks.ts"];

/**
 * A fingerprint of the judge's own code: the runner, its checks, the browser
 * scenarios, this harness, the store's own checks and the operator's. Stryker's incremental
 * mode sees changes to the reference and to the fixtures, not to the code that
 * judges them: when this changes, every mutant is retested.
 */
export async function judgeFingerprint(root = new URL("..", import.meta.url)): Promise<string> {
  const files: string[] = [];
  for (const dir of ["conformance", "mutation"]) {
    const walk = async (rel: string) => {
      for await (const e of Deno.readDir(new URL(rel, root))) {
        const path = `${rel}/${e.name}`;
        if (e.isDirectory) await walk(path);
        else if (/\.(ts|mjs)$/.test(e.name) && !e.name.endsWith("_test.ts")) files.push(path);
      }
    };
    await walk(dir);
  }
  files.push(...STORE_CHECK_FILES);
  files.sort();
  const hash = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(
      (await Promise.all(files.map(async (f) => `${f}\n${await Deno.readTextFile(new URL(f, root))}`))).join("\n"),
    ),
  );
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function runStryker(configPath: string): Promise<number> {
  const child = new Deno.Command("npx", {
    args: ["-y", `--package=@stryker-mutator/core@${STRYKER_VERSION}`, "stryker", "run", configPath],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

/** The mutants of a suite's last report, or `undefined` when it has none. */
export async function readMutants(out: string, suite: Suite): Promise<Mutant[] | undefined> {
  try {
    return mutantsOf(JSON.parse(await Deno.readTextFile(join(out, suite, "mutation.json"))));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The reviewed equivalent mutants. */
export async function readEquivalents(): Promise<ReturnType<typeof parseEquivalents>> {
  return parseEquivalents(await Deno.readTextFile(new URL("equivalent_mutants.md", import.meta.url)));
}

/** Runs the command line; answers the exit code. */
export async function main(args: string[], print: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      suite: { type: "string", default: "api" },
      mutate: { type: "string", multiple: true },
      concurrency: { type: "string", default: "2" },
      sample: { type: "string", default: "1" },
      force: { type: "boolean", default: false },
      out: { type: "string", default: join("reports", "mutation") },
      "report-only": { type: "boolean", default: false },
      survivors: { type: "string", default: "30" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    print(HELP);
    return 0;
  }
  const suites = values.suite === "all" ? SUITES : [values.suite as Suite];
  if (!suites.every((s) => SUITES.includes(s))) {
    print(`Cannot run the suite "${values.suite}": choose api, browser or all`);
    return 2;
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    print(`Cannot use --concurrency ${values.concurrency}: give a whole number of test runners, 1 or more`);
    return 2;
  }
  const sample = Number(values.sample);
  if (!Number.isInteger(sample) || sample < 1) {
    print(`Cannot use --sample ${values.sample}: give a whole number N to judge one function in N (1: all)`);
    return 2;
  }
  if (values.mutate && suites.length > 1) {
    print("Cannot use --mutate with --suite all: name the suite the files belong to");
    return 2;
  }
  let failed = false;
  if (!values["report-only"]) {
    // The API suite's sandbox copies dist/: the reference in process serves the widget from it.
    await buildAll();
    for (const suite of suites) {
      const dir = join(values.out, suite);
      await Deno.mkdir(dir, { recursive: true });
      const configPath = join(dir, "stryker.config.json");
      const fingerprintPath = join(dir, "judge.sha256");
      const fingerprint = await judgeFingerprint();
      const before = await readOptional(fingerprintPath);
      const judgeChanged = before !== undefined && before.trim() !== fingerprint;
      if (judgeChanged && !values.force) {
        print("The suite's own code changed since the last run (conformance/, mutation/): every mutant is retested");
      }
      const config = strykerConfig({
        suite,
        mutate: values.mutate ?? DEFAULT_MUTATE[suite],
        concurrency,
        force: values.force || judgeChanged,
        out: values.out,
        deno: Deno.execPath(),
        sample,
      });
      await Deno.writeTextFile(configPath, JSON.stringify(config, null, 2) + "\n");
      const sampled = sample > 1 ? `, one function in ${sample}` : "";
      print(`Mutation testing (${suite}): StrykerJS ${STRYKER_VERSION}, ${concurrency} test runner(s)${sampled}`);
      const code = await runStryker(configPath);
      if (code !== 0) {
        print(`Stryker stopped with exit code ${code} (suite ${suite})`);
        failed = true;
      } else {
        await Deno.writeTextFile(fingerprintPath, fingerprint + "\n");
      }
    }
  }
  const equivalents = await readEquivalents();
  for (const suite of suites) {
    const mutants = await readMutants(values.out, suite);
    if (!mutants) {
      print(`No report for the ${suite} suite in ${join(values.out, suite)}: run it first`);
      failed = true;
      continue;
    }
    print("");
    print(`Mutation score, ${suite} suite (${join(values.out, suite, "index.html")}):`);
    const summary = summarise(mutants, equivalents.filter((e) => mutants.some((m) => m.file === e.file)));
    for (const line of formatSummary(summary, { survivors: Number(values.survivors) })) print(line);
  }
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
