/**
 * The run as people and CI read it: live lines on a terminal, JSON, JUnit
 * (one testcase per case) and a self-contained HTML page. Results are
 * redacted when made; every report is masked once more on its way out with
 * every secret the run met, whatever its shape.
 */
import type { Level, Profile } from "./levels.ts";
import { LEVELS } from "./levels.ts";
import { Redactor } from "./redact.ts";
import type { CaseResult, CaseStatus, CheckResult, RunResult } from "./runner.ts";
import { exitCodeOf } from "./runner.ts";

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
  return `Running ${cases} cases against ${target}\n` +
    `Profile ${profile.name} (${profile.source}): surfaces ${profile.surfaces.join(", ")}; levels ${
      profile.levels.join(", ")
    }${strict ? "; strict: warnings fail the run" : ""}`;
}

/** One case as a terminal line (and the reason beneath, if any). */
export function prettyLine(r: CaseResult, color: boolean): string {
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const head = `${paint(COLOR[r.status], SYMBOL[r.status])} ${r.id} ${
    paint(90, `(${r.clause}, ${r.level}, ${r.durationMs} ms)`)
  }`;
  if (r.status === "passed") return head;
  return new Redactor().apply(`${head}\n    ${paint(COLOR[r.status], LABEL[r.status])}: ${r.reason ?? ""}`);
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
export function prettySummary(run: RunResult, color: boolean, redactor: Redactor = new Redactor()): string {
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
    lines.push("");
  }
  lines.push(
    ...run.notes,
    `Checks: ${checkSummary(run)}`,
    paint(
      `${countPhrase(run)} against ${run.target} in ${(run.durationMs / 1000).toFixed(1)} s ` +
        `(profile ${run.profile.name}${run.strict ? ", strict" : ""}): exit ${code}`,
    ),
  );
  return redactor.apply(lines.join("\n"));
}

/** The run as JSON. */
export function toJson(run: RunResult, redactor: Redactor = new Redactor()): string {
  return redactor.apply(JSON.stringify({ ...run, exitCode: exitCodeOf(run) }, null, 2));
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!)
    // Control characters are not allowed in XML 1.0.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "");
}

function failing(run: RunResult, r: CaseResult): boolean {
  return r.status === "failed" || r.status === "unexpected-pass" ||
    (run.strict && (r.status === "warning" || r.status === "deviation"));
}

