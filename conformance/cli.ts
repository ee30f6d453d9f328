/** `deno task conformance`: flags, target, preflight, profile, run, reports, exit code. */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CONTRACT_VERSION } from "../src/contract/meta.ts";
import { FixtureError, type LoadedCase, loadFixtures } from "./fixtures.ts";
import {
  leftOut,
  LEVEL_DOCS,
  LEVELS,
  namedProfile,
  outsideProfile,
  PROFILE_NAMES,
  type ProfileName,
  PROFILES,
  SURFACE_DOCS,
  SURFACES,
} from "./levels.ts";
import { preflight, profileFor } from "./preflight.ts";
import { redactCase, Redactor, redactRun } from "./redact.ts";
import {
  prettyLine,
  prettyProfile,
  prettySummary,
  type ReporterName,
  REPORTERS,
  toHtml,
  toJson,
  toJUnit,
} from "./reporters.ts";
import {
  type CaseResult,
  countChecks,
  countStatuses,
  DEFAULT_CONCURRENCY,
  exitCodeOf,
  needsOf,
  type RunResult,
  runSuite,
  writtenIn,
} from "./runner.ts";
import {
  fetchJwks,
  missingTargetUrl,
  readEnvFiles,
  type RemoteSettings,
  remoteTarget,
  startInProcessTarget,
  type Target,
} from "./target.ts";
import { TOKEN_TRANSFORMS, TRANSFORM_NAMES, type TransformName } from "./token_transforms.ts";
import { listScenarios, runBrowserScenarios } from "./browser/run.ts";
import { SCENARIOS } from "./browser/scenarios.ts";
import { exploreCommand } from "./explore/command.ts";
import { findReports, MergeError, mergeReports, readReports } from "./merge.ts";
import { annotations } from "./annotations.ts";
import { CONFIG_HELP, ConfigError, type ConformanceConfig, readConfig } from "./config.ts";
import { SUITE_VERSION } from "./version.ts";

export { SUITE_VERSION } from "./version.ts";

/** What a run selected, before any shard: `--merge` checks that every shard had the same. */
async function selectionOf(selected: { id: string }[]): Promise<NonNullable<RunResult["selection"]>> {
  const ids = selected.map((c) => c.id).sort().join("\n");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ids)));
  const fingerprint = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { suiteVersion: SUITE_VERSION, cases: selected.length, fingerprint };
}

/** The fixtures beside this module, wherever the command runs from. */
const DEFAULT_FIXTURES = fileURLToPath(new URL("../fixtures", import.meta.url));

