/** Runs the browser scenarios: one Chromium, a fresh context per device. */
import { join } from "node:path";
import type { Browser } from "playwright-core";
import type { Target } from "../target.ts";
import { type CaseResult, describe, type StepResult } from "../runner.ts";
import { ENV_NAMES, type TargetVariable } from "../variables.ts";
import { Redactor } from "../redact.ts";
import { launchChromium } from "./chromium.ts";
import { Device } from "./device.ts";
import { startHostPage } from "./host.ts";
import { type Scenario, type ScenarioContext, SCENARIOS, scenarioSurfaces } from "./scenarios.ts";
import { outsideProfile, type Profile } from "../levels.ts";

/** Options of {@linkcode runBrowserScenarios}. */
export interface BrowserRunOptions {
  target: Target;
  scenarios?: Scenario[];
  /** A widget script to test instead of the target's (the broken widgets). */
  widgetScript?: string;
  /** Where screenshots and console logs of failures go. */
  outDir?: string;
  concurrency?: number;
  onResult?: (result: CaseResult) => void;
  /** A browser to reuse; launched (and closed) here otherwise. */
  browser?: Browser;
  /** Scenarios outside it are reported as not in profile; default every scenario runs. */
  profile?: Profile;
}

/** Runs the scenarios against the target's widget. */
export async function runBrowserScenarios(options: BrowserRunOptions): Promise<CaseResult[]> {
  const { target } = options;
  const all = options.scenarios ?? SCENARIOS;
  const outside = new Map(all.map((s) => [s.id, options.profile && outsideProfile(base(s), options.profile)]));
  const scenarios = all.filter((s) => !outside.get(s.id));
  if (scenarios.length === 0) {
    return all.map((s) => ({
      ...base(s),
      status: "not-in-profile",
      reason: outside.get(s.id)!,
      durationMs: 0,
      steps: [],
    }));
  }
  const browser = options.browser ?? await launchChromium();
  const host = startHostPage(target, options.widgetScript === undefined ? {} : { widgetScript: options.widgetScript });
  const redactor = new Redactor();
  redactor.add(target.vars.serverToken, ENV_NAMES.serverToken);
  redactor.add(target.vars.adminToken, ENV_NAMES.adminToken);
  const results: CaseResult[] = [];
  try {
    const queue = [...scenarios];
    await Promise.all(Array.from({ length: options.concurrency ?? 2 }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        const r = await runScenario(s, browser, host, options, redactor);
        results.push(r);
        options.onResult?.(r);
      }
    }));
  } finally {
    await host.close();
    if (!options.browser) await browser.close();
  }
  return all.map((s) =>
    results.find((r) => r.id === s.id) ??
      { ...base(s), status: "not-in-profile", reason: outside.get(s.id)!, durationMs: 0, steps: [] }
  );
}

/** What a result says of a scenario: every check of a scenario is a `must`. */
function base(scenario: Scenario) {
  return describe({
    ...scenario,
    file: "conformance/browser/scenarios.ts",
    suite: "Browser",
    level: "must",
    surfaces: scenarioSurfaces(scenario),
  });
}

async function runScenario(
  scenario: Scenario,
  browser: Browser,
  host: ReturnType<typeof startHostPage>,
  options: BrowserRunOptions,
  redactor: Redactor,
): Promise<CaseResult> {
  const { target } = options;
  const head = base(scenario);
  const missing = scenario.needs.filter((n) => n in ENV_NAMES && !target.vars[n as TargetVariable]);
  if (missing.length) {
    const names = missing.map((n) => ENV_NAMES[n as TargetVariable]).join(", ");
    return { ...head, status: "skipped", reason: `needs ${names}`, durationMs: 0, steps: [] };
  }
  const devices: Device[] = [];
  const steps: StepResult[] = [];
  const started = performance.now();
  const ctx: ScenarioContext = {
    target,
    host,
    unique: crypto.randomUUID().slice(0, 8),
    async device(name, o = {}) {
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, locale: "en-US" });
      const page = await context.newPage();
      if (o.clock) await page.clock.install();
      const device = new Device(name, context, page);
      devices.push(device);
      return device;
    },
    async step(name, run) {
      const t = performance.now();
      try {
        const value = await run();
        const checks = [{ level: "must" as const, check: name, ok: true }];
        steps.push({
          name,
          level: "must",
          ok: true,
          problems: [],
          checks,
          durationMs: Math.round(performance.now() - t),
        });
        return value;
      } catch (error) {
        const message = redactor.apply((error as Error).message.split("\n")[0]!);
        const checks = [{ level: "must" as const, check: name, ok: false, detail: message }];
        steps.push({
          name,
          level: "must",
          ok: false,
          problems: [`[must] ${message}`],
          checks,
          durationMs: Math.round(performance.now() - t),
        });
        throw new Error(`${name}: ${message}`, { cause: error });
      }
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
      return json;
    },
  };
  try {
    await scenario.run(ctx);
    return { ...head, status: "passed", durationMs: Math.round(performance.now() - started), steps };
  } catch (error) {
    let reason = redactor.apply((error as Error).message.split("\n")[0]!);
    if (options.outDir) {
      const dir = join(options.outDir, "browser");
      await Deno.mkdir(dir, { recursive: true });
      const saved: string[] = [];
      for (const [i, d] of devices.entries()) {
        const stem = join(dir, `${scenario.id}-${i + 1}`);
        await d.page.screenshot({ path: `${stem}.png` }).catch(() => {});
        await Deno.writeTextFile(`${stem}.log`, redactor.apply(`${d.name}\n${d.logs.join("\n")}\n`));
        saved.push(`${stem}.png`);
      }
      if (saved.length) reason += ` (screenshots and console logs: ${saved.join(", ")} and .log)`;
    }
    return { ...head, status: "failed", reason, durationMs: Math.round(performance.now() - started), steps };
  } finally {
    await Promise.all(devices.map((d) => d.context.close()));
  }
}