/** The run as JUnit XML: a testsuite per fixture suite, a testcase per case. */
export function toJUnit(run: RunResult, redactor: Redactor = new Redactor()): string {
  const suites = new Map<string, CaseResult[]>();
  for (const r of run.results) suites.set(r.suite, [...(suites.get(r.suite) ?? []), r]);
  const isSkipped = (r: CaseResult) => ["skipped", "not-in-profile", "expected-failure"].includes(r.status);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="SetChat conformance (profile ${xml(run.profile.name)})" tests="${run.results.length}" ` +
      `failures="${run.results.filter((r) => failing(run, r)).length}" skipped="${
        run.results.filter(isSkipped).length
      }" time="${(run.durationMs / 1000).toFixed(3)}">`,
  );
  for (const [suite, results] of suites) {
    const failures = results.filter((r) => failing(run, r)).length;
    const skipped = results.filter(isSkipped).length;
    const time = results.reduce((t, r) => t + r.durationMs, 0) / 1000;
    out.push(
      `  <testsuite name="${xml(suite)}" tests="${results.length}" failures="${failures}" skipped="${skipped}" time="${
        time.toFixed(3)
      }" timestamp="${run.startedAt}">`,
    );
    for (const r of results) {
      const open = `    <testcase classname="${xml(r.file)}" name="${xml(`${r.id}: ${r.title}`)}" time="${
        (r.durationMs / 1000).toFixed(3)
      }"`;
      const props = [
        ["clause", r.clause],
        ["level", r.level],
        ["surfaces", r.surfaces.join(",")],
        ["tags", r.tags.join(",")],
        ["outcome", r.status],
      ].map(([k, v]) => `<property name="${k}" value="${xml(v!)}"/>`).join("");
      const details = [r.reason ?? "", ...(r.curl ? ["", "Reproduce:", r.curl] : [])].join("\n");
      out.push(`${open}>`, `      <properties>${props}</properties>`);
      if (failing(run, r)) {
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
  return redactor.apply(out.join("\n") + "\n");
}

function html(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

function checkLine(o: CheckResult): string {
  const mark = o.ok === true ? "✓" : o.ok === false ? "✗" : "n/a";
  const cls = o.ok === true ? "ok" : o.ok === false ? "ko" : "na";
  return `<li class="${cls}"><span class="lvl ${o.level}">${o.level}</span> ${mark} ${html(o.check)}${
    o.detail ? `: ${html(o.detail)}` : ""
  }</li>`;
}

/** The run as one self-contained HTML page. */
export function toHtml(run: RunResult, redactor: Redactor = new Redactor()): string {
  const c = run.counts;
  // What needs attention first; cases that did not run last.
  const order: CaseStatus[] = [
    "failed",
    "unexpected-pass",
    "warning",
    "deviation",
    "expected-failure",
    "passed",
    "skipped",
    "not-in-profile",
  ];
  const sorted = [...run.results].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  const rows = sorted.map((r) => {
    const steps = r.steps.map((s) =>
      `<div class="step ${s.ok ? "ok" : "ko"}"><b>${html(s.name)}</b> <span class="lvl ${s.level}">${s.level}</span> ${
        s.notRun ? `<i>not run: ${html(s.notRun)}</i>` : ""
      }${s.request ? html(`${s.request.method} ${s.request.path} → ${s.response?.status}`) : ""}<ul>${
        (s.checks ?? []).map(checkLine).join("")
      }${s.checks ? "" : s.problems.map((p) => `<li class="ko">${html(p)}</li>`).join("")}</ul>${
        !s.ok && s.response ? `<pre>${html(s.response.body)}</pre>` : ""
      }</div>`
    ).join("");
    const summary = r.status === "passed" ? `${r.steps.length} steps` : html(`${LABEL[r.status]}: ${r.reason ?? ""}`);
    const detail = `<details${worthShowing(r) ? " open" : ""}><summary>${summary}</summary>${steps}${
      r.curl ? `<p>Reproduce:</p><pre>${html(r.curl)}</pre>` : ""
    }</details>`;
    return `<tr class="${r.status}" data-status="${r.status}"><td class="s">${SYMBOL[r.status]}</td><td><code>${
      html(r.id)
    }</code><div class="t">${
      html(r.title)
    }</div>${detail}</td><td><span class="lvl ${r.level}">${r.level}</span></td><td>${html(r.clause)}</td><td>${
      html(r.surfaces.join(", "))
    }<div class="t">${html(r.tags.join(", "))}</div></td><td class="n">${r.durationMs} ms</td></tr>`;
  }).join("\n");
  const levelCounts = LEVELS.filter((l: Level) => run.profile.levels.includes(l)).map((l) =>
    `<span><span class="lvl ${l}">${l}</span> ${run.checks[l].passed}/${
      run.checks[l].passed + run.checks[l].failed
    } checks</span>`
  ).join("");
  const bad = exitCodeOf(run) !== 0;
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SetChat conformance: ${bad ? "failed" : "passed"}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1c2430;background:#f6f8fc}
h1{font-size:20px;margin:0 0 4px}.meta{color:#5a6578;margin:0 0 16px}
.counts{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:12px}.counts>span{background:#fff;border-radius:8px;padding:6px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:10px;overflow:hidden;table-layout:fixed}
td,th{padding:8px 10px;border-bottom:1px solid #eef1f6;vertical-align:top;text-align:left;overflow-wrap:anywhere}
th{font-size:12px;text-transform:uppercase;color:#5a6578}.s{font-size:16px}.n{white-space:nowrap;color:#5a6578}
th:nth-child(1){width:28px}th:nth-child(3){width:84px}th:nth-child(4){width:130px}th:nth-child(5){width:160px}th:nth-child(6){width:70px}
.t{color:#3c4658}.passed .s{color:#16803c}.failed .s,.unexpected-pass .s{color:#b42318}.warning .s,.expected-failure .s{color:#b54708}.deviation .s{color:#7a2e8e}.skipped,.not-in-profile{color:#7a8497}
.lvl{display:inline-block;font-size:11px;border-radius:4px;padding:0 5px;color:#fff;background:#5a6578}.lvl.must{background:#b42318}.lvl.should{background:#b54708}.lvl.reference{background:#7a2e8e}
pre{background:#101828;color:#e6edf7;padding:10px;border-radius:8px;font-size:12px;white-space:pre-wrap;word-break:break-all}
ul{margin:4px 0 4px 0;padding-left:18px}li.ko{color:#b42318}li.na{color:#7a8497}.step{margin:6px 0}
.notes{background:#fffaeb;border-radius:8px;padding:10px;margin-bottom:16px}label{margin-right:12px}
</style></head><body>
<h1>SetChat conformance</h1>
<p class="meta">Target ${html(run.target)} · profile ${html(run.profile.name)} (${
    html(run.profile.source)
  }): surfaces ${html(run.profile.surfaces.join(", "))}, levels ${html(run.profile.levels.join(", "))}${
    run.strict ? ", strict" : ""
  } · started ${html(run.startedAt)} · ${(run.durationMs / 1000).toFixed(1)} s · exit code ${exitCodeOf(run)}</p>
<div class="counts"><span>✓ ${c.passed} passed</span><span>✗ ${c.failed} failed</span><span>⚠ ${c.warning} warnings</span>${
    c.deviation ? `<span>≠ ${c.deviation} deviations</span>` : ""
  }<span>- ${c.skipped} skipped</span>${
    c["not-in-profile"] ? `<span>· ${c["not-in-profile"]} not in profile</span>` : ""
  }${c["expected-failure"] ? `<span>○ ${c["expected-failure"]} known failures</span>` : ""}${
    c["unexpected-pass"] ? `<span>! ${c["unexpected-pass"]} known failures that passed</span>` : ""
  }</div>
<div class="counts">${levelCounts}</div>
${run.notes.length ? `<div class="notes">${run.notes.map(html).join("<br>")}</div>` : ""}
<p><label><input type="checkbox" id="only"> only failures and warnings</label></p>
<table><thead><tr><th></th><th>case</th><th>level</th><th>clause</th><th>surfaces, tags</th><th>time</th></tr></thead><tbody>
${rows}
</tbody></table>
<script>document.getElementById("only").onchange=(e)=>{for(const tr of document.querySelectorAll("tbody tr"))tr.hidden=e.target.checked&&!["failed","unexpected-pass","warning","deviation"].includes(tr.dataset.status)}</script>
</body></html>
`;
  return redactor.apply(page);
}
