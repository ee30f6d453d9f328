/**
 * The run as people and CI read it: live lines on a terminal, JSON, JUnit
 * (one testcase per case) and a self-contained HTML page. A reporter renders
 * a run already redacted (`redactRun`), escaping every text for its format;
 * none rewrites what it rendered, so that nothing a target sent can change a
 * report's markup. A run against the bundled reference in process says so in
 * the first line of every report.
 */
import type { Level, Profile } from "./levels.ts";
import { LEVEL_DOCS, LEVELS } from "./levels.ts";
import type { CaseResult, CaseStatus, CheckResult, RunResult, StepResult } from "./runner.ts";
import { countStatuses, exitCodeOf, failsRun, skippedForWant } from "./runner.ts";
import { IN_PROCESS } from "./target.ts";
import { VERSIONS } from "./version.ts";

/** The reporters `--reporter` accepts. */
export const REPORTERS = ["pretty", "json", "junit", "html"] as const;
export type ReporterName = (typeof REPORTERS)[number];

const SYMBOL: Record<CaseStatus, string> = {
  passed: "✓",
  failed: "✗",
  warning: "⚠",
  deviation: "≠",
  skipped: "-",
  "not-in-profile": "·",
  "expected-failure": "○",
  "unexpected-pass": "!",
};

const COLOR: Record<CaseStatus, number> = {
  passed: 32,
  failed: 31,
  warning: 33,
  deviation: 35,
  skipped: 90,
  "not-in-profile": 90,
  "expected-failure": 33,
  "unexpected-pass": 31,
};

/** How each status reads in a sentence. */
const LABEL: Record<CaseStatus, string> = {
  passed: "passed",
  failed: "failed",
  warning: "warning",
  deviation: "deviation from the reference",
  skipped: "skipped",
  "not-in-profile": "not in profile",
  "expected-failure": "known failure",
  "unexpected-pass": "known failure that passed",
};

/** Whether a result is shown with its reproduction. */
function worthShowing(r: CaseResult): boolean {
  return ["failed", "unexpected-pass", "warning", "deviation"].includes(r.status);
}

/** The run's first line on a terminal. */
export function prettyProfile(cases: number, target: string, profile: Profile, strict: boolean): string {
  return `Running ${cases} cases of suite ${VERSIONS.suite} (contract ${VERSIONS.contract}) against ${target}\n` +
    `Profile ${profile.name} (${profile.source}): surfaces ${profile.surfaces.join(", ")}; levels ${
      profile.levels.join(", ")
    }${strict ? "; strict: warnings fail the run" : ""}`;
}

/** How every report marks a case whose requests were sent again after network errors. */
export function retriedPhrase(retried: number): string {
  return `retried ${retried} ${retried === 1 ? "request" : "requests"} after a network error`;
}

/** One case as a terminal line (and the reason beneath, if any). */
export function prettyLine(r: CaseResult, color: boolean): string {
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const head = `${paint(COLOR[r.status], SYMBOL[r.status])} ${r.id} ${
    paint(90, `(${r.clause}, ${r.level}, ${r.durationMs} ms${r.retried ? `, ${retriedPhrase(r.retried)}` : ""})`)
  }`;
  if (r.status === "passed") return head;
  return `${head}\n    ${paint(COLOR[r.status], LABEL[r.status])}: ${r.reason ?? ""}`;
}

/** Whether the run judged the bundled reference, started in process because no target was named. */
function inProcess(run: RunResult): boolean {
  return run.target.startsWith(IN_PROCESS);
}

const IN_PROCESS_NOTE = "No target was named (no --target, SETCHAT_API_URL or --env-file), so this run judged the " +
  "bundled reference, started in process: not a server of yours.";

/** The suite and contract versions a run's reports were made by. */
function versionsOf(run: RunResult): { suite: string; contract: string } {
  return run.versions ?? VERSIONS;
}

/** The run in a few words, for the first line of a report: what was judged, by which suite. */
export function headline(run: RunResult): string {
  const v = versionsOf(run);
  return `SetChat conformance of ${run.target} (suite ${v.suite}, contract ${v.contract}, profile ${run.profile.name})`;
}