const HELP = `Usage: npx -y @setchat/conformance@${SUITE_VERSION.split(".")[0]} -- [options]
       deno task conformance [options]            (from a clone of the repository)

Runs the conformance fixtures against a SetChat-compatible API. When nothing names a
target (no flag, variable or env file below), starts the reference in process (on a free
port, with a store in memory), and every report says so first. A target setting given
without a target URL (an env file without SETCHAT_API_URL, an empty SETCHAT_API_URL, a
credential) stops the run with exit 2 instead.

Configuration:
${CONFIG_HELP}

Target (flags win over environment, which wins over the env files):
  --target URL               base URL (SETCHAT_API_URL); give it once per node of a deployment
                             (or SETCHAT_API_URLS, comma-separated): the requests of each case
                             alternate between the nodes, so state kept by one node only fails
  --env-file FILE            KEY=value file (repeatable: files add up in order, a later one
                             winning); a running deno task serve: --env-file .setchat/dev.env
  --server-token T           SETCHAT_SERVER_TOKEN
  --site-api-key K           SETCHAT_SITE_API_KEY
  --tenant-id ID             SETCHAT_TENANT_ID
  --admin-token T            SETCHAT_ADMIN_TOKEN
  --other-site-api-key K     SETCHAT_OTHER_SITE_API_KEY (a second site of the tenant)
  --foreign-site-api-key K   SETCHAT_FOREIGN_SITE_API_KEY (a site of another tenant)
  --foreign-tenant-id ID     SETCHAT_FOREIGN_TENANT_ID (another tenant)
  --foreign-admin-token T    SETCHAT_FOREIGN_ADMIN_TOKEN (that tenant's admin credential)
  --foreign-server-token T   SETCHAT_FOREIGN_SERVER_TOKEN (that tenant's server token; explore mode)
  --foreign-other-site-api-key K
                             SETCHAT_FOREIGN_OTHER_SITE_API_KEY (its second site; explore mode)
  --signing-key FILE         the target's private signing key as a JWK (SETCHAT_SIGNING_KEY_FILE):
                             enables the attacks that need a validly signed token
  --widget-url URL           the widget script to test in the browser (SETCHAT_WIDGET_URL;
                             default the target's /widget.js)

Profile and levels:
  --profile NAME             ${PROFILE_NAMES.join(", ")} (default: reference in process; for a named
                             target, what its /.well-known/setchat.json declares, else s2s)
${PROFILE_NAMES.map((p) => `                               ${p}: ${PROFILES[p].doc}`).join("\n")}
  --strict                   warnings (should) fail the run too, and deviations in the
                             reference profile
  --no-skips                 a case skipped for want of a credential or --allow-destructive fails
                             the run too: CI cannot pass on what it never checked (cases that
                             cannot apply, such as those needing the private signing key, do not)
  Every check has a level:
${LEVELS.map((l) => `    ${l.padEnd(10)} ${LEVEL_DOCS[l]}`).join("\n")}
  Surfaces:
${SURFACES.map((s) => `    ${s.padEnd(10)} ${SURFACE_DOCS[s]}`).join("\n")}

Browser:
  --browser                  also run the browser scenarios (headless Chromium; set
                             SETCHAT_CHROMIUM when it is not at /usr/bin/chromium)

Selection:
  --fixtures DIR             default the suite's own fixtures/
  --filter TEXT              cases whose id or title contains TEXT
  --tag T                    cases with tag T (repeatable)
  --exclude-tag T            cases without tag T (repeatable)
  --allow-destructive        run the cases that can change the tenant's server tokens
                             (always on for the in-process reference)
  --expected-failures FILE   JSON { "case-id": "why" }: known failures, checked both ways
  --shard I/N                run the I-th of N parts of the selected cases (1/4 … 4/4), the same
                             split on every machine: one part per CI job, then --merge
  --list                     list the selected cases, their level, surfaces and tags, and exit

Output:
  --reporter NAME            pretty, json, junit, html (repeatable or comma-separated;
                             default pretty); files go to --out, mode 0600
  --out DIR                  default reports/
  --concurrency N            cases at once (default ${DEFAULT_CONCURRENCY})
  --timeout MS               per request (default 10000)
  --retries N                send a request again, up to N times (0 to 5, default 0), when it met a
                             network error (no answer at all); a case with a retried request is
                             marked so in every report
  --run-timeout MS           the whole run: past it, the run stops with exit 2 (default none)
  Every run ends with its summary and the paths of the reports it wrote. Colours only on a
  terminal, never with NO_COLOR set; under GitHub Actions (GITHUB_ACTIONS=true), failures
  and warnings are also written as ::error and ::warning annotations.

Merge:
  --merge PATH...            read the conformance.json files at or under each PATH (the JSON
                             reports of shards or jobs), write them as one run with --reporter
                             to --out, and exit as that run would; refuses reports that are not
                             one run (other profiles, a case twice, a shard missing)

Explore (model-based testing of the widget and agent surfaces):
  --explore                  random action sequences checked against the identity model instead of
                             the fixtures; a disagreement is shrunk and written as a fixture to --out
  --seed S                   the generator's seed (default 1): the same seed, the same sequences
  --runs N                   sequences (default 200)
  --steps K                  actions per sequence (default 30)
  --sweep                    every observation after every step (slower; for nightly runs)

Tools:
  --version                  print the suite's version and the contract version it checks
  --transform NAME           reads a visitor token on stdin and prints the named attack on it
                             (reproductions use it); with --target and --signing-key when it needs them

Exit code: 0 no must failure, 1 a must failure (or, with --strict, a warning; with
--no-skips, a skipped case),
2 could not run (bad flag, broken fixture, failed preflight) or ran nothing.
`;

/** What the command line asks for. */
export interface CliOptions {
  fixtures: string;
  filter?: string | undefined;
  tags: string[];
  excludeTags: string[];
  allowDestructive: boolean;
  expectedFailures?: string | undefined;
  /** Known failures written in the configuration file itself. */
  knownFailures?: Record<string, string> | undefined;
  reporters: ReporterName[];
  out: string;
  concurrency: number;
  timeoutMs: number;
  /** Times a request that met a network error is sent again. */
  retries: number;
  /** The whole run's time limit. */
  runTimeoutMs?: number | undefined;
  /** `--config`: the configuration file. */
  config?: string | undefined;
  /** The flags given on the command line: they win over the configuration file. */
  given: ReadonlySet<string>;
  list: boolean;
  help: boolean;
  version: boolean;
  shard?: { index: number; count: number } | undefined;
  /** `--merge`: the reports to merge. */
  merge?: string[] | undefined;
  browser: boolean;
  profile?: ProfileName | undefined;
  strict: boolean;
  noSkips: boolean;
  transform?: TransformName | undefined;
  explore: boolean;
  seed: number;
  runs: number;
  steps: number;
  sweep: boolean;
  target: RemoteSettings["flags"];
  /** `--env-file`, in order. */
  envFiles: string[];
}

