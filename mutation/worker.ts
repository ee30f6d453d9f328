/**
 * The test side of mutation testing. Stryker's runner plugin
 * (`stryker_plugin.mjs`) starts this program in Stryker's sandbox, where the
 * reference's source is instrumented with every mutant, and asks it for runs,
 * one JSON line per request on stdin, one answer per line on stdout.
 *
 * - `api`: the tests are the fixtures' cases, and one exploration. Each run
 *   starts a fresh reference in process under the active mutant, so start-up
 *   code is judged like the rest. The embedded store's own checks join them
 *   (see {@linkcode storeTests}).
 * - `browser`: the tests are the browser scenarios, against the reference's
 *   widget built from the instrumented source; the active mutant and the
 *   coverage travel through each browser context.
 *
 * The program stays up between runs: a mutant is switched on by setting
 * Stryker's namespace, which the instrumented code reads on every call.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { type LoadedCase, loadFixtures } from "../conformance/fixtures.ts";
import { type CaseResult, runsAlone, runSuite } from "../conformance/runner.ts";
import { startInProcessTarget, type Target } from "../conformance/target.ts";
import { explore } from "../conformance/explore/explore.ts";
import { launchChromium } from "../conformance/browser/chromium.ts";
import { LIMITS } from "../src/contract/common.ts";
import { runBrowserScenarios } from "../conformance/browser/run.ts";
import { type Scenario, SCENARIOS } from "../conformance/browser/scenarios.ts";
import {
  type Coverage,
  EXPLORE,
  type MutantRunAnswer,
  MUTATION_MARK,
  type TestResult,
  type WorkerRequest,
} from "./protocol.ts";

/** The namespace Stryker's instrumented code reads and writes. */
interface StrykerNamespace {
  activeMutant?: string | undefined;
  currentTestId?: string | undefined;
  mutantCoverage?: Coverage;
  hitCount?: number | undefined;
  hitLimit?: number | undefined;
}

const ns: StrykerNamespace = ((globalThis as { __stryker__?: StrykerNamespace }).__stryker__ ??= {});

/** One test of a suite: what Stryker sees, and how to run it against a target. */
interface SuiteTest {
  id: string;
  name: string;
  fileName: string;
  line: number;
  /** Whether it must have a reference of its own (it rotates the tenant's credentials, or moves the clock). */
  alone: boolean;
  /** Starts the reference it runs against, when not the default one (settings an operator gives). */
  start?: () => Promise<Target>;
  /** The failure, or `undefined` when it passed. */
  run(target: Target): Promise<string | undefined>;
}

/** Where in its file a test is written: the line that holds its id, zero-based. */
function lineOf(text: string, id: string): number {
  const at = text.indexOf(`"${id}"`);
  return at < 0 ? 0 : text.slice(0, at).split("\n").length - 1;
}

function failureOf(r: CaseResult): string | undefined {
  return r.status === "passed" ? undefined : `${r.id} ${r.status}: ${r.reason ?? ""}`.trim();
}

async function apiTests(): Promise<SuiteTest[]> {
  const cases = await loadFixtures("fixtures");
  const texts = new Map<string, string>();
  for (const c of cases) if (!texts.has(c.file)) texts.set(c.file, await Deno.readTextFile(c.file));
  const tests: SuiteTest[] = cases.map((c: LoadedCase) => ({
    id: c.id,
    name: `${c.id}: ${c.title}`,
    fileName: c.file,
    line: lineOf(texts.get(c.file)!, c.id),
    // The in-process reference has a test clock: a stalled body moves it.
    alone: runsAlone(c, true),
    run: async (target) => {
      const run = await runSuite({ target, cases: [c], concurrency: 1 });
      return failureOf(run.results[0]!);
    },
  }));
  tests.push(...lifetimeTests(cases));
  tests.push(...await storeTests());
  tests.push(...await operatorTests());
  tests.push({
    id: EXPLORE.id,
    name: EXPLORE.name,
    fileName: "conformance/explore/explore.ts",
    line: 0,
    alone: false,
    run: async (target) => {
      const result = await explore({ target, seed: EXPLORE.seed, runs: EXPLORE.runs, maxShrinkTries: 0 });
      return result.failure ? `explore: ${result.failure.disagreement.message}` : undefined;
    },
  });
  return tests;
}

