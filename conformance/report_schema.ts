/**
 * The JSON report (`conformance.json`) as a schema: what `--merge` reads
 * back. It mirrors the runner's `RunResult`; the assignments at the end fail
 * the type check the day the two drift apart.
 */
import { z } from "zod";
import { LEVELS, type Profile, SURFACES } from "./levels.ts";
import { CASE_STATUSES, type CaseResult, type CaseStatus, type RunResult } from "./runner.ts";

const Level = z.enum(LEVELS);

const CheckResult = z.object({
  level: Level,
  check: z.string(),
  ok: z.boolean().nullable(),
  detail: z.string().exactOptional(),
});

const StepResult = z.object({
  name: z.string(),
  level: Level,
  ok: z.boolean(),
  problems: z.array(z.string()),
  checks: z.array(CheckResult).exactOptional(),
  notRun: z.string().exactOptional(),
  request: z.object({ method: z.string(), path: z.string() }).exactOptional(),
  response: z.object({ status: z.number(), body: z.string() }).exactOptional(),
  node: z.string().exactOptional(),
  durationMs: z.number(),
});

const CaseStatusSchema = z.enum(CASE_STATUSES as [CaseStatus, ...CaseStatus[]]);

/** One case of a report. */
export const CaseReport = z.object({
  id: z.string(),
  title: z.string(),
  clause: z.string(),
  tags: z.array(z.string()),
  file: z.string(),
  suite: z.string(),
  level: Level,
  surfaces: z.array(z.enum(SURFACES)),
  status: CaseStatusSchema,
  reason: z.string().exactOptional(),
  durationMs: z.number(),
  steps: z.array(StepResult),
  curl: z.string().exactOptional(),
  evidence: z.array(z.object({ label: z.string(), path: z.string() })).exactOptional(),
  retried: z.int().min(1).exactOptional(),
});

const Counts = z.object({ passed: z.number(), failed: z.number(), notApplicable: z.number() });

const ProfileSchema = z.object({
  name: z.string(),
  surfaces: z.array(z.enum(SURFACES)),
  levels: z.array(Level),
  source: z.string(),
});

/** Which part of the selected cases a run ran (`--shard 2/4` is index 2 of count 4). */
export const Shard = z.object({ index: z.number().int().min(1), count: z.number().int().min(1) })
  .refine((s) => s.index <= s.count, { message: "the shard index must not exceed the shard count" });

/** A whole `conformance.json`. */
export const RunReport = z.object({
  target: z.string(),
  nodes: z.array(z.string()).exactOptional(),
  shard: Shard.exactOptional(),
  versions: z.object({ suite: z.string(), contract: z.string() }).exactOptional(),
  selection: z.object({ suiteVersion: z.string(), cases: z.number(), fingerprint: z.string() }).exactOptional(),
  startedAt: z.string(),
  durationMs: z.number(),
  profile: ProfileSchema,
  strict: z.boolean(),
  noSkips: z.boolean().exactOptional(),
  results: z.array(CaseReport),
  counts: z.record(CaseStatusSchema, z.number()),
  checks: z.record(Level, Counts),
  notes: z.array(z.string()),
  exitCode: z.number().exactOptional(),
});
export type RunReport = z.infer<typeof RunReport>;

// The schema and the runner's types describe the same report.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _case: Same<Omit<z.infer<typeof CaseReport>, never>, CaseResult> = true;
const _profile: Same<z.infer<typeof ProfileSchema>, Profile> = true;
const _run: Same<Omit<RunReport, "exitCode">, RunResult> = true;
void _case, _profile, _run;
