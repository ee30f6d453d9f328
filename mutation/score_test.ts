import assert from "node:assert/strict";
import { matches, type Mutant, mutantsOf, parseEquivalents, summarise } from "./score.ts";
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
    original: first.original ?? "x",
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
    original: "xs",
    status: "Survived",
    killedBy: [],
  };
  assert.ok(matches(row!, mutant));
  assert.ok(!matches(row!, { ...mutant, replacement: "xs.map((x) => {\n  return y;\n})" }));
});

Deno.test("a row names the mutants replacing one text: a twin on its line needs a row of its own, naming what it replaces", () => {
  const source = "if (a && b) go();\nif (a && b) go();\n";
  const at = (line: number, from: number, to: number) => ({
    start: { line, column: from },
    end: { line, column: to },
  });
  const mutants = mutantsOf({
    files: {
      "src/a.ts": {
        source,
        mutants: [
          // The whole condition, one operand, and the same whole condition on the next line: report columns are one-based.
          { mutatorName: "ConditionalExpression", replacement: "true", location: at(1, 5, 11), status: "Survived" },
          { mutatorName: "ConditionalExpression", replacement: "true", location: at(1, 10, 11), status: "Survived" },
          { mutatorName: "ConditionalExpression", replacement: "true", location: at(2, 5, 11), status: "Survived" },
        ],
      },
    },
  });
  assert.deepEqual(mutants.map((m) => m.original), ["a && b", "b", "a && b"]);
  const header =
    "| file | line of code | mutator | replaced | replacement | why no client can observe it |\n| - | - | - | - | - | - |";
  const one = parseEquivalents(
    `${header}\n| \`src/a.ts\` | \`if (a && b) go();\` | ConditionalExpression | | \`true\` | same |`,
  );
  assert.equal(one[0]!.original, undefined);
  const alone = summarise(mutants, one);
  assert.equal(alone.total.equivalent, 2, "the same code on another line is the same mutant");
  assert.deepEqual(alone.twins.map((t) => t.mutant.original), ["b"]);
  assert.deepEqual(alone.unexplained.map((m) => m.original), ["b"]);

  const both = parseEquivalents(
    `${header}\n| \`src/a.ts\` | \`if (a && b) go();\` | ConditionalExpression | \`a && b\` | \`true\` | same |` +
      `\n| \`src/a.ts\` | \`if (a && b) go();\` | ConditionalExpression | \`b\` | \`true\` | same too |`,
  );
  const told = summarise(mutants, both);
  assert.equal(told.total.equivalent, 3);
  assert.deepEqual([told.twins, told.unexplained, told.stale], [[], [], []]);
  assert.throws(
    () => parseEquivalents(`${header}\n| \`src/a.ts\` | \`x\` | StringLiteral | \`""\` | same |`),
    /6 cells/,
  );
});