/** The command line's flags, as `parseArgs` reads them. */
const FLAGS = {
  config: { type: "string" },
  retries: { type: "string" },
  "run-timeout": { type: "string" },
  target: { type: "string", multiple: true, default: [] },
  "env-file": { type: "string", multiple: true, default: [] },
  "server-token": { type: "string" },
  "admin-token": { type: "string" },
  "tenant-id": { type: "string" },
  "site-api-key": { type: "string" },
  "other-site-api-key": { type: "string" },
  "foreign-site-api-key": { type: "string" },
  "foreign-tenant-id": { type: "string" },
  "foreign-admin-token": { type: "string" },
  "foreign-server-token": { type: "string" },
  "foreign-other-site-api-key": { type: "string" },
  "signing-key": { type: "string" },
  "widget-url": { type: "string" },
  fixtures: { type: "string", default: DEFAULT_FIXTURES },
  shard: { type: "string" },
  merge: { type: "boolean", default: false },
  version: { type: "boolean", default: false },
  filter: { type: "string" },
  tag: { type: "string", multiple: true, default: [] },
  "exclude-tag": { type: "string", multiple: true, default: [] },
  "allow-destructive": { type: "boolean", default: false },
  "expected-failures": { type: "string" },
  reporter: { type: "string", multiple: true, default: [] },
  out: { type: "string", default: "reports" },
  concurrency: { type: "string", default: String(DEFAULT_CONCURRENCY) },
  timeout: { type: "string", default: "10000" },
  list: { type: "boolean", default: false },
  browser: { type: "boolean", default: false },
  profile: { type: "string" },
  strict: { type: "boolean", default: false },
  "no-skips": { type: "boolean", default: false },
  transform: { type: "string" },
  explore: { type: "boolean", default: false },
  seed: { type: "string", default: "1" },
  runs: { type: "string", default: "200" },
  steps: { type: "string", default: "30" },
  sweep: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} satisfies ParseArgsOptionsConfig;

/** Reads the command line; throws a `TypeError` naming a bad flag. */
export function parseCli(args: string[]): CliOptions {
  // `npx -y deno@2.9 task conformance -- --env-file F`: the `--` keeps Node.js from reading --env-file itself.
  if (args[0] === "--") args = args.slice(1);
  const { values, positionals, tokens } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    tokens: true,
    options: FLAGS,
  });
  const reporters = (values.reporter.length ? values.reporter : ["pretty"]).flatMap((r) => r.split(","));
  for (const r of reporters) {
    if (!(REPORTERS as readonly string[]).includes(r)) {
      throw new TypeError(`Cannot use reporter "${r}": choose among ${REPORTERS.join(", ")}`);
    }
  }
  if (values.profile !== undefined && !(PROFILE_NAMES as string[]).includes(values.profile)) {
    throw new TypeError(`Cannot use profile "${values.profile}": choose among ${PROFILE_NAMES.join(", ")}`);
  }
  if (values.transform !== undefined && !(TRANSFORM_NAMES as string[]).includes(values.transform)) {
    throw new TypeError(`Cannot use transform "${values.transform}": choose among ${TRANSFORM_NAMES.join(", ")}`);
  }
  const number = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) {
      throw new TypeError(`Cannot use --${name} ${text}: it must be a whole number above 0`);
    }
    return n;
  };
  if (positionals.length && !values.merge) {
    throw new TypeError(`Cannot use "${positionals[0]}": only --merge takes arguments that are not flags`);
  }
  if (values.merge && positionals.length === 0) {
    throw new TypeError("Cannot merge: give the reports (or the folders holding them) after --merge");
  }
  if (values.merge) refuseWithMerge(values);
  return {
    fixtures: values.fixtures,
    version: values.version,
    shard: values.shard === undefined ? undefined : shardOf(values.shard),
    merge: values.merge ? positionals : undefined,
    filter: values.filter,
    tags: values.tag,
    excludeTags: values["exclude-tag"],
    allowDestructive: values["allow-destructive"],
    expectedFailures: values["expected-failures"],
    reporters: reporters as ReporterName[],
    out: values.out,
    concurrency: number("concurrency", values.concurrency),
    timeoutMs: number("timeout", values.timeout),
    retries: values.retries === undefined ? 0 : retriesOf(values.retries),
    runTimeoutMs: values["run-timeout"] === undefined ? undefined : number("run-timeout", values["run-timeout"]),
    config: values.config,
    given: new Set(tokens.flatMap((t) => (t.kind === "option" ? [t.name] : []))),
    list: values.list,
    help: values.help,
    browser: values.browser,
    profile: values.profile as ProfileName | undefined,
    strict: values.strict,
    noSkips: values["no-skips"],
    transform: values.transform as TransformName | undefined,
    explore: values.explore,
    seed: seedOf(values.seed),
    runs: number("runs", values.runs),
    steps: number("steps", values.steps),
    sweep: values.sweep,
    envFiles: values["env-file"],
    target: {
      target: values.target[0],
      targets: values.target,
      serverToken: values["server-token"],
      adminToken: values["admin-token"],
      tenantId: values["tenant-id"],
      siteApiKey: values["site-api-key"],
      otherSiteApiKey: values["other-site-api-key"],
      foreignSiteApiKey: values["foreign-site-api-key"],
      foreignTenantId: values["foreign-tenant-id"],
      foreignAdminToken: values["foreign-admin-token"],
      foreignServerToken: values["foreign-server-token"],
      foreignOtherSiteApiKey: values["foreign-other-site-api-key"],
      signingKey: values["signing-key"],
      widgetUrl: values["widget-url"],
    },
  };
}

