/**
 * `--merge`: the JSON reports of several jobs (the shards of one run, say)
 * as one run, so that one JUnit, one HTML page and one exit code gate CI.
 * Reports that cannot be one run (other profiles, a case twice, a shard
 * missing) are refused with a sentence, never merged into a green report.
 */
import { join } from "node:path";
import { RunReport } from "./report_schema.ts";
import { countChecks, countStatuses, type RunResult } from "./runner.ts";
import { IN_PROCESS } from "./target.ts";

/** Why reports cannot be merged. */
export class MergeError extends Error {
  override name = "MergeError";
}

/** A report read from disk. */
export interface ReadReport {
  path: string;
  report: RunReport;
}

/** Every `conformance.json` at or under `paths` (a file is taken as it is), in a stable order. */
export async function findReports(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.isDirectory) await walk(join(dir, e.name));
      else if (e.isFile && e.name === "conformance.json") out.push(join(dir, e.name));
    }
  };
  for (const path of paths) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch {
      throw new MergeError(`Cannot merge ${path}: no such file or folder`);
    }
    if (info.isDirectory) await walk(path);
    else out.push(path);
  }
  return out;
}

/** Reads and checks each report. */
export async function readReports(paths: string[]): Promise<ReadReport[]> {
  const out: ReadReport[] = [];
  for (const path of paths) {
    let data: unknown;
    try {
      data = JSON.parse(await Deno.readTextFile(path));
    } catch (error) {
      throw new MergeError(`Cannot merge ${path}: ${(error as Error).message}`);
    }
    const parsed = RunReport.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new MergeError(
        `Cannot merge ${path}: it is not a conformance.json of this suite (${
          issue.path.join(".") || "body"
        }: ${issue.message}); write reports with --reporter json`,
      );
    }
    out.push({ path, report: parsed.data });
  }
  return out;
}

/** What a report ran against: its nodes, or any reference in process (each job starts its own, on its own port). */
function targetKey(r: RunReport): string {
  if (r.target.startsWith(IN_PROCESS)) return IN_PROCESS;
  return JSON.stringify([...(r.nodes ?? [r.target])].sort());
}

function profileKey(r: RunReport): string {
  return JSON.stringify([r.profile.name, [...r.profile.surfaces].sort(), [...r.profile.levels].sort()]);
}

/**
 * The reports as one run; throws a {@linkcode MergeError} when they cannot
 * be one. `strict` and `noSkips` hold warnings and skipped cases against the
 * merged run even when the shards ran without them.
 */
