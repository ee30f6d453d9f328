/** Runs the suite against every broken build and tells which cases catch each. */
import { launchChromium } from "./browser/chromium.ts";
import { runBrowserScenarios } from "./browser/run.ts";
import { buildWidgetMutant, WIDGET_MUTANTS } from "./browser/widget_mutants.ts";
import { loadFixtures } from "./fixtures.ts";
import { MUTANTS } from "./mutants.ts";
import { runSuite } from "./runner.ts";
import { startInProcessTarget } from "./target.ts";

/** One mutant and the cases that caught it. */
export interface Kill {
  mutant: string;
  bug: string;
  breaks: string;
  caughtBy: string[];
}

/** Runs the whole suite against each mutant. */
export async function killTable(fixtures = "fixtures"): Promise<Kill[]> {
  const cases = await loadFixtures(fixtures);
  const kills: Kill[] = [];
  for (const m of MUTANTS) {
    const target = await startInProcessTarget(m.options());
    try {
      const run = await runSuite({ target, cases });
      const caughtBy = run.results.filter((r) => r.status === "failed").map((r) => r.id);
      kills.push({ mutant: m.name, bug: m.bug, breaks: m.breaks, caughtBy });
    } finally {
      await target.close();
    }
  }
  return kills;
}

/** The kill table as README Markdown. */
export function killTableMarkdown(kills: Kill[]): string {
  const rows = kills.map((k) => {
    const shown = k.caughtBy.slice(0, 3).map((id) => `\`${id}\``).join(", ");
    const more = k.caughtBy.length > 3 ? ` and ${k.caughtBy.length - 3} more` : "";
    return `| \`${k.mutant}\` | ${k.bug} | ${k.breaks} | ${k.caughtBy.length ? `${shown}${more}` : "**survives**"} |`;
  });
  return ["| mutant | its bug | breaks | caught by |", "|---|---|---|---|", ...rows].join("\n");
}

/** Runs the browser scenarios against each broken widget. */
export async function widgetKillTable(): Promise<Kill[]> {
  const target = await startInProcessTarget();
  const browser = await launchChromium();
  try {
    const kills: Kill[] = [];
    for (const m of WIDGET_MUTANTS) {
      const results = await runBrowserScenarios({
        target,
        browser,
        concurrency: 3,
        widgetScript: await buildWidgetMutant(m),
      });
      kills.push({
        mutant: m.name,
        bug: m.bug,
        breaks: m.breaks,
        caughtBy: results.filter((r) => r.status === "failed").map((r) => r.id),
      });
    }
    return kills;
  } finally {
    await browser.close();
    await target.close();
  }
}

/** The broken widgets' kill table as README Markdown. */
export function widgetKillTableMarkdown(kills: Kill[]): string {
  return killTableMarkdown(kills).replace("| mutant |", "| broken widget |");
}
