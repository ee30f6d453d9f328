/**
 * A failed case as a bash script that reproduces it: one curl per step up to
 * the failure, values captured with jq, attack tokens rebuilt by this
 * suite's own command, and every secret and target value as a `$SETCHAT_…`
 * variable, never in clear. The script runs as printed, indented or not:
 * literal text is single-quoted and variables are double-quoted expansions,
 * so no here-document and no shell expansion of the data. A value the target
 * returned is data throughout: written out only inside single quotes, read at
 * run time into variables that are only ever expanded in double quotes, and
 * appended to `recovery.env` quoted, so that running the script, or sourcing
 * that file, executes nothing a target chose.
 */
import type { FixtureCase, HttpStep } from "./fixture_schema.ts";
import type { Level } from "./levels.ts";
import { stepLevel } from "./fixtures.ts";
import { printable, type Redactor, shellName } from "./redact.ts";
import type { Vars } from "./template.ts";
import { TOKEN_TRANSFORMS } from "./token_transforms.ts";
import { ENV_NAMES } from "./variables.ts";

/** What a reproduction needs of the run. */
export interface ReproductionOptions {
  /** The last step to reproduce (included). */
  upTo: number;
  /** The case's `{{unique}}`. */
  unique: string;
  /** The case's variables when it stopped: values that are not strings are written out. */
  vars: Vars;
  /** The levels the run held: steps of other levels were not sent. */
  levels: readonly Level[];
  /** A target of several nodes: their URLs, and the node (an index) each step's request went to. */
  nodes?: { urls: readonly string[]; of: (step: number) => number };
  /** The run's secrets: one written out in a value becomes its variable, other credential shapes are masked. */
  redactor?: Redactor;
}

/** The shell variable holding the base URL of node `k` (from 0) of a run over several nodes. */
function nodeVariable(k: number): string {
  return `SETCHAT_API_URL_${k + 1}`;
}

/** `text` as one single-quoted shell word. */
function single(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A piece of a shell word: literal text (single-quoted), or an expansion written as it is. */
type Part = { literal: string } | { expansion: string };

/** A template's parts: its text and the run's `{{unique}}` and non-string values as literals, variables as expansions. */
function templateParts(template: string, o: ReproductionOptions): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{\{\s*([^}]+?)\s*\}\}/g)) {
    parts.push({ literal: template.slice(last, m.index) });
    const value = literalValue(m[1]!, o);
    parts.push(value !== undefined ? { literal: value } : { expansion: expansion(m[1]!) });
    last = m.index + m[0].length;
  }
  parts.push({ literal: template.slice(last) });
  return parts;
}

/**
 * Parts as one shell word: literal runs single-quoted as one, a secret written
 * out in them (a value the run captured) as its variable, expansions as they are.
 */
function shellWord(parts: Part[], o: ReproductionOptions): string {
  const merged: Part[] = [];
  for (const p of parts) {
    const last = merged.at(-1);
    if ("literal" in p && last && "literal" in last) last.literal += p.literal;
    else merged.push({ ...p });
  }
  const words = merged.flatMap((p): Part[] =>
    "expansion" in p || !o.redactor ? [p] : o.redactor.segments(p.literal).map((
      s,
    ) => ("text" in s ? { literal: s.text } : { expansion: `"$${s.variable}"` }))
  );
  return words.filter((p) => "expansion" in p || p.literal !== "").map((p) =>
    "expansion" in p ? p.expansion : single(p.literal)
  ).join("") || "''";
}

/** A template as one shell word: literal parts single-quoted, variables expanded in double quotes. */
function word(template: string, o: ReproductionOptions): string {
  return shellWord(templateParts(template, o), o);
}

/** The text a variable stands for when it is no shell variable: the run's `unique`, or a value that is not a string. */
function literalValue(expression: string, o: ReproductionOptions): string | undefined {
  if (expression === "unique") return o.unique;
  if (expression in ENV_NAMES || expression.startsWith("repeat:")) return undefined;
  const value = o.vars[expression];
  return value !== undefined && typeof value !== "string" ? jsonText(value) : undefined;
}

/**
 * A value the target returned, as JSON text a terminal shows as it is: what
 * `JSON.stringify` leaves raw (C1 controls, U+2028, bidirectional overrides)
 * is written as a `\u` escape too, which means the same inside a JSON string.
 */
function jsonText(value: unknown): string {
  return printable(JSON.stringify(value));
}

function expansion(expression: string): string {
  const repeat = /^repeat:(.+):(\d+)$/.exec(expression);
  if (repeat) {
    const unit = repeat[1]!.replaceAll("\\", "\\\\").replaceAll("%", "%%");
    return `"$(printf ${single(`%.0s${unit}`)} $(seq 1 ${repeat[2]}))"`;
  }
  // Only a variable's name is ever expanded; anything else between braces is text.
  return /^[A-Za-z_]\w*$/.test(expression) ? `"$${shellName(expression)}"` : single(`{{${expression}}}`);
}

/** Stands in a JSON body for a value written out, while the body's own text is read as a template. */
const INLINED = /"\\u0001(\d+)\\u0001"/g;

