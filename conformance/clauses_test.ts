import assert from "node:assert/strict";
import { BROWSER_CHECKS } from "./browser/judge.ts";
import { SCENARIOS } from "./browser/scenarios.ts";
import { CLAUSES, CONTRACT_SECTIONS, rules } from "./clauses.ts";
import type { Checks } from "./fixture_schema.ts";
import { type LoadedCase, loadFixtures, stepLevel } from "./fixtures.ts";
import type { Level } from "./levels.ts";

/**
 * The levels at which the fixtures and scenarios check each clause, with one
 * place each is checked: a step's own checks are its case's clause at the
 * step's level, a `should` or `reference` block's are at that level, and a
 * check of how an error is written belongs to ERRORS.
 */
function checkedLevels(cases: LoadedCase[]): { used: Map<string, string>; misplaced: string[] } {
  const used = new Map<string, string>();
  const misplaced: string[] = [];
  const use = (clause: string, level: Level, where: string) => used.set(`${clause} ${level}`, where);
  const checks = (clause: string, level: Level, block: Checks, where: string) => {
    for (const key of Object.keys(block)) {
      if (key === "code" || key === "errorPaths") {
        if (level !== "reference") misplaced.push(`${where}: "${key}" is the reference's choice, at ${level}`);
        use("ERRORS", level, where);
      } else if (key === "problem") {
        if (level === "must") misplaced.push(`${where}: "problem" is only recommended, at must`);
        use("ERRORS", level, where);
      } else {
        use(clause, level, where);
      }
    }
  };
  for (const c of cases) {
    for (const step of c.steps) {
      const level = stepLevel(c, step);
      const where = `${c.id} (${step.name})`;
      use(c.clause, level, where);
      if (!("request" in step) || !step.expect) continue;
      const { should, reference, ...own } = step.expect;
      checks(c.clause, level, own, where);
      if (should) checks(c.clause, "should", should, where);
      if (reference) checks(c.clause, "reference", reference, where);
    }
  }
  for (const s of SCENARIOS) use(s.clause, s.level, s.id);
  for (const [id, c] of Object.entries(BROWSER_CHECKS)) use(c.clause, c.level, `the browser check ${id}`);
  return { used, misplaced };
}

Deno.test("the rules table and the fixtures agree on every rule's level, both ways", async () => {
  const { used, misplaced } = checkedLevels(await loadFixtures("fixtures"));
  assert.deepEqual(misplaced, []);
  const stated = new Set(rules().map((r) => `${r.clause} ${r.level}`));
  const unstated = [...used].filter(([k]) => !stated.has(k)).map(([k, where]) => `${k} (checked by ${where})`);
  assert.deepEqual(unstated, [], "checks at a level the contract does not give their rule");
  const unchecked = [...stated].filter((k) => !used.has(k));
  assert.deepEqual(unchecked, [], "rules no case or scenario checks at their level");
});

Deno.test("a must rule is stated outright, a should rule says should, a reference rule says it is the reference's", () => {
  for (const r of rules()) {
    const where = `${r.clause} (${r.level}): ${r.text}`;
    if (r.level === "must") assert.doesNotMatch(r.text, /\b(should|recommended|reference)\b/i, where);
    if (r.level === "should") assert.match(r.text, /\bshould\b/, where);
    if (r.level === "reference") assert.match(r.text, /^The reference\b/, where);
    assert.match(r.text, /[.]$/, where);
  }
  for (const [id, c] of Object.entries(CLAUSES)) {
    assert.ok("must" in c || "should" in c || "reference" in c, `${id} states no rule`);
  }
});

Deno.test("docs/contract.md states each section's rules under its own heading", async () => {
  const text = await Deno.readTextFile(new URL("../docs/contract.md", import.meta.url));
  for (const [name, heading] of Object.entries(CONTRACT_SECTIONS)) {
    const start = text.indexOf(`\n## ${heading}\n`);
    assert.ok(start >= 0, `no heading "## ${heading}"`);
    const next = text.indexOf("\n## ", start + 1);
    const block = text.indexOf(`<!-- generated:rules-${name} -->`);
    assert.ok(block > start && (next < 0 || block < next), `the rules of ${name} are not under "## ${heading}"`);
  }
});
