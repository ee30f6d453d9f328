import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "./cli.ts";
import { launchChromium } from "./browser/chromium.ts";
import { runBrowserScenarios } from "./browser/run.ts";
import { SCENARIOS } from "./browser/scenarios.ts";
import { applyPatches, buildWidgetMutant, WIDGET_MUTANTS } from "./browser/widget_mutants.ts";
import { startInProcessTarget } from "./target.ts";
import { docSection, formatMarkdown } from "../tools/docs.ts";
import { widgetKillTableMarkdown } from "./kill_table.ts";

Deno.test("every browser scenario passes against the reference widget, through the command line", async () => {
  const out = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    const started = performance.now();
    const { exitCode, run } = await main(
      ["--browser", "--tag", "browser", "--reporter", "pretty,junit", "--out", out],
      (l) => lines.push(l),
    );
    const seconds = (performance.now() - started) / 1000;
    assert.equal(exitCode, 0, lines.join("\n"));
    assert.deepEqual(run!.results.map((r) => [r.id, r.status]), SCENARIOS.map((s) => [s.id, "passed"]));
    const junit = await Deno.readTextFile(join(out, "junit.xml"));
    for (const s of SCENARIOS) assert.ok(junit.includes(s.id), `${s.id} is not in the JUnit report`);
    console.log(`Browser scenarios: ${SCENARIOS.length} in ${seconds.toFixed(1)} s`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("every broken widget is caught by a scenario, with a screenshot and a console log", async () => {
  const target = await startInProcessTarget();
  const browser = await launchChromium();
  const out = await Deno.makeTempDir();
  try {
    const kills: { mutant: string; bug: string; breaks: string; caughtBy: string[] }[] = [];
    for (const mutant of WIDGET_MUTANTS) {
      const results = await runBrowserScenarios({
        target,
        browser,
        outDir: out,
        concurrency: 3,
        widgetScript: await buildWidgetMutant(mutant),
      });
      const caughtBy = results.filter((r) => r.status === "failed").map((r) => r.id);
      assert.ok(caughtBy.length > 0, `the broken widget ${mutant.name} (${mutant.bug}) passes every scenario`);
      kills.push({ mutant: mutant.name, bug: mutant.bug, breaks: mutant.breaks, caughtBy });
    }
    const files = [...Deno.readDirSync(join(out, "browser"))].map((e) => e.name);
    assert.ok(files.some((f) => f.endsWith(".png")) && files.some((f) => f.endsWith(".log")), files.join(", "));
    assert.equal(
      await docSection("widget-kills"),
      (await formatMarkdown(widgetKillTableMarkdown(kills))).trim(),
      "the widget kill table of docs/conformance.md is stale: run `deno task docs`",
    );
  } finally {
    await browser.close();
    await target.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a broken widget's patch must match exactly once", () => {
  const mutant = WIDGET_MUTANTS[0]!;
  assert.throws(() => applyPatches("no such code", mutant), /matches 0 times, not once/);
});