/**
 * Visitor token lifetimes the reference is also judged with, set as an
 * operator sets them (`SETCHAT_VISITOR_TOKEN_TTL`): one second past the
 * shortest the contract allows (a lifetime in minutes and seconds) and the
 * longest. The default, 300, is what every other test runs with.
 */
export const CONFIGURED_LIFETIMES = [301, 900] as const;

/** Lifetimes start-up must refuse: one second outside each bound, and not whole seconds. */
const REFUSED_LIFETIMES = ["299", "901", "300.5", "5m"] as const;

/** Whether a case's verdict depends on the configured lifetime. */
function dependsOnLifetime(c: LoadedCase): boolean {
  return c.tags.includes("time") || ["S2S-MINT", "TOKEN-LIFETIME"].includes(c.clause);
}

function startWith(settings: Record<string, string>): () => Promise<Target> {
  return () => startInProcessTarget({}, settings);
}

/**
 * The reference with other lifetimes than the default: the cases that depend
 * on it, against each configured lifetime; and its start-up, which must
 * refuse a lifetime the contract does not allow (an operator sees that, no
 * client does: this test judges the reference itself, not through the API).
 */
function lifetimeTests(cases: LoadedCase[]): SuiteTest[] {
  const timed = cases.filter(dependsOnLifetime);
  const configured: SuiteTest[] = CONFIGURED_LIFETIMES.map((ttl) => ({
    id: `lifetime-${ttl}`,
    name: `lifetime-${ttl}: the ${timed.length} cases that depend on the token lifetime, against the reference ` +
      `started with SETCHAT_VISITOR_TOKEN_TTL=${ttl}`,
    fileName: "mutation/worker.ts",
    line: 0,
    alone: true,
    start: startWith({ SETCHAT_VISITOR_TOKEN_TTL: String(ttl) }),
    run: async (target) => {
      const run = await runSuite({ target, cases: timed, concurrency: 1 });
      const failures = run.results.map(failureOf).filter((f) => f !== undefined);
      return failures.length ? failures.join(" | ") : undefined;
    },
  }));
  const startup: SuiteTest = {
    id: "settings-lifetime",
    name: "settings-lifetime: start-up refuses a visitor token lifetime one second outside 300 to 900, or not in " +
      "whole seconds, naming SETCHAT_VISITOR_TOKEN_TTL, and starts at 300",
    fileName: "mutation/worker.ts",
    line: 0,
    alone: true,
    start: startWith({ SETCHAT_VISITOR_TOKEN_TTL: "300" }),
    run: async () => {
      for (const ttl of REFUSED_LIFETIMES) {
        let started: Target | undefined;
        try {
          started = await startWith({ SETCHAT_VISITOR_TOKEN_TTL: ttl })();
        } catch (error) {
          const { code, message } = error as { code?: unknown; message: string };
          if (code !== "invalid_setting" || !message.includes("SETCHAT_VISITOR_TOKEN_TTL")) {
            return `SETCHAT_VISITOR_TOKEN_TTL=${ttl} stopped start-up with ${String(code)}: ${message}`;
          }
          continue;
        }
        await started.close();
        return `the reference started with SETCHAT_VISITOR_TOKEN_TTL=${ttl}`;
      }
      return undefined;
    },
  };
  return [...configured, startup, asServed];
}

/**
 * The reference as an operator starts it with nothing set: no test clock (its
 * path is unknown, the discovery document names none), and bodies read under
 * the contract's deadline rather than the in-process reference's shorter one.
 */
