/**
 * GitHub Actions workflow commands: each failure an `::error`, each warning
 * (or deviation from the reference) a `::warning`, so that they show on the
 * run's summary page without opening the log.
 */
import { type CaseResult, failsRun, type RunResult } from "./runner.ts";

/** A workflow command's message: `%`, CR and LF escaped as the runner expects. */
function data(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** A workflow command's property value: also `:` and `,`. */
function property(text: string): string {
  return data(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

function kind(run: RunResult, r: CaseResult): "error" | "warning" | undefined {
  if (failsRun(run, r)) return "error";
  if (r.status === "warning" || r.status === "deviation") return "warning";
  return undefined;
}

/** The run's annotations, one line each, failures first. */
export function annotations(run: RunResult): string[] {
  const lines: [number, string][] = [];
  for (const r of run.results) {
    const k = kind(run, r);
    if (!k) continue;
    const title = property(`${r.id} (${r.level}, ${r.clause})`);
    lines.push([k === "error" ? 0 : 1, `::${k} title=${title}::${data(`${r.title}: ${r.reason ?? r.status}`)}`]);
  }
  return lines.sort((a, b) => a[0] - b[0]).map(([, line]) => line);
}