/** A merge reads its reports only: a flag that selects or names a target has no meaning there. */
function refuseWithMerge(values: Record<string, unknown>): void {
  const ignored = ["target", "filter", "tag", "exclude-tag", "shard", "profile", "browser", "explore", "list"]
    .filter((name) => {
      const v = values[name];
      return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== false;
    });
  if (ignored.length) {
    throw new TypeError(
      `Cannot use --${
        ignored[0]
      } with --merge: a merge reads its reports only (it takes --reporter, --out, --strict and --no-skips)`,
    );
  }
}

function shardOf(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new TypeError(`Cannot use --shard ${text}: write I/N, a part I from 1 to N (--shard 2/4)`);
  }
  return { index, count };
}

/**
 * The `shard.index`-th of `shard.count` parts of `cases`: every case in
 * exactly one part, and the same parts on every machine for the same
 * selection (round robin over the cases sorted by id).
 */
export function shardCases<T extends { id: string }>(cases: T[], shard: { index: number; count: number }): T[] {
  const ids = cases.map((c) => c.id).sort();
  const mine = new Set(ids.filter((_, i) => i % shard.count === shard.index - 1));
  return cases.filter((c) => mine.has(c.id));
}

function retriesOf(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 5) {
    throw new TypeError(`Cannot use --retries ${text}: it must be a whole number from 0 to 5`);
  }
  return n;
}

/**
 * The configuration file's settings, under the command line's: what a flag
 * gives wins, and env files add up (the file's first, so that the command
 * line's win).
 */
export function withConfig(options: CliOptions, config: ConformanceConfig): CliOptions {
  const unless = <T>(flag: string, value: T | undefined, current: T): T =>
    options.given.has(flag) || value === undefined ? current : value;
  const url = config.target?.url;
  const targets = url === undefined ? undefined : Array.isArray(url) ? url : [url];
  const known = config.expectedFailures;
  const listed = options.given.has("expected-failures") || known === undefined;
  return {
    ...options,
    envFiles: [...(config.target?.envFiles ?? []), ...options.envFiles],
    profile: unless("profile", config.profile as ProfileName | undefined, options.profile),
    timeoutMs: unless("timeout", config.timeouts?.requestMs, options.timeoutMs),
    runTimeoutMs: unless("run-timeout", config.timeouts?.runMs, options.runTimeoutMs),
    retries: unless("retries", config.retries?.networkErrors, options.retries),
    expectedFailures: listed || typeof known !== "string" ? options.expectedFailures : known,
    knownFailures: listed || typeof known === "string" ? options.knownFailures : known,
    target: {
      ...options.target,
      ...(options.given.has("target") || !targets ? {} : { target: targets[0], targets }),
      widgetUrl: unless("widget-url", config.target?.widgetUrl, options.target.widgetUrl),
    },
  };
}

function seedOf(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new TypeError(`Cannot use --seed ${text}: it must be a whole number from 0 to 4294967295`);
  }
  return n;
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