const asServed: SuiteTest = {
  id: "settings-default",
  name: "settings-default: the reference started with no settings has no test clock, and reads a body under the " +
    "contract's deadline",
  fileName: "mutation/worker.ts",
  line: 0,
  alone: true,
  start: () => startInProcessTarget({}, {}, { asServed: true }),
  run: async (target) => {
    const discovery = await (await fetch(`${target.apiUrl}/.well-known/setchat.json`)).json();
    if (discovery.testClock !== undefined) return `the discovery document names a test clock: ${discovery.testClock}`;
    const clock = await fetch(`${target.apiUrl}/api/test/clock`, {
      headers: { authorization: `Bearer ${target.vars.adminToken}` },
    });
    await clock.body?.cancel();
    if (clock.status !== 404) return `GET /api/test/clock answered ${clock.status}, where no such path exists`;
    // A body in two pieces, the second a tenth of the contract's deadline after the first.
    const pieces = [`{"siteApiKey": "${target.vars.siteApiKey}", `, `"externalUserId": "user-settings-default"}`];
    const mint = await fetch(`${target.apiUrl}/api/widget/visitor-token`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.vars.serverToken}`, "content-type": "application/json" },
      body: new ReadableStream({
        async pull(controller) {
          const piece = pieces.shift();
          if (piece === undefined) return controller.close();
          if (pieces.length === 0) await new Promise((r) => setTimeout(r, LIMITS.bodyReadMs / 10));
          controller.enqueue(new TextEncoder().encode(piece));
        },
      }),
    });
    const text = await mint.text();
    return mint.status === 200 ? undefined : `a visitor token's body was answered ${mint.status}: ${text}`;
  },
};

/**
 * The embedded store's own checks, for what no request reaches or reaches
 * only by chance: the store contract on a file in a temporary directory, one
 * test per step, and the checks of the KV store's files, lock, restarts,
 * write-behind and races (`src/store/kv_store_checks.ts`). They run in this
 * process, on the instrumented store, and ignore the reference they are given.
 */
