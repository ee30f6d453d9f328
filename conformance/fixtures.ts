/** Loads fixture files and refuses broken ones before anything runs. */
import { join, relative } from "node:path";
import { type FixtureCase, FixtureFile, type HttpStep } from "./fixture_schema.ts";
import { TARGET_VARIABLES } from "./variables.ts";

/** A case with where it came from. */
export interface LoadedCase extends FixtureCase {
  file: string;
  suite: string;
}

/** A fixture file is broken: names the file and the path inside it. */
export class FixtureError extends Error {
  override name = "FixtureError";
  constructor(readonly problems: string[]) {
    super(`Cannot load the fixtures:\n  ${problems.join("\n  ")}`);
  }
}

/** Variables every case has, whatever the target. */
export const BUILTIN_VARIABLES = ["apiUrl", "unique", ...TARGET_VARIABLES];

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

/** Every variable a case uses is a built-in or captured by an earlier step. */
function checkVariables(c: FixtureCase, where: string): string[] {
  const known = new Set<string>(BUILTIN_VARIABLES);
  const problems: string[] = [];
  c.steps.forEach((step, i) => {
    const used = "transform" in step
      ? templateVariables(step.input)
      : "set" in step
      ? templateVariables(step.set)
      : templateVariables([step.request, step.expect]);
    for (const v of used) {
      if (!known.has(v)) {
        problems.push(`${where}.steps.${i} ("${step.name}"): uses {{${v}}} before any step captures it`);
      }
    }
    if ("transform" in step) known.add(step.capture);
    else if ("set" in step) { for (const name of Object.keys(step.set)) known.add(name); }
    else for (const name of Object.keys((step as HttpStep).capture ?? {})) known.add(name);
  });
  return problems;
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
      problems.push(...checkVariables(c, where));
      cases.push({ ...c, file, suite: parsed.data.suite });
    });
  }
  if (files.length === 0) problems.push(`${dir}: no fixture files`);
  if (problems.length) throw new FixtureError(problems);
  return cases;
}
