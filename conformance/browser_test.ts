import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "./cli.ts";
import { launchChromium } from "./browser/chromium.ts";
import { WIDGET_DOC, WIDGET_RULES } from "./browser/contract.ts";
import { BROWSER_CHECKS } from "./browser/judge.ts";
import {
  independentWidgetScript,
  PLANTED_BUGS,
  PLANTED_WIDGET,
  plantedWidgetKills,
  plantedWidgetKillTableMarkdown,
} from "./proof/independent_widget.ts";
import { runBrowserScenarios } from "./browser/run.ts";
import { SCENARIOS } from "./browser/scenarios.ts";
import { applyPatches, WIDGET_MUTANTS } from "./proof/widget_mutants.ts";
import { ENV_NAMES, startInProcessTarget, type Target } from "./target.ts";
import { docSection, formatMarkdown } from "../tools/docs.ts";
import { widgetKillTable, widgetKillTableMarkdown } from "./proof/kill_table.ts";

/** Serves one script on a free loopback port, as a vendor's CDN would. */
function serveScript(script: string): { url: string; close(): Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    await request.body?.cancel();
    return new URL(request.url).pathname === "/widget.js"
      ? new Response(script, { headers: { "content-type": "text/javascript", "access-control-allow-origin": "*" } })
      : new Response("Not found", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/widget.js`, close: () => server.shutdown() };
}

/** A target's settings as a vendor keeps them, in an env file. */
async function envFileFor(target: Target, dir: string): Promise<string> {
  const lines = [`SETCHAT_API_URL=${target.apiUrl}`];
  for (const [name, env] of Object.entries(ENV_NAMES)) {
    const value = target.vars[name as keyof typeof target.vars];
    if (value) lines.push(`${env}=${value}`);
  }
  const file = join(dir, "staging.env");
  await Deno.writeTextFile(file, lines.join("\n") + "\n", { mode: 0o600 });
  return file;
}

Deno.test("every browser scenario passes against the reference widget, through the command line", async () => {
  const out = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    const { exitCode, run } = await main(
      ["--browser", "--tag", "browser", "--reporter", "pretty,junit", "--out", out],
      (l) => lines.push(l),
    );
    assert.equal(exitCode, 0, lines.join("\n"));
    assert.deepEqual(run!.results.map((r) => [r.id, r.status]), SCENARIOS.map((s) => [s.id, "passed"]));
    assert.ok(run!.checks.must.passed > SCENARIOS.length * 20, `${run!.checks.must.passed} must checks`);
    const junit = await Deno.readTextFile(join(out, "junit.xml"));
    for (const s of SCENARIOS) assert.ok(junit.includes(s.id), `${s.id} is not in the JUnit report`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

/**
 * Where the independent widget departs from choices docs/widget.md gives as the reference widget's own: a run in the
 * reference profile reports those scenarios as deviations (never failures), and only those.
 */
const INDEPENDENT_WIDGET_CHOICES: Record<string, string> = {
  "browser-token-callback-mistakes":
    "a getVisitorToken() that gives no token leaves it awaiting a sign-in, without Try again or console advice",
};

Deno.test("the independent widget, written from docs/widget.md alone, passes every scenario with no expected failure", async () => {
  const target = await startInProcessTarget();
  const widget = serveScript(await independentWidgetScript());
  const dir = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    const args = ["--env-file", await envFileFor(target, dir), "--widget-url", widget.url, "--browser", "--tag"];
    const { exitCode, run } = await main([...args, "browser", "--out", join(dir, "reports")], (l) => lines.push(l));
    assert.equal(exitCode, 0, lines.join("\n"));
    assert.ok(lines.some((l) => l.includes(`against ${widget.url}`)), "the run did not use the independent widget");
    // A run given no signing key skips the scenarios that re-sign tokens: they run against the widget in process.
    const resigns = (s: (typeof SCENARIOS)[number]) => s.needs.includes("signingKey");
    assert.deepEqual(
      run!.results.map((r) => [r.id, r.status]),
      SCENARIOS.map((
        s,
      ) => [s.id, resigns(s) ? "skipped" : s.id in INDEPENDENT_WIDGET_CHOICES ? "deviation" : "passed"]),
    );
    const keyed = await runBrowserScenarios({
      target,
      scenarios: SCENARIOS.filter(resigns),
      widgetScript: await independentWidgetScript(),
    });
    assert.ok(keyed.length > 0, "no scenario re-signs a token");
    assert.deepEqual(keyed.map((r) => [r.id, r.status]), keyed.map((r) => [r.id, "passed"]));
  } finally {
    await widget.close();
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every bug planted in the independent widget fails the check that names it, at that check's level", async () => {
  assert.deepEqual(
    Object.keys(PLANTED_WIDGET).sort(),
    Object.keys(PLANTED_BUGS).sort(),
    "every planted bug names its check",
  );
  const target = await startInProcessTarget();
  const browser = await launchChromium();
  try {
    const kills = await plantedWidgetKills({ target, browser, concurrency: 4 });
    for (const k of kills) {
      assert.ok(k.caught, `${k.bug} (${k.description}) survives ${k.scenario}: ${k.check} did not fail (${k.status})`);
      assert.equal(k.status, k.level === "must" ? "failed" : "warning", `${k.bug}: ${k.scenario} is ${k.status}`);
    }
    // Every check of the suite fails for some planted bug; the reference's agent console, no widget, has its own test.
    const failing = new Set(kills.flatMap((k) => k.failedChecks));
    const proved = Object.keys(BROWSER_CHECKS).filter((id) => failing.has(id) || id === "agent-console-text");
    assert.deepEqual(proved, Object.keys(BROWSER_CHECKS), "checks no planted bug makes fail");
    assert.equal(
      await docSection("widget-planted-kills"),
      (await formatMarkdown(plantedWidgetKillTableMarkdown(kills))).trim(),
      "the planted widget bugs' table of docs/conformance.md is stale: run `deno task docs`",
    );
  } finally {
    await browser.close();
    await target.close();
  }
});

Deno.test("an agent console that shows markup as HTML fails the reference's check, a deviation", async () => {
  // The reference with its console's text drawn as HTML.
  const target = await startInProcessTarget({
    wrap: (handler) => async (request, info) => {
      const res = await handler(request, info);
      if (new URL(request.url).pathname !== "/demo/agent.js") return res;
      const script = (await res.text()).replaceAll(".textContent=", ".innerHTML=");
      return new Response(script, { headers: res.headers });
    },
  });
  try {
    const [result] = await runBrowserScenarios({
      target,
      scenarios: SCENARIOS.filter((s) => s.id === "browser-markup-as-text"),
    });
    const checks = result!.steps.flatMap((s) => s.checks ?? []);
    assert.ok(checks.some((c) => c.check === "agent-console-text" && c.ok === false), result!.reason);
    assert.equal(result!.status, "deviation", result!.reason);
  } finally {
    await target.close();
  }
});

Deno.test("every broken reference widget is caught by a scenario of the clause it breaks", async () => {
  const kills = await widgetKillTable();
  for (const k of kills) assert.ok(k.caughtBy.length > 0, `the broken widget ${k.mutant} (${k.bug}) passes`);
  assert.equal(
    await docSection("widget-kills"),
    (await formatMarkdown(widgetKillTableMarkdown(kills))).trim(),
    "the widget kill table of docs/conformance.md is stale: run `deno task docs`",
  );
});

Deno.test("a widget that breaks the contract at start-up fails with the rule and its section, a screenshot, a trace and its stack", async () => {
  const target = await startInProcessTarget();
  const widget = serveScript('function start() { throw new Error("the widget failed to start"); } start();');
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "reports");
    const lines: string[] = [];
    const args = ["--env-file", await envFileFor(target, dir), "--widget-url", widget.url, "--browser"];
    const { exitCode, run } = await main(
      [...args, "--filter", "browser-first-visit", "--reporter", "pretty,html,json", "--out", out],
      (l) => lines.push(l),
    );
    assert.equal(exitCode, 1, lines.join("\n"));
    const result = run!.results.find((r) => r.id === "browser-first-visit")!;
    assert.equal(result.status, "failed");
    const rule = WIDGET_RULES["script-loads"];
    assert.match(result.reason!, new RegExp(`${WIDGET_DOC}, "${rule.section}"`));
    assert.match(result.reason!, /window\.SetChat is undefined/);
    assert.doesNotMatch(result.reason!, /timeout|exceeded/i, "a bare timeout");
    const evidence = result.evidence?.map((e) => e.path) ?? [];
    assert.ok(evidence.some((p) => /step-1-a\.png$/.test(p)), evidence.join(", "));
    assert.ok(evidence.some((p) => p.endsWith(".trace.zip")), evidence.join(", "));
    const log = evidence.find((p) => p.endsWith(".log"))!;
    const console = await Deno.readTextFile(join(out, log));
    assert.match(console, /\[pageerror\] (Uncaught )?Error: the widget failed to start\n\s+at start \(http/, console);
    for (const p of evidence) assert.ok((await Deno.stat(join(out, p))).size > 0, `${p} is empty`);
    const html = await Deno.readTextFile(join(out, "report.html"));
    const trace = evidence.find((p) => p.endsWith(".trace.zip"))!;
    assert.ok(html.includes(`href="${trace}"`), "the HTML report does not link the trace");
    assert.ok(
      html.includes(`npx playwright show-trace ${trace}`),
      "the HTML report does not say how to open the trace",
    );
  } finally {
    await widget.close();
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--filter and --tag select the same browser scenarios in --list and in a run, each with its level and clause", async () => {
  for (const selection of [["--tag", "race"], ["--filter", "first-visit"]]) {
    const listed: string[] = [];
    assert.equal((await main(["--list", "--browser", ...selection], (l) => listed.push(l))).exitCode, 0);
    const shown = SCENARIOS.filter((s) => listed.some((l) => l.startsWith(`${s.id}  [${s.clause}, ${s.level}] `)));
    assert.ok(shown.length > 0, listed.join("\n"));
    for (const [id, c] of Object.entries(BROWSER_CHECKS)) {
      assert.ok(
        listed.includes(`  ${id}  [${c.clause}, ${c.level}] ${c.rule}`),
        `--list does not show the check ${id}`,
      );
    }
    const lines: string[] = [];
    const { run } = await main(["--browser", ...selection], (l) => lines.push(l));
    const ran = run!.results.filter((r) => r.suite === "Browser").map((r) => r.id);
    assert.deepEqual(ran, shown.map((s) => s.id), lines.join("\n"));
  }
  const hint: string[] = [];
  await main(["--list", "--tag", "logout"], (l) => hint.push(l));
  assert.ok(hint.some((l) => /browser scenarios match too: add --browser/.test(l)), hint.join("\n"));
  const none: string[] = [];
  assert.equal((await main(["--list", "--tag", "race"], (l) => none.push(l))).exitCode, 2);
  assert.match(none.join("\n"), /browser scenarios do: add --browser/);
});

Deno.test("every section the widget rules name is a heading of docs/widget.md", async () => {
  const doc = await Deno.readTextFile(WIDGET_DOC);
  for (const [id, rule] of Object.entries(WIDGET_RULES)) {
    assert.ok(doc.includes(`# ${rule.section}\n`), `${id} names "${rule.section}", which ${WIDGET_DOC} has not`);
  }
});

Deno.test("a broken widget's patch must match exactly once", () => {
  const mutant = WIDGET_MUTANTS[0]!;
  assert.throws(() => applyPatches("no such code", mutant), /matches 0 times, not once/);
});

Deno.test("runBrowserScenarios() reports a scenario whose level the profile does not hold as not in profile", async () => {
  const target = await startInProcessTarget();
  try {
    const results = await runBrowserScenarios({
      target,
      scenarios: SCENARIOS.slice(0, 1),
      profile: { name: "s2s", surfaces: ["s2s"], levels: ["must", "should"], source: "test" },
    });
    assert.equal(results[0]!.status, "not-in-profile");
  } finally {
    await target.close();
  }
});
