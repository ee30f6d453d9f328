/** `deno task conformance`: flags, target, fixtures, run, reports, exit code. */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { FixtureError, type LoadedCase, loadFixtures } from "./fixtures.ts";
import { prettyLine, prettySummary, type ReporterName, REPORTERS, toHtml, toJson, toJUnit } from "./reporters.ts";
import { type CaseResult, countStatuses, exitCodeOf, needsOf, type RunResult, runSuite } from "./runner.ts";
import { parseEnvFile, remoteTarget, startInProcessTarget, type Target } from "./target.ts";
import { runBrowserScenarios } from "./browser/run.ts";
import { SCENARIOS } from "./browser/scenarios.ts";

const HELP = `Usage: deno task conformance [options]

Runs the conformance fixtures against a SetChat-compatible API. With no target,
starts the reference in process (on a free port, with a store in memory).

Target (flags win over environment, which wins over the env file):
  --target URL              base URL (SETCHAT_API_URL)
  --env-file FILE           KEY=value file; default .setchat/dev.env when present
                            (the default file gives credentials, not the target)
  --server-token T          SETCHAT_SERVER_TOKEN
  --admin-token T           SETCHAT_ADMIN_TOKEN
  --tenant-id ID            SETCHAT_TENANT_ID
  --site-api-key K          SETCHAT_SITE_API_KEY
  --other-site-api-key K    SETCHAT_OTHER_SITE_API_KEY (a second site of the tenant)
  --foreign-site-api-key K  SETCHAT_FOREIGN_SITE_API_KEY (a site of another tenant)
  --signing-key FILE        the target's private signing key as a JWK (SETCHAT_SIGNING_KEY_FILE):
                            enables the attacks that need a validly signed token
  --widget-url URL          the widget script to test in the browser (SETCHAT_WIDGET_URL;
                            default the target's /widget.js)

Browser:
  --browser                 also run the browser scenarios (headless Chromium; set
                            SETCHAT_CHROMIUM when it is not at /usr/bin/chromium)

Selection:
  --fixtures DIR            default fixtures/
  --filter TEXT             cases whose id or title contains TEXT
  --tag T                   cases with tag T (repeatable)
  --exclude-tag T           cases without tag T (repeatable)
  --allow-destructive       run rotation and revocation cases (they change the tenant's
                            server token; always on for the in-process reference)
  --expected-failures FILE  JSON { "case-id": "why" }: known failures, checked both ways
  --list                    list the selected cases and exit

Output:
  --reporter NAME           pretty, json, junit, html (repeatable or comma-separated;
                            default pretty); files go to --out
  --out DIR                 default reports/
  --concurrency N           cases at once (default 8)
  --timeout MS              per request (default 10000)

Exit code: 0 all passed, 1 a failure, 2 could not run or ran nothing.
`;

/** What the command line asks for. */
export interface CliOptions {
  fixtures: string;
  filter?: string | undefined;
  tags: string[];
  excludeTags: string[];
  allowDestructive: boolean;
  expectedFailures?: string | undefined;
  reporters: ReporterName[];
  out: string;
  concurrency: number;
  timeoutMs: number;
  list: boolean;
  help: boolean;
  browser: boolean;
  target: Record<string, string | undefined>;
  envFile?: string | undefined;
}

/** Reads the command line; throws a `TypeError` naming a bad flag. */
export function parseCli(args: string[]): CliOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      target: { type: "string" },
      "env-file": { type: "string" },
      "server-token": { type: "string" },
      "admin-token": { type: "string" },
      "tenant-id": { type: "string" },
      "site-api-key": { type: "string" },
      "other-site-api-key": { type: "string" },
      "foreign-site-api-key": { type: "string" },
      "signing-key": { type: "string" },
      "widget-url": { type: "string" },
      fixtures: { type: "string", default: "fixtures" },
      filter: { type: "string" },
      tag: { type: "string", multiple: true, default: [] },
      "exclude-tag": { type: "string", multiple: true, default: [] },
      "allow-destructive": { type: "boolean", default: false },
      "expected-failures": { type: "string" },
      reporter: { type: "string", multiple: true, default: [] },
      out: { type: "string", default: "reports" },
      concurrency: { type: "string", default: "8" },
      timeout: { type: "string", default: "10000" },
      list: { type: "boolean", default: false },
      browser: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const reporters = (values.reporter.length ? values.reporter : ["pretty"]).flatMap((r) => r.split(","));
  for (const r of reporters) {
    if (!(REPORTERS as readonly string[]).includes(r)) {
      throw new TypeError(`Cannot use reporter "${r}": choose among ${REPORTERS.join(", ")}`);
    }
  }
  const number = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) {
      throw new TypeError(`Cannot use --${name} ${text}: it must be a whole number above 0`);
    }
    return n;
  };
  return {
    fixtures: values.fixtures,
    filter: values.filter,
    tags: values.tag,
    excludeTags: values["exclude-tag"],
    allowDestructive: values["allow-destructive"],
    expectedFailures: values["expected-failures"],
    reporters: reporters as ReporterName[],
    out: values.out,
    concurrency: number("concurrency", values.concurrency),
    timeoutMs: number("timeout", values.timeout),
    list: values.list,
    help: values.help,
    browser: values.browser,
    envFile: values["env-file"],
    target: {
      target: values.target,
      serverToken: values["server-token"],
      adminToken: values["admin-token"],
      tenantId: values["tenant-id"],
      siteApiKey: values["site-api-key"],
      otherSiteApiKey: values["other-site-api-key"],
      foreignSiteApiKey: values["foreign-site-api-key"],
      signingKey: values["signing-key"],
      widgetUrl: values["widget-url"],
    },
  };
}

