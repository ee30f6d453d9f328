/**
 * The browser suite judged on a widget it was not built with: the
 * independent widget (`independent/widget/`), written from docs/widget.md
 * alone, and each bug planted in it. Every planted bug names the scenario
 * and the check that must catch it, at the level of the rule it breaks.
 */
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { bundle } from "../../tools/build.ts";
import { PLANTED_BUGS, type PlantedBug } from "../../independent/widget/planted.ts";
import type { Level } from "../levels.ts";
import type { CaseResult } from "../runner.ts";
import { startInProcessTarget, type Target } from "../target.ts";
import { launchChromium } from "../browser/chromium.ts";
import { BROWSER_CHECKS, type BrowserCheckId } from "../browser/judge.ts";
import { runBrowserScenarios } from "../browser/run.ts";
import { SCENARIOS } from "../browser/scenarios.ts";

export { PLANTED_BUGS, type PlantedBug };

/** The scenario and the check that catch each planted bug. */
export const PLANTED_WIDGET: Record<PlantedBug, { scenario: string; check: BrowserCheckId }> = {
  "init-returns-nothing": { scenario: "browser-verified-other-device", check: "widget-contract" },
  "reset-without-event": { scenario: "browser-shared-browser", check: "reset-contract" },
  "reset-skips-logout": { scenario: "browser-shared-browser", check: "reset-ends-session" },
  "reset-keeps-device": { scenario: "browser-shared-browser", check: "nothing-after-reset" },
  "late-session-kept": { scenario: "browser-reset-in-flight", check: "reset-forgets-credential" },
  "reset-keeps-form": { scenario: "browser-prechat-then-sign-in", check: "nothing-after-reset" },
  "reset-leaves-polling": { scenario: "browser-shared-browser", check: "ended-session-silent" },
  "prechat-with-token": { scenario: "browser-prechat-then-sign-in", check: "token-alone" },
  "config-merged": { scenario: "browser-account-switch", check: "token-alone" },
  "anonymous-before-exchange": { scenario: "browser-first-visit", check: "verified-asks-nothing-first" },
  "stale-list-on-switch": { scenario: "browser-account-switch", check: "screen-previous-person" },
  "late-answer-applied": { scenario: "browser-account-switch", check: "screen-previous-person" },
  "signed-out-first-visit": { scenario: "browser-first-visit", check: "loss-only-after-verified" },
  "forget-for-verified": { scenario: "browser-verified-other-device", check: "no-sign-out-verified" },
  "other-tabs-debounced": { scenario: "browser-logout-other-tab", check: "screen-other-tab" },
  "html-text": { scenario: "browser-markup-as-text", check: "text-never-runs" },
  "names-as-html": { scenario: "browser-markup-as-text", check: "text-shown-as-text" },
};

let bundled: Promise<string> | undefined;

/** The independent widget's script, built once; `bugs` are switched on before it runs. */
export async function independentWidgetScript(bugs: readonly PlantedBug[] = []): Promise<string> {
  bundled ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "setchat-independent-widget-" });
    try {
      await bundle({ entry: "independent/widget/mod.ts", output: "widget.js" }, {
        outputRoot: new URL(`file://${dir}/`),
      });
      return await Deno.readTextFile(join(dir, "widget.js"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  })();
  const script = await bundled;
  return bugs.length ? `globalThis.SETCHAT_PLANTED_BUGS = ${JSON.stringify(bugs)};\n${script}` : script;
}

/** How the run against one planted bug ended. */
export interface PlantedWidgetKill {
  bug: PlantedBug;
  description: string;
  scenario: string;
  check: BrowserCheckId;
  level: Level;
  /** How the named scenario ended. */
  status: CaseResult["status"];
  /** Whether the named check failed in it. */
  caught: boolean;
  /** What the named check said. */
  detail: string;
  /** Every check that failed in the run, the named one included. */
  failedChecks: string[];
}

/** Runs each planted bug's scenario against the independent widget with that bug, a few at a time. */
export async function plantedWidgetKills(
  options: { target: Target; browser: Browser; concurrency?: number; outDir?: string },
): Promise<PlantedWidgetKill[]> {
  const queue = Object.keys(PLANTED_WIDGET) as PlantedBug[];
  const kills = new Map<PlantedBug, PlantedWidgetKill>();
  await Promise.all(Array.from({ length: options.concurrency ?? 3 }, async () => {
    for (let bug = queue.shift(); bug; bug = queue.shift()) {
      const { scenario, check } = PLANTED_WIDGET[bug];
      const [result] = await runBrowserScenarios({
        target: options.target,
        browser: options.browser,
        scenarios: SCENARIOS.filter((s) => s.id === scenario),
        widgetScript: await independentWidgetScript([bug]),
        ...(options.outDir ? { outDir: join(options.outDir, bug) } : {}),
      });
      const checks = result!.steps.flatMap((s) => s.checks ?? []).filter((c) => c.ok === false);
      const failed = checks.find((c) => c.check === check);
      kills.set(bug, {
        bug,
        description: PLANTED_BUGS[bug],
        scenario,
        check,
        level: BROWSER_CHECKS[check].level,
        status: result!.status,
        caught: failed !== undefined,
        detail: failed?.detail ?? result!.reason ?? "",
        failedChecks: [...new Set(checks.map((c) => c.check))],
      });
    }
  }));
  return (Object.keys(PLANTED_WIDGET) as PlantedBug[]).map((b) => kills.get(b)!);
}

/** {@linkcode plantedWidgetKills} against a reference started here, in a browser launched here. */
export async function plantedWidgetKillTable(): Promise<PlantedWidgetKill[]> {
  const target = await startInProcessTarget();
  const browser = await launchChromium();
  try {
    return await plantedWidgetKills({ target, browser, concurrency: 4 });
  } finally {
    await browser.close();
    await target.close();
  }
}

/** The planted widget bugs' kill table as Markdown for docs/conformance.md. */
export function plantedWidgetKillTableMarkdown(kills: PlantedWidgetKill[]): string {
  return [
    "| planted bug | its bug | caught by | check | level | the scenario |",
    "|---|---|---|---|---|---|",
    ...kills.map((k) =>
      `| \`${k.bug}\` | ${k.description.replaceAll("|", "\\|")} | \`${k.scenario}\` | \`${k.check}\` | ${k.level} | ${
        k.caught ? (k.status === "failed" ? "fails" : k.status === "warning" ? "warns" : k.status) : "**survives**"
      } |`
    ),
  ].join("\n");
}
