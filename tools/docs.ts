/**
 * Keeps the generated parts of the docs in step with the code: the error
 * tables come from their catalogues, the settings from the command line's. `deno task docs` rewrites them; the
 * test suite fails when they are out of date.
 */
import { SETTINGS } from "../src/config.ts";
import { ERRORS } from "../src/contract/errors.ts";
import { STARTUP_ERRORS } from "../src/domain/startup_error.ts";
import { TESTID, TESTID_DOCS } from "../src/contract/testids.ts";
import { CONTRACT_SECTIONS, type Rule, rules } from "../conformance/clauses.ts";
import { LEVELS } from "../conformance/levels.ts";
import {
  independentVerdict,
  killTable,
  killTableMarkdown,
  plantedKillTable,
  plantedKillTableMarkdown,
  widgetKillTable,
  widgetKillTableMarkdown,
} from "../conformance/proof/kill_table.ts";
import { SCENARIOS } from "../conformance/browser/scenarios.ts";
import { BROWSER_CHECKS } from "../conformance/browser/judge.ts";
import { plantedWidgetKillTable, plantedWidgetKillTableMarkdown } from "../conformance/proof/independent_widget.ts";
import { limitsFixture, limitsTableMarkdown } from "../conformance/limits.ts";

/** The files with generated sections, and the sections each holds, by marker name. */
export const DOC_SECTIONS: Readonly<Record<string, readonly string[]>> = {
  "docs/running.md": ["settings", "startup-errors"],
  "docs/contract.md": ["errors", "limits", ...Object.keys(CONTRACT_SECTIONS).map((s) => `rules-${s}`)],
  "docs/widget.md": ["widget-size", "testids"],
  "docs/conformance.md": [
    "levels",
    "clauses",
    "kills",
    "independent-verdict",
    "planted-kills",
    "scenarios",
    "browser-checks",
    "widget-kills",
    "widget-planted-kills",
  ],
};

/**
 * The generated sections of the docs, by marker name. The kill
 * table takes a run of the suite against every broken build, so it is only
 * made when asked for (`deno task docs`); the conformance tests check it.
 */
export async function generatedSections(options: { kills?: boolean } = {}): Promise<Record<string, string>> {
  const rows = Object.entries(ERRORS).map(([code, e]) =>
    `| \`${code}\` | ${e.status} | ${e.cause.replaceAll("|", "\\|")} | ${e.fix.replaceAll("|", "\\|")} |`
  );
  const hooks = (Object.keys(TESTID) as (keyof typeof TESTID)[]).map((k) => `| \`${TESTID[k]}\` | ${TESTID_DOCS[k]} |`);
  const code = (text: string | undefined) => text ? `\`${text}\`` : "";
  return {
    errors: ["| code | status | cause | fix |", "|---|---|---|---|", ...rows].join("\n"),
    settings: [
      "| setting | flag | environment | default |",
      "|---|---|---|---|",
      ...SETTINGS.map((s) => `| ${s.what} | ${code(s.flag)} | ${code(s.env)} | ${code(s.default)} |`),
    ].join("\n"),
    "startup-errors": [
      "| message | cause | fix |",
      "|---|---|---|",
      ...Object.values(STARTUP_ERRORS).map((e) => `| \`${e.message}\` | ${e.cause} | ${e.fix} |`),
    ].join("\n"),
    testids: ["| `data-testid` | what it is |", "|---|---|", ...hooks].join("\n"),
    clauses: rulesTable(rules()),
    ...Object.fromEntries(
      Object.keys(CONTRACT_SECTIONS).map((s) => [`rules-${s}`, rulesTable(rules().filter((r) => r.section === s))]),
    ),
    levels: levelsTable(),
    limits: limitsTableMarkdown(),
    "widget-size": await widgetSize(),
    scenarios: [
      "| scenario | clause | level | what it checks |",
      "|---|---|---|---|",
      ...SCENARIOS.map((sc) => `| \`${sc.id}\` | ${sc.clause} | ${sc.level} | ${sc.title} |`),
    ]
      .join("\n"),
    "browser-checks": [
      "| check | clause | level | rule |",
      "|---|---|---|---|",
      ...Object.entries(BROWSER_CHECKS).map(([id, c]) => `| \`${id}\` | ${c.clause} | ${c.level} | ${c.rule} |`),
    ].join("\n"),
    ...(options.kills
      ? {
        kills: killTableMarkdown(await killTable()),
        "widget-kills": widgetKillTableMarkdown(await widgetKillTable()),
        "widget-planted-kills": plantedWidgetKillTableMarkdown(await plantedWidgetKillTable()),
        "planted-kills": plantedKillTableMarkdown(await plantedKillTable()),
        "independent-verdict": await independentVerdict(),
      }
      : {}),
  };
}

