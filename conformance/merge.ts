/**
 * `--merge`: the JSON reports of several jobs (the shards of one run, say)
 * as one run, so that one JUnit, one HTML page and one exit code gate CI.
 * Reports that cannot be one run (other profiles, a case twice, a shard
 * missing) are refused with a sentence, never merged into a green report.
 */
import { join } from "node:path";
import { RunReport } from "./report_schema.ts";
import { countChecks, countStatuses, type RunResult } from "./runner.ts";

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

function profileKey(r: RunReport): string {
  return JSON.stringify([r.profile.name, [...r.profile.surfaces].sort(), [...r.profile.levels].sort()]);
}

/** The reports as one run; throws a {@linkcode MergeError} when they cannot be one. */
export function mergeReports(reports: ReadReport[]): RunResult {
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
  const shards = reports.filter((r) => r.report.shard);
  let shardNote: string | undefined;
  if (shards.length) {
    if (shards.length !== reports.length) {
      throw new MergeError("Cannot merge: some reports are shards (--shard) and others are not");
    }
    const count = shards[0]!.report.shard!.count;
    const other = shards.find((r) => r.report.shard!.count !== count);
    if (other) {
      throw new MergeError(
        `Cannot merge ${other.path}: it is shard ${other.report.shard!.index}/${
          other.report.shard!.count
        }, the others are of ${count}`,
      );
    }
    const indices = shards.map((r) => r.report.shard!.index);
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !indices.includes(i));
    if (missing.length) {
      throw new MergeError(
        `Cannot merge: shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")} ` +
          `missing, so ${missing.length > 1 ? "their" : "its"} cases did not run (a job that failed to start?)`,
      );
    }
    shardNote = `Merged the ${count} shards of one run.`;
  }
  const ordered = [...reports].sort((a, b) => (a.report.shard?.index ?? 0) - (b.report.shard?.index ?? 0));
  const results = ordered.flatMap((r) => r.report.results);
  const starts = reports.map((r) => Date.parse(r.report.startedAt));
  const ends = reports.map((r, i) => starts[i]! + r.report.durationMs);
  const targets = [...new Set(reports.map((r) => r.report.target))];
  const nodes = [...new Set(reports.flatMap((r) => r.report.nodes ?? []))];
  return {
    target: targets.length === 1 ? targets[0]! : `${targets.length} targets (${targets.join("; ")})`,
    ...(nodes.length ? { nodes } : {}),
    startedAt: new Date(Math.min(...starts)).toISOString(),
    durationMs: Math.max(...ends) - Math.min(...starts),
    profile: first.report.profile,
    strict: first.report.strict,
    results,
    counts: countStatuses(results),
    checks: countChecks(results),
    notes: [
      ...(shardNote ? [shardNote] : [`Merged ${reports.length} reports.`]),
      ...new Set(reports.flatMap((r) => r.report.notes)),
    ],
  };
}