/** The cases (or scenarios) the options select. */
export function selectCases<T extends { id: string; title: string; tags: string[] }>(
  cases: T[],
  o: Pick<CliOptions, "filter" | "tags" | "excludeTags">,
): T[] {
  const text = o.filter?.toLowerCase();
  return cases.filter((c) =>
    (!text || c.id.includes(text) || c.title.toLowerCase().includes(text)) &&
    (o.tags.length === 0 || o.tags.some((t) => c.tags.includes(t))) &&
    !o.excludeTags.some((t) => c.tags.includes(t))
  );
}

async function readExpectedFailures(path: string): Promise<Map<string, string>> {
  const data = JSON.parse(await Deno.readTextFile(path));
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new TypeError(`Cannot read ${path}: expected a JSON object { "case-id": "why it fails" }`);
  }
  return new Map(Object.entries(data).map(([id, why]) => [id, String(why)]));
}

/** What a run of the command line printed and wrote. */
export interface CliRun {
  exitCode: 0 | 1 | 2;
  run?: RunResult;
}

/** Runs the command line; `print` gets the live output. */
export async function main(args: string[], print: (line: string) => void = console.log): Promise<CliRun> {
  let options: CliOptions;
  try {
    options = parseCli(args);
  } catch (error) {
    print(`${(error as Error).message}\n\n${HELP}`);
    return { exitCode: 2 };
  }
  if (options.help) {
    print(HELP);
    return { exitCode: 0 };
  }
  let cases: LoadedCase[];
  try {
    cases = selectCases(await loadFixtures(options.fixtures), options);
  } catch (error) {
    print(error instanceof FixtureError ? error.message : `Cannot load the fixtures: ${(error as Error).message}`);
    return { exitCode: 2 };
  }
  if (cases.length === 0 && !(options.browser && selectCases(SCENARIOS, options).length)) {
    print("No case matches the selection: nothing to run.");
    return { exitCode: 2 };
  }
  if (options.list) {
    for (const c of cases) {
      print(`${c.id}  [${c.clause}] ${c.title}  (${c.tags.join(", ")}; needs ${needsOf(c).join(", ") || "nothing"})`);
    }
    print(`${cases.length} cases`);
    return { exitCode: 0 };
  }

  let target: Target;
  try {
    const explicitFile = options.envFile;
    const file = explicitFile ?? ".setchat/dev.env";
    let envFile: Record<string, string> = {};
    try {
      envFile = parseEnvFile(await Deno.readTextFile(file));
    } catch (error) {
      if (explicitFile) throw new Error(`Cannot read the env file ${file}: ${(error as Error).message}`);
    }
    // The default env file gives credentials for a target named elsewhere, never the target itself.
    if (!explicitFile) delete envFile.SETCHAT_API_URL;
    target = (await remoteTarget({ flags: options.target, env: (n) => Deno.env.get(n), envFile })) ??
      await startInProcessTarget();
  } catch (error) {
    print((error as Error).message);
    return { exitCode: 2 };
  }

  try {
    try {
      const res = await fetch(`${target.apiUrl}/api/version`, { signal: AbortSignal.timeout(options.timeoutMs) });
      await res.body?.cancel();
    } catch (error) {
      print(`Cannot reach ${target.apiUrl}: ${(error as Error).message}`);
      return { exitCode: 2 };
    }
    const expectedFailures = options.expectedFailures
      ? await readExpectedFailures(options.expectedFailures)
      : undefined;
    if (expectedFailures) {
      for (const id of expectedFailures.keys()) {
        if (!cases.some((c) => c.id === id)) {
          print(`Note: ${options.expectedFailures} lists "${id}", which no selected case has.`);
        }
      }
    }
    const color = options.reporters.includes("pretty") && Deno.stdout.isTerminal();
    const pretty = options.reporters.includes("pretty");
    if (pretty) print(`Running ${cases.length} cases against ${target.description}`);
    const files = options.reporters.some((r) => r !== "pretty");
    if (files || !target.inProcess) await Deno.mkdir(options.out, { recursive: true });
    let run = await runSuite({
      target,
      cases,
      allowDestructive: options.allowDestructive || target.inProcess,
      concurrency: options.concurrency,
      timeoutMs: options.timeoutMs,
      ...(expectedFailures ? { expectedFailures } : {}),
      ...(target.inProcess ? {} : { rotatedTokenFile: join(options.out, "rotated-server-token.env") }),
      ...(pretty ? { onResult: (r: CaseResult) => print(prettyLine(r, color)) } : {}),
    });
    if (options.browser) {
      const scenarios = selectCases(SCENARIOS, options);
      if (pretty && scenarios.length) {
        print(`Running ${scenarios.length} browser scenarios against ${target.widgetUrl}`);
      }
      const started = performance.now();
      const browserResults = await runBrowserScenarios({
        target,
        scenarios,
        outDir: options.out,
        ...(pretty ? { onResult: (r: CaseResult) => print(prettyLine(r, color)) } : {}),
      });
      const results = [...run.results, ...browserResults];
      run = {
        ...run,
        results,
        counts: countStatuses(results),
        durationMs: run.durationMs + Math.round(performance.now() - started),
      };
    }
    if (pretty) print(prettySummary(run, color));
    const writers: Record<Exclude<ReporterName, "pretty">, [string, (r: RunResult) => string]> = {
      json: ["conformance.json", toJson],
      junit: ["junit.xml", toJUnit],
      html: ["report.html", toHtml],
    };
    for (const name of options.reporters) {
      if (name === "pretty") continue;
      const [file, render] = writers[name];
      await Deno.writeTextFile(join(options.out, file), render(run));
      if (pretty) print(`Wrote ${join(options.out, file)}`);
    }
    return { exitCode: exitCodeOf(run), run };
  } finally {
    await target.close();
  }
}