/** Rules as the contract and the conformance guide both show them: one line per rule, its clause and its level. */
function rulesTable(list: Rule[]): string {
  const rows = list.map((r, i) =>
    `| ${i > 0 && list[i - 1]!.clause === r.clause ? "" : `\`${r.clause}\``} | ${r.level} | ${
      r.text.replaceAll("|", "\\|")
    } |`
  );
  return ["| clause | level | rule |", "|---|---|---|", ...rows].join("\n");
}

/** The levels, what each means, and the clauses that have a rule at each. */
function levelsTable(): string {
  const what = {
    must: "what the contract states outright: the vendor docs' S2S contract, the identity rules, universal security",
    should: 'what the contract recommends, saying "should"',
    reference: "the reference's own choices, which another server may make otherwise",
  };
  const failure = {
    must: "fails the run: the case is **failed**",
    should: "a **warning**: fails the run only with `--strict`",
    reference: "a **deviation**, and only in the reference profile",
  };
  const rows = LEVELS.map((level) => {
    const clauses = [...new Set(rules().filter((r) => r.level === level).map((r) => `\`${r.clause}\``))];
    return `| \`${level}\` | ${what[level]}: ${clauses.join(", ")} | ${failure[level]} |`;
  });
  return ["| level | what, and the clauses with a rule at it | a failure |", "|---|---|---|", ...rows].join("\n");
}

/** The text of `fixtures/limits.json`, generated from the contract's table of limits. */
export async function limitsFixtureText(): Promise<string> {
  return await formatText(JSON.stringify(limitsFixture(), null, 2) + "\n", "json");
}

/** The text between a section's generated markers. */
export function sectionOf(text: string, name: string): string {
  const open = `<!-- generated:${name} -->`;
  return text.slice(text.indexOf(open) + open.length, text.indexOf(`<!-- /generated:${name} -->`)).trim();
}

/** A generated section as the docs hold it now, read from the file it lives in. */
export async function docSection(name: string): Promise<string> {
  const file = Object.keys(DOC_SECTIONS).find((f) => DOC_SECTIONS[f]!.includes(name));
  if (!file) throw new Error(`Cannot read section "${name}": no doc holds it`);
  return sectionOf(await Deno.readTextFile(new URL(`../${file}`, import.meta.url)), name);
}

/** Formats Markdown as `deno fmt` does, so generated text is stable under the format check. */
export function formatMarkdown(text: string): Promise<string> {
  return formatText(text, "md");
}

/** Formats text of type `ext` (md, json) as `deno fmt` does. */
export async function formatText(text: string, ext: "md" | "json"): Promise<string> {
  const fmt = new Deno.Command(Deno.execPath(), {
    args: ["fmt", `--ext=${ext}`, "-"],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = fmt.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await fmt.output();
  if (!out.success) throw new Error(`Cannot format generated ${ext}: deno fmt failed`);
  return new TextDecoder().decode(out.stdout);
}

async function widgetSize(): Promise<string> {
  const { bundle } = await import("./build.ts");
  const dir = await Deno.makeTempDir();
  try {
    const b = await bundle({ entry: "widget/mod.ts", output: "widget.js" }, { outputRoot: new URL(`file://${dir}/`) });
    return `\`widget.js\`: ${(b.gzipBytes / 1024).toFixed(1)} KB gzipped, ${(b.bytes / 1024).toFixed(1)} KB minified.`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Each doc with generated sections: its text now, and as it should be (sections replaced, then formatted). */
export async function renderDocs(
  options: { kills?: boolean } = {},
): Promise<{ file: URL; text: string; rendered: string }[]> {
  const sections = await generatedSections(options);
  return await Promise.all(
    Object.entries(DOC_SECTIONS).map(async ([path, names]) => {
      const file = new URL(`../${path}`, import.meta.url);
      const text = await Deno.readTextFile(file);
      const mine = Object.fromEntries(Object.entries(sections).filter(([name]) => names.includes(name)));
      return { file, text, rendered: await formatMarkdown(spliceSections(path, text, mine)) };
    }),
  );
}

function spliceSections(path: string, text: string, sections: Record<string, string>): string {
  let out = text;
  for (const [name, body] of Object.entries(sections)) {
    const open = `<!-- generated:${name} -->`;
    const close = `<!-- /generated:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`Cannot render ${path}: the "${name}" markers are missing`);
    out = `${out.slice(0, start + open.length)}\n${body}\n${out.slice(end)}`;
  }
  return out;
}

if (import.meta.main) {
  const { fixtureSchemaText } = await import("./fixture_schema.ts");
  const schema = new URL("../fixtures/fixture.schema.json", import.meta.url);
  await Deno.writeTextFile(schema, await formatText(fixtureSchemaText(), "json"));
  const { generatedInputsText, GENERATED_INPUTS } = await import("./fixture_schema.ts");
  await Deno.writeTextFile(GENERATED_INPUTS, await formatText(generatedInputsText(), "json"));
  await Deno.writeTextFile(new URL("../fixtures/limits.json", import.meta.url), await limitsFixtureText());
  for (const { file, text, rendered } of await renderDocs({ kills: true })) {
    if (rendered !== text) await Deno.writeTextFile(file, rendered);
    console.log(`${file.pathname.split("/").slice(-2).join("/")}: ${rendered === text ? "up to date" : "updated"}`);
  }
}
