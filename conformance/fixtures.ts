/** Loads fixture files and refuses broken ones before anything runs. */
import { join, relative } from "node:path";
import { type FixtureCase, FixtureFile, type Step } from "./fixture_schema.ts";
import { isAtMost, type Level, type Surface, surfaceOf, SURFACES } from "./levels.ts";
import { TARGET_VARIABLES } from "./variables.ts";
import { DISCOVERED_VARIABLES } from "./discovered.ts";

/** A case with where it came from and the surfaces it calls. */
export interface LoadedCase extends FixtureCase {
  file: string;
  suite: string;
  /** The surfaces its steps call below `reference` level. */
  surfaces: Surface[];
}

/** A fixture file is broken: names the file and the path inside it. */
export class FixtureError extends Error {
  override name = "FixtureError";
  constructor(readonly problems: string[]) {
    super(`Cannot load the fixtures:\n  ${problems.join("\n  ")}`);
  }
}

/** Variables every case has, whatever the target. */
export const BUILTIN_VARIABLES = ["apiUrl", "unique", ...TARGET_VARIABLES, ...DISCOVERED_VARIABLES];

function templateVariables(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === "string") {
    for (const m of value.matchAll(/\{\{\s*([^}]+?)\s*\}\}/g)) if (!m[1]!.startsWith("repeat:")) out.add(m[1]!);
  } else if (Array.isArray(value)) {
    for (const v of value) templateVariables(v, out);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      templateVariables(k, out);
      templateVariables(v, out);
    }
  }
  return out;
}

/** The level a step's own checks have. */
export function stepLevel(c: Pick<FixtureCase, "level">, step: Step): Level {
  return step.level ?? c.level;
}

/** The variables a step reads. */
function usedBy(step: Step): Set<string> {
  const used = "transform" in step
    ? templateVariables(step.input)
    : "set" in step
    ? templateVariables(step.set)
    : "verify" in step
    ? templateVariables(step.verify)
    : "request" in step
    ? templateVariables([step.request, step.expect])
    : new Set<string>();
  if (step.if) used.add(step.if);
  if (step.unless) used.add(step.unless);
  return used;
}

/** The variables a step sets. */
function setBy(step: Step): string[] {
  if ("transform" in step) return [step.capture];
  if ("set" in step) return Object.keys(step.set);
  if ("request" in step) return Object.keys(step.capture ?? {});
  return [];
}

/**
 * Checks what the schema cannot: levels only go down (a step below its case,
 * `should` and `reference` blocks below their step); a step calling an
 * endpoint only the reference has is a `reference` step; every variable is a
 * built-in or set by an earlier step that runs in every profile the reader
 * runs in.
 */
function checkCase(c: FixtureCase, where: string): string[] {
  const problems: string[] = [];
  const known = new Set<string>(BUILTIN_VARIABLES);
  const referenceOnly = new Set<string>();
  c.steps.forEach((step, i) => {
    const at = `${where}.steps.${i} ("${step.name}")`;
    const level = stepLevel(c, step);
    if (!isAtMost(level, c.level)) problems.push(`${at}: level "${level}" is above its case's "${c.level}"`);
    if ("request" in step) {
      if (step.expect?.should && level !== "must") {
        problems.push(`${at}: a "should" block needs a must step (this step is "${level}")`);
      }
      if (step.expect?.reference && level === "reference") {
        problems.push(`${at}: a "reference" block in a reference step: put its checks in the step's expect`);
      }
      if (level !== "reference" && surfaceOf(step.request.path) === undefined) {
        problems.push(`${at}: ${step.request.path} exists only in the reference: make the step "level": "reference"`);
      }
    }
    for (const v of usedBy(step)) {
      if (known.has(v)) continue;
      if (referenceOnly.has(v) && level !== "reference") {
        problems.push(`${at}: uses {{${v}}}, which only a reference step captures`);
      } else if (!referenceOnly.has(v)) {
        problems.push(`${at}: uses {{${v}}} before any step captures it`);
      }
    }
    for (const v of setBy(step)) (level === "reference" ? referenceOnly : known).add(v);
  });
  return problems;
}

/** The surfaces a case's steps call below `reference` level. */
export function surfacesOf(c: FixtureCase): Surface[] {
  const used = new Set<Surface>();
  for (const step of c.steps) {
    if (!("request" in step) || stepLevel(c, step) === "reference") continue;
    const surface = surfaceOf(step.request.path);
    if (surface) used.add(surface);
  }
  return SURFACES.filter((s) => used.has(s));
}

/** Every `*.json` fixture under `dir` (but the JSON Schema), validated; throws a {@linkcode FixtureError}. */
export async function loadFixtures(dir: string): Promise<LoadedCase[]> {
  const files: string[] = [];
  async function walk(d: string) {
    for await (const entry of Deno.readDir(d)) {
      const path = join(d, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".json") && !entry.name.endsWith(".schema.json")) files.push(path);
    }
  }
  await walk(dir);
  files.sort();
  const problems: string[] = [];
  const cases: LoadedCase[] = [];
  const seen = new Map<string, string>();
  for (const path of files) {
    const file = relative(Deno.cwd(), path);
    let data: unknown;
    try {
      data = JSON.parse(await Deno.readTextFile(path));
    } catch (error) {
      problems.push(`${file}: not valid JSON: ${(error as Error).message}`);
      continue;
    }
    const parsed = FixtureFile.safeParse(data);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const at = issue.path.length ? issue.path.join(".") : "(file)";
        const extra = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
        problems.push(`${file}: ${at}: ${issue.message}${extra}`);
      }
      continue;
    }
    parsed.data.cases.forEach((c, i) => {
      const where = `${file}: cases.${i}`;
      const earlier = seen.get(c.id);
      if (earlier) problems.push(`${where}: id "${c.id}" is also used in ${earlier}`);
      seen.set(c.id, file);
      problems.push(...checkCase(c, where));
      cases.push({ ...c, file, suite: parsed.data.suite, surfaces: surfacesOf(c) });
    });
  }
  if (files.length === 0) problems.push(`${dir}: no fixture files`);
  if (problems.length) throw new FixtureError(problems);
  return cases;
}