function checkSummary(run: RunResult): string {
  return LEVELS.filter((l) => run.profile.levels.includes(l)).map((l) => {
    const c = run.checks[l];
    return `${l} ${c.passed}/${c.passed + c.failed}${c.notApplicable ? ` (+${c.notApplicable} not applicable)` : ""}`;
  }).join(", ");
}

/** The counts of a run as one phrase. */
export function countPhrase(run: RunResult): string {
  const c = run.counts;
  return [
    `${c.passed} passed`,
    `${c.failed} failed`,
    `${c.warning} warnings`,
    ...(c.deviation || run.profile.levels.includes("reference") ? [`${c.deviation} deviations`] : []),
    `${c.skipped} skipped`,
    ...(c["not-in-profile"] ? [`${c["not-in-profile"]} not in profile`] : []),
    ...(c["expected-failure"] ? [`${c["expected-failure"]} known failures`] : []),
    ...(c["unexpected-pass"] ? [`${c["unexpected-pass"]} known failures that passed`] : []),
  ].join(", ");
}

/** The run's last lines: failures first, then warnings, each with its reproduction. */
export function prettySummary(run: RunResult, color: boolean): string {
  const code = exitCodeOf(run);
  const paint = (s: string) => (color ? `\x1b[${code === 0 ? 32 : 31}m${s}\x1b[0m` : s);
  const shown = run.results.filter(worthShowing).sort((a, b) =>
    Number(b.status === "failed" || b.status === "unexpected-pass") -
    Number(a.status === "failed" || a.status === "unexpected-pass")
  );
  const lines = [""];
  for (const f of shown) {
    lines.push(`${SYMBOL[f.status]} ${f.id} (${LABEL[f.status]}, ${f.level}): ${f.title}`, `  ${f.reason}`);
    if (f.curl) lines.push("  Reproduce:", ...f.curl.split("\n").map((l) => `    ${l}`));
    if (f.evidence) lines.push("  Evidence, in the reports folder:", ...f.evidence.map((e) => `    ${e.path}`));
    lines.push("");
  }
  lines.push(
    ...run.notes,
    `Checks: ${checkSummary(run)}`,
    paint(
      `${countPhrase(run)} against ${run.target} in ${(run.durationMs / 1000).toFixed(1)} s ` +
        `(profile ${run.profile.name}${run.strict ? ", strict" : ""}${run.noSkips ? ", no skips" : ""}): exit ${code}`,
    ),
  );
  return lines.join("\n");
}

/** The run as JSON, its target on the first line. */
export function toJson(run: RunResult): string {
  return JSON.stringify({ ...run, exitCode: exitCodeOf(run) }, null, 2).replace(/^\{\n {2}/, "{ ");
}

/**
 * `text` as XML 1.0 character data or attribute value: markup escaped, and
 * what XML refuses (controls, lone surrogates, U+FFFE/U+FFFF) written as `\u…`,
 * should a report that did not go through `redactRun` come here.
 */
function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!)
    .replace(
      // deno-lint-ignore no-control-regex
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
}

/**
 * The run as JUnit XML: a testsuite per fixture suite, a testcase per case
 * the run held against the target. Cases outside its profile are not tests of
 * this target: they are left out rather than shown as skips, and each
 * testsuite gives the run's count of them in a property. Each testsuite carries the suite's and the
 * contract's versions, the target and the profile as properties; a warning
 * is a property of its testcase and its details are in system-out.
 */
