import assert from "node:assert/strict";
import { matches, type Mutant, parseEquivalents, summarise } from "./score.ts";
import { readEquivalents } from "./mod.ts";

Deno.test("parseEquivalents() reads code spans, an escaped | and an empty template literal written as \\`\\`", () => {
  const rows = parseEquivalents([
    "| file | line of code | mutator | replacement | why no client can observe it |",
    "| ---- | ------------ | ------- | ----------- | ---------------------------- |",
    "| `src/a.ts` | `` log(`x ${y}`) `` | StringLiteral | \\`\\` | log only |",
    "| `src/a.ts` | `a \\|\\| b` | LogicalOperator | `a && b` | log only |",
  ].join("\n"));
  assert.deepEqual(rows.map((r) => [r.code, r.replacement]), [["log(`x ${y}`)", "``"], ["a || b", "a && b"]]);
  assert.throws(() => parseEquivalents('| `src/a.ts` | `a` | StringLiteral | `""` | |'), /says not why/);
});

Deno.test("the reviewed list parses, every row with its reason, and counts apart only the survivors it names", async () => {
  const equivalents = await readEquivalents();
  assert.ok(equivalents.length > 0);
  for (const e of equivalents) assert.match(e.why, /\w{3,} \w+/, `${e.file}: ${e.code}`);
  const first = equivalents[0]!;
  const mutant = (status: Mutant["status"]): Mutant => ({
    file: first.file,
    mutator: first.mutator,
    replacement: first.replacement,
    line: 1,
    code: first.code,
    status,
    killedBy: [],
  });
  const summary = summarise([mutant("Survived"), mutant("Killed"), { ...mutant("Survived"), code: "other" }], [first]);
  assert.equal(summary.total.equivalent, 1);
  assert.equal(summary.unexplained.length, 1);
  assert.deepEqual(summary.stale, []);
});

Deno.test("a replacement that spans lines is listed on one line, each run of white space one space", () => {
  const [row] = parseEquivalents(
    "| `src/a.ts` | `return xs` | MethodExpression | `xs.map((x) => { return x; })` | same |",
  );
  const mutant: Mutant = {
    file: "src/a.ts",
    mutator: "MethodExpression",
    replacement: "xs.map((x) => {\n  return x;\n})",
    line: 1,
    code: "return xs",
    status: "Survived",
    killedBy: [],
  };
  assert.ok(matches(row!, mutant));
  assert.ok(!matches(row!, { ...mutant, replacement: "xs.map((x) => {\n  return y;\n})" }));
});