export function mergeReports(
  reports: ReadReport[],
  options: { strict?: boolean; noSkips?: boolean } = {},
): RunResult {
  if (reports.length === 0) {
    throw new MergeError("Cannot merge: no conformance.json found (write them with --reporter json)");
  }
  const [first] = reports as [ReadReport];
  for (const { path, report } of reports) {
    if (profileKey(report) !== profileKey(first.report)) {
      throw new MergeError(
        `Cannot merge ${path}: its profile (${report.profile.name}: ${report.profile.levels.join(", ")}) is not ` +
          `the one of ${first.path} (${first.report.profile.name}: ${first.report.profile.levels.join(", ")})`,
      );
    }
    if (report.strict !== first.report.strict) {
      throw new MergeError(`Cannot merge ${path}: one report ran with --strict and another without`);
    }
    if ((report.noSkips ?? false) !== (first.report.noSkips ?? false)) {
      throw new MergeError(`Cannot merge ${path}: one report ran with --no-skips and another without`);
    }
  }
  const made = (
    r: RunReport,
  ) => (r.versions ? `suite ${r.versions.suite}, contract ${r.versions.contract}` : "an older suite");
  for (const { path, report } of reports) {
    if (made(report) !== made(first.report)) {
      throw new MergeError(
        `Cannot merge ${path}: it was made by ${made(report)}, and ${first.path} by ${made(first.report)}`,
      );
    }
    if (targetKey(report) !== targetKey(first.report)) {
      throw new MergeError(
        `Cannot merge ${path}: it ran against ${report.target}, and ${first.path} against ${first.report.target}`,
      );
    }
  }
  // Shards must be the whole of one selection; other reports (a job of the destructive cases, say) join as they are.
  const shards = reports.filter((r) => r.report.shard);
  let shardNote: string | undefined;
  if (shards.length) {
    const [one] = shards as [ReadReport];
    const count = one.report.shard!.count;
    const selection = (r: RunReport) =>
      r.selection ? `${r.selection.cases} cases of suite ${r.selection.suiteVersion}` : "no recorded selection";
    for (const { path, report } of shards) {
      if (report.shard!.count !== count) {
        throw new MergeError(
          `Cannot merge ${path}: it is shard ${report.shard!.index}/${report.shard!.count}, and ${one.path} is ` +
            `shard ${one.report.shard!.index}/${count}`,
        );
      }
      if (report.selection?.fingerprint !== one.report.selection?.fingerprint) {
        throw new MergeError(
          `Cannot merge ${path}: it was made from another selection (${selection(report)}) than ${one.path} ` +
            `(${selection(one.report)}): run every shard with the same suite, fixtures and selection flags`,
        );
      }
    }
    const byIndex = new Map<number, string>();
    for (const { path, report } of shards) {
      const twice = byIndex.get(report.shard!.index);
      if (twice) {
        throw new MergeError(
          `Cannot merge: shard ${report.shard!.index}/${count} is given twice (${twice} and ${path})`,
        );
      }
      byIndex.set(report.shard!.index, path);
    }
    const indices = [...byIndex.keys()];
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !indices.includes(i));
    if (missing.length) {
      throw new MergeError(
        `Cannot merge: shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")} ` +
          `missing, so ${missing.length > 1 ? "their" : "its"} cases did not run (a job that failed to start?)`,
      );
    }
    const ran = shards.reduce((n, r) => n + r.report.results.length, 0);
    const selected = one.report.selection?.cases;
    if (selected !== undefined && ran !== selected) {
      throw new MergeError(
        `Cannot merge: the shards hold ${ran} of the ${selected} cases selected, so some did not run`,
      );
    }
    const others = reports.length - shards.length;
    shardNote = `Merged the ${count} shards of one run${others ? ` and ${others} other report(s)` : ""}.`;
  }
  const seen = new Map<string, string>();
  for (const { path, report } of reports) {
    for (const r of report.results) {
      const other = seen.get(r.id);
      if (other) {
        throw new MergeError(`Cannot merge: case ${r.id} is in ${other} and in ${path} (a shard given twice?)`);
      }
      seen.set(r.id, path);
    }
  }
  const ordered = [...reports].sort((a, b) => (a.report.shard?.index ?? 0) - (b.report.shard?.index ?? 0));
  const results = ordered.flatMap((r) => r.report.results);
  const starts = reports.map((r) => Date.parse(r.report.startedAt));
  const ends = reports.map((r, i) => starts[i]! + r.report.durationMs);
  const nodes = [...new Set(reports.flatMap((r) => r.report.nodes ?? []))];
  return {
    target: first.report.target,
    ...(first.report.versions ? { versions: first.report.versions } : {}),
    ...(nodes.length ? { nodes } : {}),
    startedAt: new Date(Math.min(...starts)).toISOString(),
    durationMs: Math.max(...ends) - Math.min(...starts),
    profile: first.report.profile,
    strict: first.report.strict || (options.strict ?? false),
    ...(first.report.noSkips || options.noSkips ? { noSkips: true } : {}),
    results,
    counts: countStatuses(results),
    checks: countChecks(results),
    notes: [
      ...(shardNote ? [shardNote] : [`Merged ${reports.length} reports.`]),
      ...new Set(reports.flatMap((r) => r.report.notes)),
    ],
  };
}