/**
 * A JSON body template as one shell word; a string that is exactly a
 * non-string variable becomes its value. Such a value came from the target:
 * it is written out as literal text, never read as a template.
 */
function jsonWord(json: unknown, o: ReproductionOptions): string {
  const values: string[] = [];
  const inline = (v: unknown): unknown => {
    if (typeof v === "string") {
      const whole = /^\{\{\s*(\w+)\s*\}\}$/.exec(v);
      const value = whole ? o.vars[whole[1]!] : undefined;
      if (value === undefined || typeof value === "string") return v;
      values.push(jsonText(value));
      return `\u0001${values.length - 1}\u0001`;
    }
    if (Array.isArray(v)) return v.map(inline);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inline(x)]));
    }
    return v;
  };
  const text = JSON.stringify(inline(json));
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINED)) {
    parts.push(...templateParts(text.slice(last, m.index), o), { literal: values[Number(m[1])]! });
    last = m.index + m[0].length;
  }
  parts.push(...templateParts(text.slice(last), o));
  return shellWord(parts, o);
}

/** Our body paths as a jq filter: `a.0.b` is `.a[0].b`, `list[*].id` is `[.list[].id]`. */
export function jqFilter(path: string, claim?: string): string {
  let mapped = false;
  const filter = path.split(".").map((segment) => {
    const star = /^(.*)\[\*\]$/.exec(segment);
    const key = star ? star[1]! : segment;
    const step = /^\d+$/.test(key) ? `[${key}]` : /^[A-Za-z_]\w*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    if (star) mapped = true;
    return star ? `${step}[]` : step;
  }).join("").replace(/^\[/, ".[");
  const body = filter.startsWith(".") ? filter : `.${filter}`;
  const decoded = claim === undefined
    ? body
    : `${body} | split(".")[1] | gsub("-";"+") | gsub("_";"/") | @base64d | fromjson | .${claim}`;
  return mapped ? `[${decoded}]` : decoded;
}

function curl(r: HttpStep["request"], o: ReproductionOptions, showStatus: boolean, node: number): string {
  const base = o.nodes ? `"$${nodeVariable(node)}"` : "";
  const url = o.nodes ? `${base}${word(r.path, o)}` : word(`{{apiUrl}}${r.path}`, o);
  // -w adds a line break after each answer, so that the next one starts its own line.
  // HEAD is --head: with -X HEAD, curl waits for the body the headers announce, which never comes.
  const method = r.method === "HEAD" ? "--head" : `-X ${r.method}`;
  const parts = [`curl -sS${showStatus ? " -i" : ""} -w '\\n' ${method} ${url}`];
  if (r.auth !== undefined) parts.push(`-H ${word(`Authorization: Bearer ${r.auth}`, o)}`);
  for (const [k, v] of Object.entries(r.headers ?? {})) parts.push(`-H ${word(`${k}: ${v}`, o)}`);
  // An empty header tells curl to send none: not even the form type it gives a body by default.
  if (r.noContentType) parts.push(`-H 'Content-Type:'`);
  if (r.chunked) parts.push(`-H 'Transfer-Encoding: chunked'`);
  let data: string | undefined;
  if (r.json !== undefined) {
    if (!r.noContentType && !Object.keys(r.headers ?? {}).some((k) => k.toLowerCase() === "content-type")) {
      parts.push(`-H 'Content-Type: application/json'`);
    }
    data = jsonWord(r.json, o);
  } else if (r.body !== undefined) {
    data = word(r.body, o);
  } else if (r.bodyBase64 !== undefined) {
    data = `"$(printf %s '${r.bodyBase64}' | base64 -d)"`;
  }
  // curl cannot stop half-way: the command sends the whole body.
  const note = r.stallAfter !== undefined
    ? `# the suite sends only the first ${r.stallAfter} bytes of this body, then waits\n`
    : r.brokenChunks
    ? `# the suite sends this body as one chunk, then the chunk size "zz", which is not hexadecimal\n`
    : r.lengthTwice
    ? `# the suite sends this body with its Content-Length header twice, one value in each\n`
    : "";
  // printf pads with spaces to a width in bytes (in the C locale): the body the runner sent.
  if (data !== undefined) {
    parts.push(`--data-binary ${r.padTo === undefined ? data : `"$(LC_ALL=C printf '%-${r.padTo}s' ${data})"`}`);
  }
  return note + parts.join(" \\\n  ");
}

/** The bash commands reproducing `c` up to step `o.upTo` (included). */
export function reproduction(c: FixtureCase, o: ReproductionOptions): string {
  const lines = [
    `# ${c.id}: ${c.title}`,
    "# Needs bash, curl, jq and the SETCHAT_* variables of the target (set -a; . your.env; set +a), and after a",
    "# run that rotated tokens its recovery.env too; an attack token is rebuilt by the suite's own command, run",
    "# from its checkout.",
    ...(c.destructive
      ? [
        "# DESTRUCTIVE: this rotates and revokes the tenant's server tokens for real. Every token a rotation",
        "# returns is appended to ./recovery.env (mode 0600) as the runner does: deploy the newest.",
      ]
      : []),
    ...(o.nodes
      ? [
        `# The run spread the requests over ${o.nodes.urls.length} nodes, as below; point these at the same nodes.`,
        ...o.nodes.urls.map((url, k) => `${nodeVariable(k)}=\${${nodeVariable(k)}:-${single(url)}}`),
      ]
      : []),
  ];
  c.steps.slice(0, o.upTo + 1).forEach((step, i) => {
    const level = stepLevel(c, step);
    if (!o.levels.includes(level)) {
      lines.push(`# step ${i + 1}, ${step.name}: not sent (${level} level, not in this run's profile)`);
      return;
    }
    const body: string[] = [];
    if ("transform" in step) {
      const needs = TOKEN_TRANSFORMS[step.transform].needs as readonly string[];
      const flags = [
        ...(needs.includes("jwks") ? [`--target "$${o.nodes ? nodeVariable(0) : "SETCHAT_API_URL"}"`] : []),
        ...(needs.includes("signingKey") ? [`--signing-key "$SETCHAT_SIGNING_KEY_FILE"`] : []),
      ];
      body.push(
        `${shellName(step.capture)}=$(printf '%s' ${word(step.input, o)} | ` +
          `npx -y deno@2.9 task -q conformance --transform ${step.transform}${flags.map((f) => ` ${f}`).join("")})`,
      );
    } else if ("set" in step) {
      for (const [name, template] of Object.entries(step.set)) body.push(`${shellName(name)}=${word(template, o)}`);
    } else if ("waitMs" in step) {
      // The runner moves a test clock instead, where the target has one; a reproduction waits.
      body.push(`sleep ${step.waitMs / 1000}`);
    } else if ("clock" in step) {
      // The target's test clock, as the runner moves it (a reference started with --test-clock).
      const change = JSON.stringify(step.clock).replace(/"\{\{(\w+)\}\}"/g, (_, name) => `'"$${shellName(name)}"'`);
      body.push(
        `curl -sS -o /dev/null -X POST "$SETCHAT_API_URL"'/api/test/clock' -H 'Authorization: Bearer '"$SETCHAT_ADMIN_TOKEN" ` +
          `-H 'Content-Type: application/json' --data-binary '${change}'`,
      );
    } else if ("verify" in step) {
      body.push(`: # the runner checks ${JSON.stringify(step.verify.map((a) => a.value ?? a.path))} here`);
    } else {
      const last = i === o.upTo;
      const captures = Object.entries(step.capture ?? {});
      const command = curl(step.request, o, last, o.nodes?.of(i) ?? 0);
      const rotation = step.request.method === "POST" && /\/s2s-token\/rotate$/.test(step.request.path);
      if ((captures.length === 0 && !rotation) || last) {
        body.push(command);
      } else {
        const answer = `R${i + 1}`;
        body.push(`${answer}=$(${command})`);
        // `// empty`: a field the answer lacks (a refused rotation) leaves the variable empty, not "null".
        // The rotated token is where the run found it (the field it names in the report).
        const rotatedField = typeof o.vars.rotatedTokenField === "string" ? o.vars.rotatedTokenField : "token";
        for (const [name, spec] of captures) {
          const { path, claim } = typeof spec === "string"
            ? { path: spec, claim: undefined }
            : "rotatedToken" in spec
            ? { path: rotatedField, claim: undefined }
            : spec;
          body.push(
            `${shellName(name)}=$(printf '%s' "$${answer}" | jq -r ${single(`${jqFilter(path, claim)} // empty`)})`,
          );
        }
        if (rotation) {
          const variable = step.request.path.includes("{{foreignTenantId}}")
            ? "SETCHAT_FOREIGN_SERVER_TOKEN"
            : "SETCHAT_SERVER_TOKEN";
          // Only a value that can be a bearer token is kept, quoted: sourcing the file runs nothing the target chose.
          body.push(
            `(umask 077; printf '%s' "$${answer}" | jq -r ${
              single(
                `${jqFilter(rotatedField)} // empty | strings | select(test("^[A-Za-z0-9._~+/-]+=*$")) | ` +
                  `"${variable}=" + @sh`,
              )
            } >> recovery.env || true)`,
          );
        }
      }
    }
    const sent = "parallel" in step && step.parallel ? ` (the runner sent it ${step.parallel} times at once)` : "";
    const where =
      o.nodes && !("transform" in step || "set" in step || "waitMs" in step || "verify" in step || "clock" in step)
        ? ` (node ${o.nodes.of(i) + 1})`
        : "";
    lines.push(`# step ${i + 1}: ${step.name}${where}${sent}`);
    const condition = step.if
      ? `[ -n "\${${shellName(step.if)}:-}" ]`
      : step.unless
      ? `[ -z "\${${shellName(step.unless)}:-}" ]`
      : undefined;
    if (condition) lines.push(`if ${condition}; then`, ...body.map((l) => `  ${l}`), "fi");
    else lines.push(...body);
  });
  return lines.join("\n");
}