/**
 * `deno task` runs its command from the project's folder and says where it
 * was called from in `INIT_CWD`: relative paths of the command line are
 * read from there, as the person typing them means.
 */
function fromInvocationFolder(options: CliOptions, initCwd: string | undefined): CliOptions {
  if (!initCwd) return options;
  const at = (path: string) => resolve(initCwd, path);
  const maybe = (path: string | undefined) => (path === undefined ? undefined : at(path));
  return {
    ...options,
    fixtures: at(options.fixtures),
    out: at(options.out),
    envFiles: options.envFiles.map(at),
    expectedFailures: maybe(options.expectedFailures),
    config: maybe(options.config),
    merge: options.merge?.map(at),
    target: { ...options.target, signingKey: maybe(options.target.signingKey) },
  };
}

/** Writes a report file readable by its owner only, even when it already existed. */
async function writePrivate(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  await Deno.chmod(path, 0o600);
}

/** What a run of the command line printed and wrote. */
export interface CliRun {
  exitCode: 0 | 1 | 2;
  run?: RunResult;
}

/** Options of {@linkcode main} for programs that drive it. */
export interface MainOptions {
  /** Where live output goes; default the console. */
  print?: (line: string) => void;
  /** The environment; default the process's. */
  env?: (name: string) => string | undefined;
  /** Standard input, for `--transform`. */
  stdin?: () => Promise<string>;
  /** Whether the output is a terminal (colours); default whether standard output is one. */
  terminal?: boolean;
}

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/** Ends the command early with an exit code, after printing `message` when there is one. */
class Stop {
  constructor(readonly exitCode: 0 | 1 | 2, readonly message?: string) {}
}

/** What the steps of {@linkcode main} share: where lines go, and the environment. */
interface Io {
  print: (line: string) => void;
  env: (name: string) => string | undefined;
  stdin: () => Promise<string>;
  terminal: boolean;
}

/** The cases and browser scenarios a run holds, after any shard, and what was selected before it. */
interface Selection {
  cases: LoadedCase[];
  scenarios: typeof SCENARIOS;
  fingerprint: NonNullable<RunResult["selection"]>;
}

/**
 * Runs the command line; `print` gets the live output. A pipeline: parse,
 * resolve the target, select, preflight, run, report, exit.
 */
export async function main(
  args: string[],
  printOrOptions: ((line: string) => void) | MainOptions = {},
): Promise<CliRun> {
  const o: MainOptions = typeof printOrOptions === "function" ? { print: printOrOptions } : printOrOptions;
  const io: Io = {
    print: o.print ?? console.log,
    env: o.env ?? ((name: string) => Deno.env.get(name)),
    stdin: o.stdin ?? readStdin,
    terminal: o.terminal ?? Deno.stdout.isTerminal(),
  };
  try {
    const options = await parse(args, io);
    const output = outputOf(options, io.env, io.print, io.terminal);
    if (options.merge) return await merge(options.merge, options, output);
    const settings = await targetSettings(options, io);
    if (options.transform) return await transformCommand(options, settings, io);
    refuseTargetWithoutUrl(options, settings);
    if (options.explore) {
      return { exitCode: await exploreCommand(options, { env: io.env, envFile: settings.envFile, print: io.print }) };
    }
    const selection = await select(options);
    if (options.list) return list(selection, options, io.print);
    const target = await resolveTarget(settings);
    try {
      const run = await runSelection(target, selection, options, output);
      await finish(run, options, output);
      return { exitCode: exitCodeOf(run), run };
    } finally {
      await target.close();
    }
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    if (error.message !== undefined) io.print(error.message);
    return { exitCode: error.exitCode };
  }
}

/** The command line, read from the invocation folder, under its configuration file; `--help` and `--version`. */
async function parse(args: string[], io: Io): Promise<CliOptions> {
  let options: CliOptions;
  try {
    options = parseCli(args);
  } catch (error) {
    throw new Stop(2, `${(error as Error).message}\n\n${HELP}`);
  }
  if (options.help) throw new Stop(0, HELP);
  if (options.version) {
    throw new Stop(0, `SetChat conformance suite ${SUITE_VERSION}, checking contract ${CONTRACT_VERSION}`);
  }
  options = fromInvocationFolder(options, io.env("INIT_CWD"));
  if (!options.config) return options;
  try {
    return withConfig(options, await readConfig(options.config));
  } catch (error) {
    if (error instanceof ConfigError) throw new Stop(2, error.message);
    throw error;
  }
}

