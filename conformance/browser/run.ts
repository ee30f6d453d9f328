/**
 * Runs the browser scenarios: one Chromium, a fresh context per device (a
 * few scenarios at once). After every step, every device is judged on what
 * a person cannot see (its requests, its storage, each instant of its
 * screen); a failed check leaves a screenshot taken then, and a failed
 * scenario a Playwright trace and the console of each of its devices.
 */
import { join } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import type { Target } from "../target.ts";
import { type CaseResult, type CheckResult, describe, type StepResult } from "../runner.ts";
import { ENV_NAMES, type TargetVariable } from "../variables.ts";
import { Redactor } from "../redact.ts";
import { type Level, outsideProfile, type Profile } from "../levels.ts";
import { launchChromium } from "./chromium.ts";
import { ContractMismatch } from "./contract.ts";
import { CheckFailed, Device, type DeviceHooks } from "./device.ts";
import { startHostPage } from "./host.ts";
import { BROWSER_CHECKS, type BrowserCheckId, judge } from "./judge.ts";
import { ContextLog, Ledger } from "./log.ts";
import { SAMPLER_SCRIPT } from "./sampler.ts";
import { type Scenario, type ScenarioContext, SCENARIOS, scenarioSurfaces } from "./scenarios.ts";

/** Options of {@linkcode runBrowserScenarios}. */
export interface BrowserRunOptions {
  target: Target;
  scenarios?: Scenario[];
  /** A widget script to test instead of the target's (broken and independent widgets). */
  widgetScript?: string;
  /** Where the evidence of failures goes (screenshots, traces, consoles), under `browser/`. */
  outDir?: string;
  concurrency?: number;
  onResult?: (result: CaseResult) => void;
  /** A browser to reuse; launched (and closed) here otherwise. */
  browser?: Browser;
  /** Scenarios outside it are reported as not in profile, and steps of levels it does not hold are not run. */
  profile?: Profile;
}

/** The checks every step of every scenario gets, on every device. */
const EVERY_STEP: BrowserCheckId[] = [
  "screen-previous-person",
  "screen-other-tab",
  "no-sign-out-verified",
  "text-never-runs",
  "token-alone",
  "nothing-after-reset",
  "verified-asks-nothing-first",
  "ended-session-silent",
  "loss-only-after-verified",
];

/** Runs the scenarios against the target's widget. */
export async function runBrowserScenarios(options: BrowserRunOptions): Promise<CaseResult[]> {
  const { target } = options;
  const all = options.scenarios ?? SCENARIOS;
  const outside = new Map(all.map((s) => [s.id, options.profile && outsideProfile(base(s), options.profile)]));
  const scenarios = all.filter((s) => !outside.get(s.id));
  const notRun = (s: Scenario): CaseResult => ({
    ...base(s),
    status: "not-in-profile",
    reason: outside.get(s.id)!,
    durationMs: 0,
    steps: [],
  });
  if (scenarios.length === 0) return all.map(notRun);
  const browser = options.browser ?? await launchChromium();
  const host = startHostPage(target, options.widgetScript === undefined ? {} : { widgetScript: options.widgetScript });
  const redactor = new Redactor().addSettings(target.vars);
  const results = new Map<string, CaseResult>();
  try {
    // The longest first (their code's length stands for their work), so that the last to end is short.
    const queue = [...scenarios].sort((a, b) => b.run.toString().length - a.run.toString().length);
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        const context = { browser, hostUrl: host.url, options, redactor };
        let r = await runScenario(s, { ...context, trace: false });
        if (options.outDir && ["failed", "warning", "deviation"].includes(r.status)) {
          // Tracing every run costs a third of the suite's time: a scenario that fails runs again, traced.
          const again = await runScenario(s, { ...context, trace: true });
          const traces = (again.evidence ?? []).map((e) => ({
            ...e,
            label: `${e.label} of a second run (${again.status})`,
          }));
          r = { ...r, evidence: [...(r.evidence ?? []), ...traces] };
        }
        results.set(s.id, r);
        options.onResult?.(r);
      }
    }));
  } finally {
    await host.close();
    if (!options.browser) await browser.close();
  }
  return all.map((s) => results.get(s.id) ?? notRun(s));
}

/** The `--list` lines of the scenarios, then of the checks every one of them makes. */
export function listScenarios(scenarios: Scenario[], profile?: Profile): string[] {
  if (scenarios.length === 0) return [];
  const lines = scenarios.map((s) => {
    const c = base(s);
    const outside = profile ? outsideProfile(c, profile) : undefined;
    return `${s.id}  [${s.clause}, ${s.level}] ${s.title}  (surfaces ${c.surfaces.join(", ")}; tags ${
      s.tags.join(", ")
    }; needs ${s.needs.join(", ")})${outside ? `  — not in profile: ${outside}` : ""}`;
  });
  lines.push("Every browser scenario also checks, on every device:");
  for (const [id, c] of Object.entries(BROWSER_CHECKS)) lines.push(`  ${id}  [${c.clause}, ${c.level}] ${c.rule}`);
  return lines;
}

