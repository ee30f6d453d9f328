/**
 * The run as people and CI read it: live lines on a terminal, JSON, JUnit
 * (one testcase per case) and a self-contained HTML page. Results are
 * redacted when made; every report is masked once more on its way out.
 */
import { Redactor } from "./redact.ts";
import type { CaseResult, RunResult } from "./runner.ts";
import { exitCodeOf } from "./runner.ts";

/** The reporters `--reporter` accepts. */
export const REPORTERS = ["pretty", "json", "junit", "html"] as const;
export type ReporterName = (typeof REPORTERS)[number];

const mask = (text: string) => new Redactor().apply(text);

const SYMBOL: Record<CaseResult["status"], string> = {
  passed: "✓",
  failed: "✗",
  skipped: "-",
  "expected-failure": "○",
  "unexpected-pass": "!",
};

const COLOR: Record<CaseResult["status"], number> = {
  passed: 32,
  failed: 31,
  skipped: 90,
  "expected-failure": 33,
  "unexpected-pass": 31,
};

/** One case as a terminal line (and the reason beneath, if any). */
export function prettyLine(r: CaseResult, color: boolean): string {
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const head = `${paint(COLOR[r.status], SYMBOL[r.status])} ${r.id} ${paint(90, `(${r.clause}, ${r.durationMs} ms)`)}`;
  if (r.status === "passed") return head;
  const label = r.status === "skipped" ? "skipped" : r.status.replace("-", " ");
  return mask(`${head}\n    ${paint(COLOR[r.status], label)}: ${r.reason ?? ""}`);
}

/** The run's last lines. */
export function prettySummary(run: RunResult, color: boolean): string {
  const c = run.counts;
  const parts = [
    `${c.passed} passed`,
    `${c.failed} failed`,
    `${c.skipped} skipped`,
    ...(c["expected-failure"] ? [`${c["expected-failure"]} known failures`] : []),
    ...(c["unexpected-pass"] ? [`${c["unexpected-pass"]} known failures that passed`] : []),
  ];
  const code = exitCodeOf(run);
  const paint = (s: string) => (color ? `\x1b[${code === 0 ? 32 : 31}m${s}\x1b[0m` : s);
  const failures = run.results.filter((r) => r.status === "failed" || r.status === "unexpected-pass");
  const lines = [""];
  for (const f of failures) {
    lines.push(`${f.id}: ${f.title}`, `  ${f.reason}`);
    if (f.curl) lines.push("  Reproduce:", ...f.curl.split("\n").map((l) => `    ${l}`));
    lines.push("");
  }
  lines.push(
    ...run.notes,
    paint(`${parts.join(", ")} against ${run.target} in ${(run.durationMs / 1000).toFixed(1)} s`),
  );
  return mask(lines.join("\n"));
}

/** The run as JSON. */
export function toJson(run: RunResult): string {
  return mask(JSON.stringify({ ...run, exitCode: exitCodeOf(run) }, null, 2));
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!)
    // Control characters are not allowed in XML 1.0.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "");
}