/**
 * Where the target's settings come from. Only the files named are read: a file found lying about (a local server's
 * dev.env) never gives a target its credentials, nor a run its target.
 */
async function targetSettings(options: CliOptions, io: Io): Promise<RemoteSettings> {
  try {
    const envFile = await readEnvFiles(options.envFiles);
    return { flags: options.target, env: io.env, envFile, envFiles: options.envFiles };
  } catch (error) {
    throw new Stop(2, (error as Error).message);
  }
}

/** The named attack on a token. */
async function transform(options: CliOptions, target: Target | undefined, input: string): Promise<string> {
  const needs: readonly string[] = TOKEN_TRANSFORMS[options.transform!].needs;
  const jwks = target && needs.includes("jwks") ? await fetchJwks(target.apiUrl, options.timeoutMs) : null;
  return await TOKEN_TRANSFORMS[options.transform!].apply(input.trim(), {
    signingKey: target?.signingKey,
    jwks: jwks ?? undefined,
    nowSeconds: Math.floor(Date.now() / 1000),
  });
}

/** `--transform`: prints the named attack on the token read from standard input. */
async function transformCommand(options: CliOptions, settings: RemoteSettings, io: Io): Promise<CliRun> {
  try {
    const target = await remoteTarget(settings);
    io.print(await transform(options, target, await io.stdin()));
    return { exitCode: 0 };
  } catch (error) {
    throw new Stop(2, `Cannot make the ${options.transform} attack: ${(error as Error).message}`);
  }
}

/** Anything that judges a target stops here when settings name one without its URL. */
function refuseTargetWithoutUrl(options: CliOptions, settings: RemoteSettings): void {
  try {
    const missing = options.list ? undefined : missingTargetUrl(settings);
    if (missing) throw new Error(missing);
  } catch (error) {
    throw new Stop(2, (error as Error).message);
  }
}

/** The cases and scenarios the options select, then this shard's part of them. */
async function select(options: CliOptions): Promise<Selection> {
  let cases: LoadedCase[];
  let scenarios = options.browser ? selectCases(SCENARIOS, options) : [];
  try {
    cases = selectCases(await loadFixtures(options.fixtures), options);
  } catch (error) {
    throw new Stop(
      2,
      error instanceof FixtureError ? error.message : `Cannot load the fixtures: ${(error as Error).message}`,
    );
  }
  if (cases.length === 0 && scenarios.length === 0) {
    const browser = options.browser ? 0 : selectCases(SCENARIOS, options).length;
    throw new Stop(
      2,
      `No case matches the selection: nothing to run${
        browser ? ` (${browser} browser scenarios do: add --browser)` : ""
      }.`,
    );
  }
  const fingerprint = await selectionOf([...cases, ...scenarios]);
  if (options.shard) {
    cases = shardCases(cases, options.shard);
    scenarios = shardCases(scenarios, options.shard);
  }
  return { cases, scenarios, fingerprint };
}

/** `--list`: the selected cases and scenarios, their level, surfaces, tags and needs. */
function list({ cases, scenarios }: Selection, options: CliOptions, print: Io["print"]): CliRun {
  const profile = options.profile ? namedProfile(options.profile, "--profile") : undefined;
  for (const c of cases) {
    const outside = profile ? outsideProfile(c, profile) : undefined;
    print(
      `${c.id}  [${c.clause}, ${c.level}${c.destructive ? ", destructive" : ""}] ${c.title}` +
        `  (surfaces ${c.surfaces.join(", ") || "none"}; tags ${c.tags.join(", ")}; needs ${
          needsOf(c).join(", ") || "nothing"
        })${outside ? `  — not in profile: ${outside}` : ""}`,
    );
  }
  for (const line of listScenarios(scenarios, profile)) print(line);
  const part = options.shard ? ` in shard ${options.shard.index}/${options.shard.count}` : "";
  const browser = scenarios.length ? ` and ${scenarios.length} browser scenarios` : "";
  print(
    `${cases.length} cases${browser}${part}. Levels: ${LEVELS.join(", ")}. Profiles: ${PROFILE_NAMES.join(", ")}.`,
  );
  print(`Tags: ${[...new Set([...cases, ...scenarios].flatMap((c) => c.tags))].sort().join(", ")}.`);
  const unlisted = options.browser ? 0 : selectCases(SCENARIOS, options).length;
  if (unlisted) print(`${unlisted} browser scenarios match too: add --browser to list and run them.`);
  return { exitCode: 0 };
}