export function toJUnit(run: RunResult): string {
  const v = versionsOf(run);
  const held = run.results.filter((r) => r.status !== "not-in-profile");
  const suites = new Map<string, CaseResult[]>();
  for (const r of run.results) suites.set(r.suite, [...(suites.get(r.suite) ?? []), r]);
  const isSkipped = (r: CaseResult) => !failsRun(run, r) && ["skipped", "expected-failure"].includes(r.status);
  const property = (name: string, value: string) => `<property name="${xml(name)}" value="${xml(value)}"/>`;
  const time = (rs: CaseResult[]) => (rs.reduce((t, r) => t + r.durationMs, 0) / 1000).toFixed(3);
  // The declaration and the root share the first line, which names what was judged.
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?><testsuites name="${xml(headline(run))}" tests="${held.length}" ` +
    `failures="${held.filter((r) => failsRun(run, r)).length}" skipped="${held.filter(isSkipped).length}" time="${
      (run.durationMs / 1000).toFixed(3)
    }">`,
  ];
  for (const [suite, all] of suites) {
    const results = all.filter((r) => r.status !== "not-in-profile");
    if (results.length === 0) continue;
    const warnings = results.filter((r) => r.status === "warning" || r.status === "deviation").length;
    out.push(
      `  <testsuite name="${xml(suite)}" tests="${results.length}" failures="${
        results.filter((r) => failsRun(run, r)).length
      }" skipped="${results.filter(isSkipped).length}" time="${time(results)}" timestamp="${xml(run.startedAt)}">`,
      `    <properties>${
        [
          property("suite.version", v.suite),
          property("contract.version", v.contract),
          property("target", run.target),
          property(
            "profile",
            `${run.profile.name}: ${run.profile.surfaces.join(", ")}; ${run.profile.levels.join(", ")}`,
          ),
          property("strict", String(run.strict)),
          property("warnings", String(warnings)),
          property("not-in-profile", String(run.results.length - held.length)),
        ].join("")
      }</properties>`,
    );
    for (const r of results) {
      const open = `    <testcase classname="${xml(r.file)}" name="${xml(`${r.id}: ${r.title}`)}" time="${
        (r.durationMs / 1000).toFixed(3)
      }"`;
      const warned = r.status === "warning" || r.status === "deviation";
      const props = [
        property("clause", r.clause),
        ...(r.retried ? [property("retried", String(r.retried))] : []),
        property("level", r.level),
        property("surfaces", r.surfaces.join(",")),
        property("tags", r.tags.join(",")),
        property("outcome", r.status),
        ...(warned ? [property(r.status, r.reason ?? "")] : []),
      ].join("");
      const details = [
        r.reason ?? "",
        ...(r.curl ? ["", "Reproduce:", r.curl] : []),
        ...(r.evidence ? ["", "Evidence:", ...r.evidence.map((e) => e.path)] : []),
      ].join("\n");
      out.push(`${open}>`, `      <properties>${props}</properties>`);
      if (failsRun(run, r)) {
        out.push(`      <failure message="${xml(r.reason ?? "")}" type="${r.status}">${xml(details)}</failure>`);
      } else if (isSkipped(r)) {
        out.push(`      <skipped message="${xml(`${LABEL[r.status]}: ${r.reason ?? ""}`)}"/>`);
      } else if (r.status !== "passed") {
        out.push(`      <system-out>${xml(`${LABEL[r.status]}\n${details}`)}</system-out>`);
      }
      out.push("    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}

function html(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function checkLine(o: CheckResult): string {
  const mark = o.ok === true ? "✓" : o.ok === false ? "✗" : "n/a";
  const cls = o.ok === true ? "ok" : o.ok === false ? "ko" : "na";
  return `<li class="${cls}"><span class="lvl ${o.level}">${o.level}</span> ${mark} ${html(o.check)}${
    o.detail ? `: ${html(o.detail)}` : ""
  }</li>`;
}

/** What needs attention first; cases that did not run last. */
const ATTENTION: CaseStatus[] = [
  "failed",
  "unexpected-pass",
  "warning",
  "deviation",
  "expected-failure",
  "passed",
  "skipped",
  "not-in-profile",
];

/** A response body as the report shows it: JSON indented, anything else as it came. */
function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/**
 * Results grouped as `[group, results]`, the group holding the worst case
 * first, each group worst first: cases that fail the run, then by status.
 */
function grouped(
  run: RunResult,
  results: CaseResult[],
  key: (r: CaseResult) => string,
): [string, CaseResult[]][] {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  const rank = (r: CaseResult) => (failsRun(run, r) ? -1 : ATTENTION.indexOf(r.status));
  const worst = (rs: CaseResult[]) => Math.min(...rs.map(rank));
  return [...groups].map(([k, rs]) => [k, [...rs].sort((a, b) => rank(a) - rank(b))] as [string, CaseResult[]])
    .sort((a, b) => worst(a[1]) - worst(b[1]) || a[0].localeCompare(b[0]));
}

/** A step's checks: those that failed or could not be made in full, those that passed as a count. */
function stepChecks(s: StepResult): string {
  if (!s.checks) return `<ul>${s.problems.map((p) => `<li class="ko">${html(p)}</li>`).join("")}</ul>`;
  const passed = s.checks.filter((o) => o.ok === true);
  const rest = s.checks.filter((o) => o.ok !== true);
  const summary = passed.length
    ? `<li class="ok" title="${html(passed.map((o) => `${o.level}: ${o.check}`).join("\n"))}">✓ ${passed.length} check${
      passed.length > 1 ? "s" : ""
    } passed: ${html(passed.map((o) => o.check).join(", "))}</li>`
    : "";
  return `<ul>${rest.map(checkLine).join("")}${summary}</ul>`;
}

/** Links to a browser scenario's evidence, beside the report; a trace opens with `npx playwright show-trace`. */
function evidenceList(r: CaseResult): string {
  if (!r.evidence?.length) return "";
  const items = r.evidence.map((e) =>
    `<li><a href="${html(e.path)}">${html(e.label)}</a>${
      e.path.endsWith(".zip") ? ` <code>npx playwright show-trace ${html(e.path)}</code>` : ""
    }</li>`
  );
  return `<p>Evidence:</p><ul class="evidence">${items.join("")}</ul>`;
}

function caseRow(run: RunResult, r: CaseResult): string {
  const steps = r.steps.map((s) =>
    `<div class="step ${s.ok ? "ok" : "ko"}"><b>${html(s.name)}</b> <span class="lvl ${s.level}">${s.level}</span> ${
      s.notRun ? `<i>not run: ${html(s.notRun)}</i>` : ""
    }${s.request ? `<code>${html(`${s.request.method} ${s.request.path} → ${s.response?.status}`)}</code>` : ""}${
      s.node ? ` <span class="node">on ${html(s.node)}</span>` : ""
    }${stepChecks(s)}${!s.ok && s.response ? `<pre>${html(prettyBody(s.response.body))}</pre>` : ""}</div>`
  ).join("");
  const summary = r.status === "passed" ? `${r.steps.length} steps` : html(`${LABEL[r.status]}: ${r.reason ?? ""}`);
  const detail = `<details${worthShowing(r) ? " open" : ""}><summary>${summary}</summary>${steps}${
    r.curl ? `<p>Reproduce:</p><pre>${html(r.curl)}</pre>` : ""
  }${evidenceList(r)}</details>`;
  const text = [r.id, r.title, r.clause, r.suite, r.level, r.status, ...r.tags, ...r.surfaces, r.reason ?? ""]
    .join(" ").toLowerCase();
  return `<tr class="${r.status}" data-status="${r.status}"${failsRun(run, r) ? " data-fails" : ""} data-text="${
    html(text)
  }"><td class="s" title="${LABEL[r.status]}">${SYMBOL[r.status]}</td><td><code>${html(r.id)}</code><div class="t">${
    html(r.title)
  }</div>${detail}</td><td><span class="lvl ${r.level}">${r.level}</span></td><td>${
    html(r.surfaces.join(", "))
  }<div class="t">${html(r.tags.join(", "))}</div></td><td class="n">${r.durationMs} ms${
    r.retried ? `<div class="t retried">${retriedPhrase(r.retried)}</div>` : ""
  }</td></tr>`;
}

function tally(rs: CaseResult[]): string {
  const c = countStatuses(rs);
  const bad = c.failed + c["unexpected-pass"];
  const ran = rs.length - c.skipped - c["not-in-profile"];
  return [
    bad ? `<span class="bad">${bad} failed</span>` : "",
    c.warning ? `<span class="warn">${c.warning} warnings</span>` : "",
    c.deviation ? `<span class="dev">${c.deviation} deviations</span>` : "",
    ran ? `${c.passed}/${ran} passed` : "",
    c.skipped ? `${c.skipped} skipped` : "",
    c["not-in-profile"] ? `${c["not-in-profile"]} not in profile` : "",
  ].filter(Boolean).join(" · ");
}

/** The run as one self-contained HTML page: suites and clauses, what needs attention first. */
export function toHtml(run: RunResult): string {
  const v = versionsOf(run);
  const c = run.counts;
  const code = exitCodeOf(run);
  const sections = grouped(run, run.results, (r) => r.suite).map(([suite, inSuite]) => {
    const clauses = grouped(run, inSuite, (r) => r.clause).map(([clause, rs]) =>
      `<tbody class="clause"><tr class="head"><th colspan="5">${html(clause)} <span class="tally">${
        tally(rs)
      }</span></th></tr>\n${rs.map((r) => caseRow(run, r)).join("\n")}</tbody>`
    ).join("\n");
    return `<section class="suite"><h2>${html(suite)} <span class="tally">${tally(inSuite)}</span></h2>
<table><colgroup><col class="c-s"><col><col class="c-l"><col class="c-t"><col class="c-n"></colgroup>
<thead><tr><th></th><th>case</th><th>level</th><th>surfaces, tags</th><th>time</th></tr></thead>
${clauses}</table></section>`;
  }).join("\n");
  const levels = LEVELS.map((l: Level) => {
    const held = run.profile.levels.includes(l);
    const k = run.checks[l];
    return `<li><span class="lvl ${l}">${l}</span> ${
      held
        ? `${k.passed}/${k.passed + k.failed} checks passed${
          k.notApplicable ? `, ${k.notApplicable} not applicable` : ""
        }`
        : "not held in this profile"
    }<div class="t">${html(LEVEL_DOCS[l])}${
      l === "should" && run.strict ? "; this run is strict, so it fails" : ""
    }</div></li>`;
  }).join("");
  const wanting = run.noSkips ? run.results.filter(skippedForWant).length : 0;
  const verdict = code === 0
    ? `Passed: no must failure${c.warning ? `, ${c.warning} warnings` : ""}`
    : code === 1
    ? `Failed: ${run.results.filter((r) => failsRun(run, r)).length} case(s) failed${run.strict ? " (strict)" : ""}${
      wanting ? `, ${wanting} of them skipped (--no-skips)` : ""
    }`
    : "Did not run";
  const facts: [string, string][] = [
    ["Target", run.target],
    ["Suite", `SetChat conformance suite ${v.suite}, checking contract ${v.contract}`],
    ...(run.nodes
      ? [
        ["Nodes", `${run.nodes.length}, the requests of each case alternating: ${run.nodes.join(", ")}`] as [
          string,
          string,
        ],
      ]
      : []),
    ...(run.shard ? [["Shard", `${run.shard.index} of ${run.shard.count}`] as [string, string]] : []),
    ["Profile", `${run.profile.name} (${run.profile.source}): surfaces ${run.profile.surfaces.join(", ")}`],
    ["Started", `${run.startedAt}, ${(run.durationMs / 1000).toFixed(1)} s`],
    ["Exit code", String(code)],
  ];
  // The first line names what was judged, and by which suite.
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(headline(run))}: ${
    code === 0 ? "passed" : "failed"
  }</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1c2430;background:#f6f8fc}
h1{font-size:22px;margin:0 0 8px}h2{font-size:16px;margin:24px 0 8px}
.verdict{font-size:16px;font-weight:600;padding:10px 14px;border-radius:8px;margin:0 0 12px}.verdict.ok{background:#e7f6ec;color:#16803c}.verdict.ko{background:#fdecea;color:#b42318}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 14px}dl.facts dt{color:#5a6578}dl.facts dd{margin:0;overflow-wrap:anywhere}
.counts{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:12px}.counts>span{background:#fff;border-radius:8px;padding:6px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
ul.levels{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:10px;margin:0 0 14px}ul.levels li{background:#fff;border-radius:8px;padding:8px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:10px;overflow:hidden;table-layout:fixed}
td,th{padding:8px 10px;border-bottom:1px solid #eef1f6;vertical-align:top;text-align:left;overflow-wrap:anywhere}
thead th{font-size:12px;text-transform:uppercase;color:#5a6578}tr.head th{background:#f0f3f9;font-size:13px}.s{font-size:16px}.n{white-space:nowrap;color:#5a6578}
col.c-s{width:32px}col.c-l{width:90px}col.c-t{width:190px}col.c-n{width:80px}
.t{color:#3c4658}.tally{font-weight:400;font-size:12px;color:#5a6578;margin-left:8px}.bad{color:#b42318;font-weight:600}.warn{color:#b54708}.dev{color:#7a2e8e}
.passed .s{color:#16803c}.failed .s,.unexpected-pass .s{color:#b42318}.warning .s,.expected-failure .s{color:#b54708}.deviation .s{color:#7a2e8e}.skipped,.not-in-profile{color:#7a8497}
.lvl{display:inline-block;font-size:11px;border-radius:4px;padding:0 5px;color:#fff;background:#5a6578}.lvl.must{background:#b42318}.lvl.should{background:#b54708}.lvl.reference{background:#7a2e8e}
.node{font-size:12px;color:#5a6578}
pre{background:#101828;color:#e6edf7;padding:10px;border-radius:8px;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:420px;overflow:auto}
ul{margin:4px 0 4px 0;padding-left:18px}li.ok{color:#5a6578;list-style:none;margin-left:-18px}li.ko{color:#b42318}li.na{color:#7a8497}.step{margin:6px 0}
.notes{background:#fffaeb;border-radius:8px;padding:10px;margin-bottom:16px}
.tools{display:flex;flex-wrap:wrap;gap:16px;align-items:center;margin:16px 0 4px}#q{flex:1;min-width:220px;font:inherit;padding:7px 10px;border:1px solid #cfd6e2;border-radius:8px}
[hidden]{display:none!important}
@media (max-width:720px){body{margin:12px auto;padding:0 10px}table,tbody,tr,td,tr.head th{display:block;width:auto}colgroup,thead{display:none}
tr[data-status]{position:relative;padding:6px 0 6px 28px;border-bottom:1px solid #eef1f6}td{border:0;padding:2px 8px}td.s{position:absolute;left:0;top:6px}
td.n{display:inline-block}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:6px}}
</style></head><body>
<h1>SetChat conformance report</h1>
${inProcess(run) ? `<p class="notes">${html(IN_PROCESS_NOTE)}</p>` : ""}
<p class="verdict ${code === 0 ? "ok" : "ko"}">${html(verdict)}</p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${html(v)}</dd>`).join("")}</dl>
<div class="counts"><span>✓ ${c.passed} passed</span><span>✗ ${c.failed} failed</span><span>⚠ ${c.warning} warnings</span>${
    c.deviation ? `<span>≠ ${c.deviation} deviations</span>` : ""
  }<span>- ${c.skipped} skipped</span>${
    c["not-in-profile"] ? `<span>· ${c["not-in-profile"]} not in profile</span>` : ""
  }${c["expected-failure"] ? `<span>○ ${c["expected-failure"]} known failures</span>` : ""}${
    c["unexpected-pass"] ? `<span>! ${c["unexpected-pass"]} known failures that passed</span>` : ""
  }</div>
<ul class="levels">${levels}</ul>
${run.notes.length ? `<div class="notes">${run.notes.map(html).join("<br>")}</div>` : ""}
<div class="tools"><input id="q" type="search" placeholder="Search cases: id, title, clause, tag, reason" aria-label="Search cases">
<label><input type="checkbox" id="only"> only failures and warnings</label><span id="shown"></span></div>
${sections}
<p id="none" hidden>No case matches the search.</p>
<script>
const q=document.getElementById("q"),only=document.getElementById("only"),shown=document.getElementById("shown");
const attention=["failed","unexpected-pass","warning","deviation"];
function filter(){const words=q.value.toLowerCase().split(/\\s+/).filter(Boolean);let n=0;
for(const tr of document.querySelectorAll("tr[data-status]")){const hit=words.every((w)=>tr.dataset.text.includes(w))&&(!only.checked||"fails" in tr.dataset||attention.includes(tr.dataset.status));tr.hidden=!hit;if(hit)n++}
for(const tb of document.querySelectorAll("tbody.clause"))tb.hidden=!tb.querySelector("tr[data-status]:not([hidden])");
for(const s of document.querySelectorAll("section.suite"))s.hidden=!s.querySelector("tr[data-status]:not([hidden])");
shown.textContent=n+" of ${run.results.length} cases shown";document.getElementById("none").hidden=n>0}
q.oninput=filter;only.onchange=filter;filter();
</script>
</body></html>
`;
  return page;
}
