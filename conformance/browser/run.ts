/**
 * Runs the browser scenarios: one Chromium, a fresh context per device, a
 * few scenarios at once, the longest first (`scenario_run.ts` runs one). A
 * scenario that fails runs again, traced, for its evidence.
 */
import type { Browser } from "playwright-core";
import type { Target } from "../target.ts";
import { type CaseResult, describe } from "../runner.ts";
import { ENV_NAMES, type TargetVariable } from "../variables.ts";
import { Redactor } from "../redact.ts";
import { outsideProfile, type Profile } from "../levels.ts";
import { launchChromium } from "./chromium.ts";
import { startHostPage } from "./host.ts";
import { BROWSER_CHECKS } from "./judge.ts";
import { ScenarioRun } from "./scenario_run.ts";
import { type Scenario, SCENARIOS, scenarioSurfaces } from "./scenarios.ts";

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
    const levels = options.profile?.levels ?? ["must", "should", "reference"];
    const run = (s: Scenario, trace: boolean) => {
      const missing = s.needs.filter((n) => n in ENV_NAMES && !target.vars[n as TargetVariable]);
      if (missing.length || (s.needs.includes("signingKey") && !target.signingKey)) {
        const names = [
          ...missing.map((n) => ENV_NAMES[n as TargetVariable]),
          ...(s.needs.includes("signingKey") && !target.signingKey ? ["the target's signing key (--signing-key)"] : []),
        ].join(", ");
        return Promise.resolve<CaseResult>({
          ...base(s),
          status: "skipped",
          reason: `needs ${names}`,
          durationMs: 0,
          steps: [],
        });
      }
      const o = { target, browser, hostUrl: host.url, redactor, levels, outDir: options.outDir, trace };
      return new ScenarioRun(s, o).result(base(s));
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        let r = await run(s, false);
        if (options.outDir && ["failed", "warning", "deviation"].includes(r.status)) {
          // Tracing every run costs a third of the suite's time: a scenario that fails runs again, traced.
          const again = await run(s, true);
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
  lines.push("The browser checks, beyond the scenarios' own steps:");
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
