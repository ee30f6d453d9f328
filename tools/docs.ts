/**
 * Keeps the generated parts of README.md in step with the code: the error
 * tables come from their catalogues, the settings from the command line's. `deno task docs` rewrites them; the
 * test suite fails when they are out of date.
 */
import { SETTINGS } from "../src/config.ts";
import { ERRORS } from "../src/contract/errors.ts";
import { STARTUP_ERRORS } from "../src/domain/startup_error.ts";
import { TESTID, TESTID_DOCS } from "../src/contract/testids.ts";
import { CLAUSES } from "../conformance/clauses.ts";
import {
  killTable,
  killTableMarkdown,
  plantedKillTable,
  plantedKillTableMarkdown,
  widgetKillTable,
  widgetKillTableMarkdown,
} from "../conformance/kill_table.ts";
import { SCENARIOS } from "../conformance/browser/scenarios.ts";

/**
 * The sections of README.md that are generated, by marker name. The kill
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
    clauses: [
      "| clause | rule |",
      "|---|---|",
      ...Object.entries(CLAUSES).map(([id, rule]) => `| \`${id}\` | ${rule} |`),
    ].join(
      "\n",
    ),
    "widget-size": await widgetSize(),
    scenarios: [
      "| scenario | clause | what it checks |",
      "|---|---|---|",
      ...SCENARIOS.map((sc) => `| \`${sc.id}\` | ${sc.clause} | ${sc.title} |`),
    ]
      .join("\n"),
    ...(options.kills
      ? {
        kills: killTableMarkdown(await killTable()),
        "widget-kills": widgetKillTableMarkdown(await widgetKillTable()),
        "planted-kills": plantedKillTableMarkdown(await plantedKillTable()),
      }
      : {}),
  };
}

/** The text between a README section's generated markers. */
export function readmeSection(text: string, name: string): string {
  const open = `<!-- generated:${name} -->`;
  return text.slice(text.indexOf(open) + open.length, text.indexOf(`<!-- /generated:${name} -->`)).trim();
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

/** `text` with each `<!-- generated:NAME -->…<!-- /generated:NAME -->` block replaced, then formatted. */
export async function renderReadme(text: string, options: { kills?: boolean } = {}): Promise<string> {
  return await formatMarkdown(spliceSections(text, await generatedSections(options)));
}

function spliceSections(text: string, sections: Record<string, string>): string {
  let out = text;
  for (const [name, body] of Object.entries(sections)) {
    const open = `<!-- generated:${name} -->`;
    const close = `<!-- /generated:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`Cannot render README.md: the "${name}" markers are missing`);
    out = `${out.slice(0, start + open.length)}\n${body}\n${out.slice(end)}`;
  }
  return out;
}

if (import.meta.main) {
  const { fixtureSchemaText } = await import("./fixture_schema.ts");
  const schema = new URL("../fixtures/fixture.schema.json", import.meta.url);
  await Deno.writeTextFile(schema, await formatText(fixtureSchemaText(), "json"));
  const path = new URL("../README.md", import.meta.url);
  const text = await Deno.readTextFile(path);
  const rendered = await renderReadme(text, { kills: true });
  if (rendered !== text) await Deno.writeTextFile(path, rendered);
  console.log(rendered === text ? "README.md is up to date" : "README.md updated");
}