/** The run as JUnit XML: a testsuite per fixture suite, a testcase per case. */
export function toJUnit(run: RunResult): string {
  const suites = new Map<string, CaseResult[]>();
  for (const r of run.results) suites.set(r.suite, [...(suites.get(r.suite) ?? []), r]);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const c = run.counts;
  out.push(
    `<testsuites name="SetChat conformance" tests="${run.results.length}" failures="${
      c.failed + c["unexpected-pass"]
    }" ` +
      `skipped="${c.skipped}" time="${(run.durationMs / 1000).toFixed(3)}">`,
  );
  for (const [suite, results] of suites) {
    const failures = results.filter((r) => r.status === "failed" || r.status === "unexpected-pass").length;
    const skipped = results.filter((r) => r.status === "skipped" || r.status === "expected-failure").length;
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
      const props = `      <properties><property name="clause" value="${xml(r.clause)}"/><property name="tags" value="${
        xml(r.tags.join(","))
      }"/></properties>`;
      if (r.status === "passed") {
        out.push(`${open}>`, props, "    </testcase>");
      } else if (r.status === "skipped" || r.status === "expected-failure") {
        out.push(`${open}>`, props, `      <skipped message="${xml(r.reason ?? "")}"/>`, "    </testcase>");
      } else {
        const details = [r.reason ?? "", ...(r.curl ? ["", "Reproduce:", r.curl] : [])].join("\n");
        out.push(
          `${open}>`,
          props,
          `      <failure message="${xml(r.reason ?? "")}" type="${r.status}">${xml(details)}</failure>`,
          "    </testcase>",
        );
      }
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return mask(out.join("\n") + "\n");
}

function html(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

/** The run as one self-contained HTML page. */
export function toHtml(run: RunResult): string {
  const c = run.counts;
  const rows = run.results.map((r) => {
    const detail = r.status === "passed"
      ? ""
      : `<details><summary>${html(r.reason ?? "")}</summary>${
        r.steps.map((s) =>
          `<div class="step ${s.ok ? "ok" : "ko"}"><b>${html(s.name)}</b> ${
            s.request ? html(`${s.request.method} ${s.request.path} → ${s.response?.status}`) : ""
          }${s.problems.map((p) => `<div class="problem">${html(p)}</div>`).join("")}${
            !s.ok && s.response ? `<pre>${html(s.response.body)}</pre>` : ""
          }</div>`
        ).join("")
      }${r.curl ? `<p>Reproduce:</p><pre>${html(r.curl)}</pre>` : ""}</details>`;
    return `<tr class="${r.status}" data-status="${r.status}"><td class="s">${SYMBOL[r.status]}</td><td><code>${
      html(r.id)
    }</code><div class="t">${html(r.title)}</div>${detail}</td><td>${html(r.clause)}</td><td>${
      html(r.tags.join(", "))
    }</td><td class="n">${r.durationMs} ms</td></tr>`;
  }).join("\n");
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SetChat conformance: ${c.failed + c["unexpected-pass"] ? "failed" : "passed"}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1c2430;background:#f6f8fc}
h1{font-size:20px;margin:0 0 4px}.meta{color:#5a6578;margin:0 0 16px}
.counts{display:flex;gap:10px;margin-bottom:16px}.counts span{background:#fff;border-radius:8px;padding:6px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:10px;overflow:hidden}
td,th{padding:8px 10px;border-bottom:1px solid #eef1f6;vertical-align:top;text-align:left}
th{font-size:12px;text-transform:uppercase;color:#5a6578}.s{font-size:16px;width:24px}.n{white-space:nowrap;color:#5a6578}
.t{color:#3c4658}.passed .s{color:#16803c}.failed .s,.unexpected-pass .s{color:#b42318}.skipped{color:#7a8497}.expected-failure .s{color:#b54708}
pre{background:#101828;color:#e6edf7;padding:10px;border-radius:8px;font-size:12px;white-space:pre-wrap;word-break:break-all}
table{table-layout:fixed}th:nth-child(1){width:28px}th:nth-child(3){width:150px}th:nth-child(4){width:180px}th:nth-child(5){width:80px}
.problem{color:#b42318}.step{margin:6px 0}.notes{background:#fffaeb;border-radius:8px;padding:10px;margin-bottom:16px}
label{margin-right:12px}
</style></head><body>
<h1>SetChat conformance</h1>
<p class="meta">Target ${html(run.target)} · started ${html(run.startedAt)} · ${
    (run.durationMs / 1000).toFixed(1)
  } s · exit code ${exitCodeOf(run)}</p>
<div class="counts"><span>✓ ${c.passed} passed</span><span>✗ ${c.failed} failed</span><span>- ${c.skipped} skipped</span>${
    c["expected-failure"] ? `<span>○ ${c["expected-failure"]} known failures</span>` : ""
  }${c["unexpected-pass"] ? `<span>! ${c["unexpected-pass"]} known failures that passed</span>` : ""}</div>
${run.notes.length ? `<div class="notes">${run.notes.map(html).join("<br>")}</div>` : ""}
<p><label><input type="checkbox" id="only"> only failures</label></p>
<table><thead><tr><th></th><th>case</th><th>clause</th><th>tags</th><th>time</th></tr></thead><tbody>
${rows}
</tbody></table>
<script>document.getElementById("only").onchange=(e)=>{for(const tr of document.querySelectorAll("tbody tr"))tr.hidden=e.target.checked&&!["failed","unexpected-pass"].includes(tr.dataset.status)}</script>
</body></html>
`;
  return mask(page);
}