/** The target the settings name, or the reference in process when nothing names one. */
async function resolveTarget(settings: RemoteSettings): Promise<Target> {
  try {
    return (await remoteTarget(settings)) ?? await startInProcessTarget();
  } catch (error) {
    throw new Stop(2, (error as Error).message);
  }
}

/** What may run against this target, and how: the shard rule for destructive cases, the preflight, the profile. */
async function preflightOf(target: Target, { cases }: Selection, options: CliOptions) {
  if (options.shard && options.allowDestructive && !target.inProcess && cases.some((c) => c.destructive)) {
    throw new Stop(
      2,
      "Cannot run destructive cases in shards against a named target: they rotate and revoke the server token " +
        "that the other shards use at the same time. Shard with --exclude-tag destructive, and run " +
        "--tag destructive --allow-destructive in one job of its own",
    );
  }
  const checked = await preflight(target, options.timeoutMs);
  if (checked.problem) {
    const recovery = join(options.out, "recovery.env");
    const earlier = /does not mint/.test(checked.problem) && await Deno.stat(recovery).then(() => true, () => false);
    throw new Stop(
      2,
      earlier ? `${checked.problem} (an earlier run rotated tokens: see ${recovery})` : checked.problem,
    );
  }
  return { checked, profile: profileFor(options.profile, target, checked) };
}

/** The known failures the options name, each checked against the selection. */
async function expectedFailuresOf(
  options: CliOptions,
  cases: LoadedCase[],
  print: Io["print"],
): Promise<Map<string, string> | undefined> {
  const expected = options.expectedFailures
    ? await readExpectedFailures(options.expectedFailures)
    : options.knownFailures
    ? new Map(Object.entries(options.knownFailures))
    : undefined;
  for (const id of expected?.keys() ?? []) {
    if (!cases.some((c) => c.id === id)) {
      print(`Note: ${options.expectedFailures ?? options.config} lists "${id}", which no selected case has.`);
    }
  }
  return expected;
}

/** Runs the selection against the target: the API cases, then the browser scenarios; one run, redacted. */
async function runSelection(
  target: Target,
  selection: Selection,
  options: CliOptions,
  output: Output,
): Promise<RunResult> {
  const { cases, scenarios } = selection;
  const { print } = output;
  const { checked, profile } = await preflightOf(target, selection, options);
  const expectedFailures = await expectedFailuresOf(options, cases, print);
  const part = options.shard ? ` (shard ${options.shard.index}/${options.shard.count})` : "";
  print(prettyProfile(cases.length, `${target.description}${part}`, profile, options.strict));
  // One redactor for the whole run: every result is redacted with every secret the run met, before any report.
  const redactor = new Redactor();
  redactor.declarePrefixes(checked.discovery?.credentialPrefixes ?? []);
  const live = output.live ? { onResult: (r: CaseResult) => print(prettyLine(r, output.color)) } : {};
  const stop = options.runTimeoutMs === undefined ? undefined : AbortSignal.timeout(options.runTimeoutMs);
  let run = await runSuite({
    target,
    cases,
    profile,
    strict: options.strict,
    allowDestructive: options.allowDestructive || target.inProcess,
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    ...(stop ? { signal: stop } : {}),
    redactor,
    ...(expectedFailures ? { expectedFailures } : {}),
    ...(target.inProcess ? {} : { recoveryFile: join(options.out, "recovery.env") }),
    ...live,
  });
  if (options.browser && !stop?.aborted) {
    run = await withBrowserScenarios(run, { target, scenarios, profile, redactor, options, output });
  }
  run = {
    ...run,
    ...(target.nodes.length > 1 ? { nodes: target.nodes } : {}),
    ...(options.shard ? { shard: options.shard } : {}),
    selection: selection.fingerprint,
    ...(options.noSkips ? { noSkips: true } : {}),
    notes: [...leftOut(profile), ...retriedNotes(run.results), ...run.notes],
  };
  if (stop?.aborted) {
    const ended = run.results.filter((r) => !r.reason?.startsWith("not run: the run was stopped")).length;
    throw new Stop(
      2,
      `Cannot finish the run within its whole-run timeout of ${options.runTimeoutMs} ms (--run-timeout, ` +
        `timeouts.runMs): ${ended} of ${run.results.length} cases had ended; no report was written`,
    );
  }
  return run;
}