async function storeTests(): Promise<SuiteTest[]> {
  const { runStoreContract } = await import("../src/store/store_contract.ts");
  const { KV_STORE_CHECKS } = await import("../src/store/kv_store_checks.ts");
  const { openKvStore } = await import("../src/store/kv_store.ts");
  const contractFile = "src/store/store_contract.ts";
  const checksFile = "src/store/kv_store_checks.ts";
  const texts: Record<string, string> = {
    [contractFile]: await Deno.readTextFile(contractFile),
    [checksFile]: await Deno.readTextFile(checksFile),
  };
  const lineIn = (file: string, name: string) => {
    const at = texts[file]!.indexOf(name);
    return at < 0 ? 0 : texts[file]!.slice(0, at).split("\n").length - 1;
  };
  /** Runs the contract's step `only` (none: just names them) on stores in a temporary directory. */
  const contract = async (only: string | undefined, named: (name: string) => void = () => {}) => {
    const dir = await Deno.makeTempDir({ prefix: "setchat-mutation-" });
    try {
      let n = 0;
      const t = {
        step: async (name: string, fn: () => Promise<void>) => {
          named(name);
          if (name === only) await fn();
          return true;
        },
      } as unknown as Deno.TestContext;
      await runStoreContract(t, { open: () => openKvStore({ path: `${dir}/store${n++}.kv` }) });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  const steps: string[] = [];
  await contract(undefined, (name) => steps.push(name));
  const run = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  return [
    ...steps.map((name): SuiteTest => ({
      id: `store contract: ${name}`,
      name: `store contract on a file: ${name}`,
      fileName: contractFile,
      line: lineIn(contractFile, name),
      alone: false,
      run: run(() => contract(name)),
    })),
    ...KV_STORE_CHECKS.map((check): SuiteTest => ({
      id: `kv store: ${check.name}`,
      name: `kv store: ${check.name}`,
      fileName: checksFile,
      line: lineIn(checksFile, check.name),
      alone: false,
      run: run(check.fn),
    })),
  ];
}

/**
 * What the HTTP layer shows its operator alone (`src/operator_checks.ts`):
 * the access log, and the error log of an answer the server failed to give.
 * They run in this process, on the instrumented code, and ignore the
 * reference they are given.
 */
async function operatorTests(): Promise<SuiteTest[]> {
  const { OPERATOR_CHECKS } = await import("../src/operator_checks.ts");
  const file = "src/operator_checks.ts";
  const text = await Deno.readTextFile(file);
  return OPERATOR_CHECKS.map((check): SuiteTest => ({
    id: `operator: ${check.name}`,
    name: `operator: ${check.name}`,
    fileName: file,
    line: Math.max(0, text.slice(0, text.indexOf(check.name)).split("\n").length - 1),
    alone: false,
    run: async () => {
      try {
        await check.fn();
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  }));
}

/** Runs `tests` against one fresh reference, several at a time; stops at the first failure unless told. */
async function runApi(
  tests: SuiteTest[],
  options: { bail: boolean; onTest?: (test: SuiteTest) => void },
): Promise<{ failed: { test: SuiteTest; message: string }[]; ran: number }> {
  const failed: { test: SuiteTest; message: string }[] = [];
  let ran = 0;
  const shared = tests.filter((t) => !t.alone);
  const alone = tests.filter((t) => t.alone);
  const attempt = async (test: SuiteTest, target: Target) => {
    ran++;
    let message: string | undefined;
    try {
      message = await test.run(target);
    } catch (error) {
      message = `${test.id}: ${(error as Error).message}`;
    }
    if (message !== undefined) failed.push({ test, message });
  };
  const withTarget = async (run: (target: Target) => Promise<void>, first: SuiteTest) => {
    let target: Target;
    try {
      target = await (first.start ?? startInProcessTarget)();
    } catch (error) {
      ran++;
      failed.push({ test: first, message: `the reference did not start: ${(error as Error).message}` });
      return;
    }
    try {
      await run(target);
    } finally {
      await target.close();
    }
  };
  if (shared.length) {
    await withTarget(async (target) => {
      const queue = [...shared];
      await Promise.all(Array.from({ length: 6 }, async () => {
        for (let t = queue.shift(); t && !(options.bail && failed.length); t = queue.shift()) {
          await attempt(t, target);
        }
      }));
    }, shared[0]!);
  }
  for (const test of alone) {
    if (options.bail && failed.length) break;
    await withTarget((target) => attempt(test, target), test);
  }
  return { failed, ran };
}

/** The dry run of the API suite: every test alone on its own reference, its coverage recorded under its id. */
async function dryRunApi(tests: SuiteTest[]): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const test of tests) {
    ns.currentTestId = test.id;
    const started = performance.now();
    const { failed } = await runApi([{ ...test, alone: true }], { bail: false });
    ns.currentTestId = undefined;
    results.push({
      id: test.id,
      name: test.name,
      fileName: test.fileName,
      line: test.line,
      timeSpentMs: Math.round(performance.now() - started),
      ...(failed[0] ? { failure: failed[0].message } : {}),
    });
  }
  return results;
}

/**
 * The browser side: one Chromium, one reference, and every browser context
 * given the active mutant and a way to hand its coverage back before it closes.
 */
class BrowserSuite {
  #browser!: Browser;
  #target!: Target;
  #script = "";
  #durations = new Map<string, number>();
  readonly tests: (SuiteTest & { scenario: Scenario })[];
  coverage: Coverage = { static: {}, perTest: {} };

  constructor(readonly file: string) {
    this.tests = SCENARIOS.map((s) => ({
      id: s.id,
      name: `${s.id}: ${s.title}`,
      fileName: "conformance/browser/scenarios.ts",
      line: lineOf(file, s.id),
      alone: false,
      scenario: s,
      run: () => this.#runScenario(s),
    }));
  }

  async start(): Promise<void> {
    this.#target = await startInProcessTarget();
    this.#browser = await launchChromium();
  }

  async close(): Promise<void> {
    await this.#browser?.close();
    await this.#target?.close();
  }

  /**
   * What every page runs before the widget: Stryker's namespace, set for this run, and `__strykerTake()`, which hands
   * over the coverage counted since it was last called. The harness takes it before every navigation and close, as the
   * answer of an evaluation; a page that leaves by itself sends it on `pagehide`.
   */
  set(options: { mutant?: string | undefined; testId?: string | undefined }): void {
    const state = { activeMutant: options.mutant, currentTestId: options.testId };
    this.#script = `(() => {
      const ns = globalThis.__stryker__ = ${JSON.stringify(state)};
      const take = () => {
        const c = ns.mutantCoverage;
        if (!c) return null;
        const copy = JSON.stringify(c);
        for (const k of Object.keys(c.static)) delete c.static[k];
        for (const k of Object.keys(c.perTest)) delete c.perTest[k];
        return copy.length > 30 ? copy : null;
      };
      globalThis.__strykerTake = take;
      addEventListener("pagehide", () => {
        const copy = take();
        if (copy && typeof globalThis.__strykerCoverage === "function") globalThis.__strykerCoverage(copy);
      });
    })();`;
  }

  /**
   * A browser whose new contexts carry the run's script, and whose pages hand their coverage over before they
   * navigate or close. Taken as the answer of an evaluation, it cannot be lost on the way: a push from the page is
   * dropped when the page navigates before the call arrives, and with it whatever a step before the navigation reached.
   */
  #instrumented(): Browser {
    const browser = this.#browser;
    const script = () => this.#script;
    const merge = (c: Coverage) => this.#merge(c);
    const take = async (page: Page) => {
      const json = await page.evaluate("globalThis.__strykerTake?.() ?? null").catch(() => null);
      if (typeof json === "string") merge(JSON.parse(json));
    };
    const patched = new WeakSet<Page>();
    const patch = (page: Page) => {
      if (patched.has(page)) return;
      patched.add(page);
      for (const name of ["goto", "reload", "goBack", "goForward", "setContent", "close"] as const) {
        const original = (page[name] as (...a: unknown[]) => Promise<unknown>).bind(page);
        (page as unknown as Record<string, unknown>)[name] = async (...a: unknown[]) => {
          await take(page);
          return await original(...a);
        };
      }
    };
    const newContext = async (...args: Parameters<Browser["newContext"]>): Promise<BrowserContext> => {
      const context = await browser.newContext(...args);
      await context.exposeFunction("__strykerCoverage", (json: string) => merge(JSON.parse(json)));
      await context.addInitScript({ content: script() });
      context.on("page", patch);
      const newPage = context.newPage.bind(context);
      context.newPage = async () => {
        const page = await newPage();
        patch(page);
        return page;
      };
      const close = context.close.bind(context);
      context.close = async (...a: Parameters<BrowserContext["close"]>) => {
        await Promise.all(context.pages().map(take));
        await close(...a);
      };
      return context;
    };
    return new Proxy(browser, {
      get: (t, p) => p === "newContext" ? newContext : Reflect.get(t, p, t),
    });
  }

  #merge(c: Coverage): void {
    for (const [id, n] of Object.entries(c.static)) this.coverage.static[id] = (this.coverage.static[id] ?? 0) + n;
    for (const [test, hits] of Object.entries(c.perTest)) {
      const into = this.coverage.perTest[test] ??= {};
      for (const [id, n] of Object.entries(hits)) into[id] = (into[id] ?? 0) + n;
    }
  }

  async #runScenario(s: Scenario): Promise<string | undefined> {
    const started = performance.now();
    const [result] = await runBrowserScenarios({
      target: this.#target,
      scenarios: [s],
      browser: this.#instrumented(),
      concurrency: 1,
    });
    this.#durations.set(s.id, performance.now() - started);
    return failureOf(result!);
  }

  /** The quickest scenarios first: a mutant they catch costs least. */
  byDuration<T extends { id: string }>(tests: T[]): T[] {
    return [...tests].sort((a, b) => (this.#durations.get(a.id) ?? 0) - (this.#durations.get(b.id) ?? 0));
  }
}

async function main(suite: string): Promise<void> {
  const write = (answer: unknown) => console.log(MUTATION_MARK + JSON.stringify(answer));
  // The parent may die without closing our stdin (a timeout's kill): then this process goes too.
  const parent = (globalThis as { process?: { ppid: number } }).process?.ppid;
  setInterval(() => {
    if ((globalThis as { process?: { ppid: number } }).process?.ppid !== parent) Deno.exit(1);
  }, 1000);
  if (suite === "api") {
    // The reference's modules load here, before any test, so the code that runs once when a module loads (constants,
    // tables, schemas) is covered by no test: Stryker calls its mutants static and judges each in a worker of its own,
    // started with that mutant on, by every test. Loaded by the first test instead, they would be switched on too late.
    await import("../src/server.ts");
    await import("../src/store/kv_store_checks.ts");
    await import("../src/store/store_contract.ts");
  }
  const api = suite === "api" ? await apiTests() : [];
  const browser = suite === "browser"
    ? new BrowserSuite(await Deno.readTextFile("conformance/browser/scenarios.ts"))
    : undefined;
  await browser?.start();
  const tests: SuiteTest[] = browser ? browser.tests : api;
  write({ type: "ready" });

  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffer = "";
  for await (const chunk of lines) {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      const request = JSON.parse(line) as WorkerRequest;
      try {
        if (request.type === "dryRun") {
          let results: TestResult[];
          if (browser) {
            results = [];
            for (const test of browser.tests) {
              browser.set({ testId: test.id });
              const started = performance.now();
              const failure = await test.run(undefined as unknown as Target);
              results.push({
                id: test.id,
                name: test.name,
                fileName: test.fileName,
                line: test.line,
                timeSpentMs: Math.round(performance.now() - started),
                ...(failure ? { failure } : {}),
              });
            }
          } else {
            results = await dryRunApi(tests);
          }
          write({
            type: "dryRun",
            tests: results,
            coverage: browser ? browser.coverage : ns.mutantCoverage ?? { static: {}, perTest: {} },
          });
        } else if (request.type === "mutantRun") {
          write({ type: "mutantRun", ...await mutantRun(request, tests, browser) });
        }
      } catch (error) {
        write({ type: "error", message: (error as Error).stack ?? String(error) });
      }
    }
  }
  await browser?.close();
  Deno.exit(0);
}

async function mutantRun(
  request: Extract<WorkerRequest, { type: "mutantRun" }>,
  tests: SuiteTest[],
  browser: BrowserSuite | undefined,
): Promise<MutantRunAnswer> {
  const filter = request.testFilter ? new Set(request.testFilter) : undefined;
  const selected = tests.filter((t) => !filter || filter.has(t.id));
  if (browser) {
    browser.set({ mutant: request.mutantId });
    let ran = 0;
    for (const test of browser.byDuration(selected)) {
      ran++;
      const failure = await test.run(undefined as unknown as Target);
      // A kill counts only when the scenario fails again: a loaded machine must not kill a mutant.
      if (failure && await test.run(undefined as unknown as Target)) {
        return { status: "killed", killedBy: [test.id], failureMessage: failure, nrOfTests: ran };
      }
    }
    return { status: "survived", nrOfTests: ran };
  }
  ns.activeMutant = request.mutantId;
  ns.hitCount = request.hitLimit === undefined ? undefined : 0;
  ns.hitLimit = request.hitLimit;
  try {
    const { failed, ran } = await runApi(selected, { bail: !request.disableBail });
    if (ns.hitLimit !== undefined && (ns.hitCount ?? 0) > ns.hitLimit) {
      return { status: "timeout", reason: `hit limit reached (${ns.hitCount}/${ns.hitLimit})` };
    }
    if (failed.length) {
      return {
        status: "killed",
        killedBy: failed.map((f) => f.test.id),
        failureMessage: failed[0]!.message,
        nrOfTests: ran,
      };
    }
    return { status: "survived", nrOfTests: ran };
  } finally {
    ns.activeMutant = undefined;
    ns.hitCount = undefined;
    ns.hitLimit = undefined;
  }
}

if (import.meta.main) await main(Deno.args[0] ?? "api");
