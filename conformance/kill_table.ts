/** Runs the suite against every broken build and tells which cases catch each. */
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