/** The browser scenarios' results added to the run's. */
async function withBrowserScenarios(
  run: RunResult,
  o: {
    target: Target;
    scenarios: Selection["scenarios"];
    profile: RunResult["profile"];
    redactor: Redactor;
    options: CliOptions;
    output: Output;
  },
): Promise<RunResult> {
  const { target, scenarios, profile, redactor, output } = o;
  const outside = profile.surfaces.includes("browser") ? undefined : "not in profile";
  if (output.live && scenarios.length && !outside) {
    output.print(`Running ${scenarios.length} browser scenarios against ${target.widgetUrl}`);
  }
  const started = performance.now();
  // The scenarios' results are the target's data too: redacted here, once, like the API cases'.
  const shown = (r: CaseResult) => redactCase(r, redactor);
  const browserResults = (await runBrowserScenarios({
    target,
    scenarios,
    profile,
    outDir: o.options.out,
    ...(output.live ? { onResult: (r: CaseResult) => output.print(prettyLine(shown(r), output.color)) } : {}),
  })).map(shown);
  const results = [...run.results, ...browserResults];
  return {
    ...run,
    results,
    counts: countStatuses(results),
    checks: countChecks(results),
    durationMs: run.durationMs + Math.round(performance.now() - started),
  };
}

/** The note every report carries when requests were sent again after network errors. */
function retriedNotes(results: CaseResult[]): string[] {
  const retried = results.filter((r) => r.retried);
  if (!retried.length) return [];
  const requests = retried.reduce((n, r) => n + r.retried!, 0);
  return [
    `${requests} requests of ${retried.length} cases met a network error and were sent again (--retries): ` +
    `${retried.map((r) => r.id).join(", ")}. A request that met one may have reached the target before its answer ` +
    `was lost: read those verdicts knowing it.`,
  ];
}

/** How a run talks: live lines, colours, annotations, and the report files. */
interface Output {
  print: (line: string) => void;
  /** A line per case as it ends (the pretty reporter). */
  live: boolean;
  color: boolean;
  /** GitHub Actions annotations. */
  annotate: boolean;
  files: Exclude<ReporterName, "pretty">[];
}

function outputOf(
  options: CliOptions,
  env: (name: string) => string | undefined,
  print: Output["print"],
  terminal: boolean,
): Output {
  const live = options.reporters.includes("pretty");
  return {
    print,
    live,
    // https://no-color.org: any non-empty NO_COLOR turns colours off.
    color: live && !env("NO_COLOR") && terminal,
    annotate: env("GITHUB_ACTIONS") === "true",
    files: options.reporters.filter((r): r is Exclude<ReporterName, "pretty"> => r !== "pretty"),
  };
}

const WRITERS: Record<Exclude<ReporterName, "pretty">, [string, (r: RunResult) => string]> = {
  json: ["conformance.json", toJson],
  junit: ["junit.xml", toJUnit],
  html: ["report.html", toHtml],
};

/**
 * Every run ends here: the reports, the summary, the annotations and the
 * paths, whatever the reporters. `run` is redacted already: what is written
 * is rendered from it, never rewritten after.
 */
async function finish(run: RunResult, options: CliOptions, output: Output): Promise<void> {
  const written: string[] = [];
  if (output.files.length) await Deno.mkdir(options.out, { recursive: true });
  for (const name of output.files) {
    const [file, render] = WRITERS[name];
    await writePrivate(join(options.out, file), render(run));
    written.push(join(options.out, file));
  }
  if (output.annotate) { for (const line of annotations(run)) output.print(line); }
  output.print(prettySummary(run, output.color));
  for (const path of written) output.print(`Wrote ${path}`);
}

/** `--merge`: reads the reports, writes them as one, exits as the merged run. */
async function merge(paths: string[], options: CliOptions, output: Output): Promise<CliRun> {
  let run: RunResult;
  try {
    const files = await findReports(paths);
    run = mergeReports(await readReports(files), { strict: options.strict, noSkips: options.noSkips });
    output.print(`Merging ${files.length} reports: ${files.join(", ")}`);
  } catch (error) {
    if (!(error instanceof MergeError)) throw error;
    output.print(error.message);
    return { exitCode: 2 };
  }
  // The reports were redacted when written; files that sat in CI are read as data all the same: anything shaped like
  // a credential is masked once more, but what the fixtures write out themselves. The shards annotated their own
  // failures: the merge does not repeat them.
  const redactor = new Redactor();
  try {
    for (const c of await loadFixtures(options.fixtures)) redactor.allowWrittenIn(writtenIn(c));
  } catch { /* reports of other fixtures: masked by shape only */ }
  await finish(redactRun(run, redactor), options, { ...output, annotate: false });
  return { exitCode: exitCodeOf(run), run };
}