/** What a result says of a scenario. */
function base(scenario: Scenario) {
  return describe({
    ...scenario,
    file: "conformance/browser/scenarios.ts",
    suite: "Browser",
    surfaces: scenarioSurfaces(scenario),
  });
}

/** A step stopped: its failure is recorded already. */
class StepStopped extends Error {
  override name = "StepStopped";
}

/** A file name's part for `name`. */
function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "device";
}

async function runScenario(
  scenario: Scenario,
  run: { browser: Browser; hostUrl: string; options: BrowserRunOptions; redactor: Redactor; trace: boolean },
): Promise<CaseResult> {
  const { target, outDir } = run.options;
  const head = base(scenario);
  const missing = scenario.needs.filter((n) => n in ENV_NAMES && !target.vars[n as TargetVariable]);
  if (missing.length) {
    const names = missing.map((n) => ENV_NAMES[n as TargetVariable]).join(", ");
    return { ...head, status: "skipped", reason: `needs ${names}`, durationMs: 0, steps: [] };
  }
  const levels = run.options.profile?.levels ?? ["must", "should", "reference"];
  const unique = crypto.randomUUID().slice(0, 8);
  const ledger = new Ledger(unique);
  const contexts: { log: ContextLog; context: BrowserContext; reportedKeys: Set<string> }[] = [];
  const devices: Device[] = [];
  const steps: StepResult[] = [];
  const evidence: { label: string; path: string }[] = [];
  const dir = outDir ? join(outDir, "browser", scenario.id) : undefined;
  const redact = (text: string) => run.redactor.apply(text);
  let current: CheckResult[] = [];
  const started = performance.now();

  const record = (level: Level, check: string, problems: string[]) => {
    current.push(
      problems.length ? { level, check, ok: false, detail: redact(problems.join("; ")) } : { level, check, ok: true },
    );
  };
  const check = (id: BrowserCheckId, problems: string[]) => {
    const { level } = BROWSER_CHECKS[id];
    if (!levels.includes(level)) return true;
    record(level, id, problems);
    return !(problems.length && level === "must");
  };
  const hooks: DeviceHooks = { target, hostUrl: run.hostUrl, check };

  /** Judges every device on what happened since the last judgement. */
  const audit = async () => {
    await Promise.all(devices.map((d) => d.collect()));
    await ledger.settled();
    const found = new Map<BrowserCheckId, string[]>(EVERY_STEP.map((id) => [id, []]));
    for (const c of contexts) {
      for (const v of judge(c.log, ledger)) {
        if (c.reportedKeys.has(`${v.check}|${v.key}`)) continue;
        c.reportedKeys.add(`${v.check}|${v.key}`);
        (found.get(v.check) ?? found.set(v.check, []).get(v.check)!).push(v.message);
      }
      // Late answers must not bring back a credential a reset forgot.
      const lastReset = c.log.marks().filter((m) => m.kind === "reset").at(-1);
      const tab = devices.find((d) => d.log === c.log);
      if (lastReset && tab) {
        const problems = await tab.storageHolds(c.log.credentialsBefore(lastReset), "after the late answers");
        const fresh = problems.filter((p) => !c.reportedKeys.has(`storage|${p}`));
        fresh.forEach((p) => c.reportedKeys.add(`storage|${p}`));
        if (fresh.length) found.set("reset-forgets-credential", fresh);
      }
    }
    for (const [id, problems] of found) {
      const { level } = BROWSER_CHECKS[id];
      if (levels.includes(level)) record(level, id, problems);
    }
  };

  const screenshots = async (step: number) => {
    if (!dir) return;
    await Deno.mkdir(dir, { recursive: true });
    await Promise.all(
      devices.filter((d) => !d.page.isClosed()).map(async (d) => {
        const path = join(dir, `step-${step}-${slug(d.name)}.png`);
        await d.page.screenshot({ path, timeout: 5000 }).then(
          () =>
            evidence.push({
              label: `step ${step}, ${d.name}: screenshot`,
              path: join("browser", scenario.id, `step-${step}-${slug(d.name)}.png`),
            }),
          () => {},
        );
      }),
    );
  };

  const ctx: ScenarioContext = {
    target,
    unique,
    async device(name, o = {}) {
      const context = await run.browser.newContext({ viewport: { width: 1200, height: 800 }, locale: "en-US" });
      await context.addInitScript(SAMPLER_SCRIPT);
      if (dir && run.trace) {
        await context.tracing.start({ screenshots: true, snapshots: true, title: `${scenario.id}: ${name}` });
      }
      const page = await context.newPage();
      if (o.clock) await page.clock.install();
      const log = new ContextLog(name, context, ledger, target.apiUrl);
      contexts.push({ log, context, reportedKeys: new Set() });
      const device = await new Device(name, context, page, log, hooks).watchErrors();
      devices.push(device);
      const newTab = device.newTab.bind(device);
      device.newTab = async (tabName) => {
        const tab = await newTab(tabName);
        devices.push(tab);
        return tab;
      };
      return device;
    },
    async step(name, body, o = {}) {
      const level = o.level ?? scenario.level;
      const t = performance.now();
      if (!levels.includes(level)) {
        steps.push({
          name,
          level,
          ok: true,
          problems: [],
          notRun: `a ${level} step, not held in this profile`,
          durationMs: 0,
        });
        return undefined as never;
      }
      current = [];
      let value: unknown;
      let error: unknown;
      try {
        value = await body();
        record(level, name, []);
      } catch (e) {
        error = e;
        if (!(e instanceof StepStopped) && !(e instanceof CheckFailed)) {
          const check = e instanceof ContractMismatch ? "widget-contract" : name;
          record(e instanceof ContractMismatch ? "must" : level, check, [(e as Error).message.split("\n")[0]!]);
        }
      }
      // The screen at the failing check, before judging the devices moves anything.
      const shot = error !== undefined || current.some((c) => c.ok === false);
      if (shot && !run.trace) await screenshots(steps.length + 1);
      try {
        await audit();
      } catch (e) {
        record(level, "judging the devices", [`Cannot judge the devices: ${(e as Error).message}`]);
      }
      const failed = current.filter((c) => c.ok === false);
      if (failed.length && !shot && !run.trace) await screenshots(steps.length + 1);
      steps.push({
        name,
        level,
        ok: failed.length === 0,
        problems: failed.map((c) => `[${c.level}] ${c.check === name ? "" : `${c.check}: `}${c.detail}`),
        checks: current,
        durationMs: Math.round(performance.now() - t),
      });
      if (error || failed.some((c) => c.level === "must")) throw new StepStopped(name);
      return value as never;
    },
    check(id, problems) {
      if (!check(id, problems)) throw new CheckFailed(problems[0]);
    },
    async agent(method, path, body) {
      const res = await fetch(`${target.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${target.vars.adminToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = await res.json();
      if (!res.ok) throw new Error(`The agent API answered ${res.status}: ${json?.code ?? ""}`);
      const written = (body as { text?: unknown } | undefined)?.text;
      const conversation = /\/conversations\/([^/]+)\/messages$/.exec(path)?.[1];
      if (conversation && typeof written === "string") ledger.agentWrote(decodeURIComponent(conversation), written);
      return json;
    },
  };

  let crashed: unknown;
  try {
    await scenario.run(ctx);
  } catch (e) {
    if (!(e instanceof StepStopped) && !(e instanceof CheckFailed)) crashed = e;
  }
  if (crashed) {
    steps.push({
      name: "the scenario",
      level: scenario.level,
      ok: false,
      problems: [`[${scenario.level}] ${redact((crashed as Error).message.split("\n")[0]!)}`],
      checks: [{ level: scenario.level, check: "the scenario", ok: false, detail: redact(String(crashed)) }],
      durationMs: 0,
    });
  }
  const worst = (["must", "should", "reference"] as const).find((l) =>
    steps.some((s) => s.checks?.some((c) => c.ok === false && c.level === l))
  );
  const status = worst === "must" ? "failed" : worst === "should" ? "warning" : worst ? "deviation" : "passed";
  const reason = worst
    ? steps.map((s, k) => ({ s, k })).filter(({ s }) => s.problems.length)
      .map(({ s, k }) => `step ${k + 1} (${s.name}): ${s.problems.join("; ")}`).join(" | ")
    : undefined;
  await Promise.all(contexts.map(async ({ context, log }) => {
    if (!dir || !run.trace) return;
    await Deno.mkdir(dir, { recursive: true });
    const file = `${slug(log.name)}.trace.zip`;
    await context.tracing.stop({ path: join(dir, file) }).then(
      () => evidence.push({ label: `${log.name}: Playwright trace`, path: join("browser", scenario.id, file) }),
      () => {},
    );
  }));
  if (dir && !run.trace && status !== "passed") {
    await Promise.all(devices.map(async (d) => {
      const file = `${slug(d.name)}.log`;
      const calls = d.log.calls().filter((c) => c.tab === d.name)
        .map((c) => `${c.method} ${c.path} → ${c.status ?? "no answer"}`);
      const text = [
        `${d.name}: console`,
        ...(await d.consoleLog()),
        "",
        `${d.name}: requests to the widget API`,
        ...calls,
      ].join("\n");
      await Deno.writeTextFile(join(dir, file), redact(text) + "\n");
      evidence.push({ label: `${d.name}: console and requests`, path: join("browser", scenario.id, file) });
    }));
  }
  await Promise.all(contexts.map((c) => c.context.close()));
  return {
    ...head,
    status,
    ...(reason ? { reason: redact(reason) } : {}),
    durationMs: Math.round(performance.now() - started),
    steps,
    ...(evidence.length ? { evidence: evidence.sort((a, b) => a.path.localeCompare(b.path)) } : {}),
  };
}
