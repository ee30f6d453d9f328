/**
 * The suite's strength, read from Stryker's JSON report: how many of the
 * reference's mutants the suite killed, by room and by file, and which
 * survivors are explained by the reviewed list of equivalent mutants.
 */

/** A mutant's status in Stryker's report. */
export type MutantStatus =
  | "Killed"
  | "Survived"
  | "NoCoverage"
  | "Timeout"
  | "CompileError"
  | "RuntimeError"
  | "Ignored"
  | "Pending";

/** One mutant, as the summary needs it. */
export interface Mutant {
  file: string;
  mutator: string;
  replacement: string;
  /** One-based line of its start. */
  line: number;
  /** That line of the source, trimmed. */
  code: string;
  /** The source text the mutant replaces, on one line. */
  original: string;
  status: MutantStatus;
  killedBy: string[];
}

/** A survivor no client can tell from the reference, with the reason, from `equivalent_mutants.md`. */
export interface Equivalent {
  file: string;
  code: string;
  mutator: string;
  replacement: string;
  /**
   * The source text the mutant replaces, when its line holds twins: mutants with the same mutator and replacement in
   * different places (a whole condition made `true`, or one operand of it).
   */
  original?: string;
  why: string;
}

interface ReportFile {
  source: string;
  mutants: {
    mutatorName: string;
    replacement?: string;
    location: { start: { line: number; column: number }; end?: { line: number; column: number } };
    status: MutantStatus;
    killedBy?: string[];
  }[];
}

/** The mutants of a report (mutation-testing-report-schema), its test ids turned back into names. */
export function mutantsOf(report: {
  files: Record<string, ReportFile>;
  testFiles?: Record<string, { tests: { id: string; name: string }[] }>;
}): Mutant[] {
  const names = new Map<string, string>();
  for (const file of Object.values(report.testFiles ?? {})) {
    for (const t of file.tests) names.set(t.id, t.name.split(":")[0]!);
  }
  const out: Mutant[] = [];
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split("\n");
    // The report's lines and columns are both one-based.
    const offsetOf = (at: { line: number; column: number }) =>
      lines.slice(0, at.line - 1).reduce((n, l) => n + l.length + 1, 0) + at.column - 1;
    for (const m of mutants) {
      const line = m.location.start.line;
      const { start, end } = m.location;
      out.push({
        file,
        mutator: m.mutatorName,
        replacement: m.replacement ?? "",
        line,
        code: (lines[line - 1] ?? "").trim(),
        original: end ? oneLine(source.slice(offsetOf(start), offsetOf(end))) : "",
        status: m.status,
        killedBy: (m.killedBy ?? []).map((id) => names.get(id) ?? id),
      });
    }
  }
  return out;
}

/** The room a file belongs to: its folder (`src/http/routes`, `widget`). */
export function roomOf(file: string): string {
  return file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
}

/** Counts of one room or file. */
export interface Row {
  name: string;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  /** Survivors (or uncovered) listed as equivalent. */
  equivalent: number;
  ignored: number;
  errors: number;
}

/** Mutants that count: detected or not. */
export function valid(r: Row): number {
  return r.killed + r.timeout + r.survived + r.noCoverage;
}

/** Stryker's mutation score: detected over valid, in percent. */
export function score(r: Row): number {
  const v = valid(r);
  return v === 0 ? 100 : (100 * (r.killed + r.timeout)) / v;
}

/** The score once the reviewed equivalent mutants leave the count. */
export function scoreWithoutEquivalents(r: Row): number {
  const v = valid(r) - r.equivalent;
  return v <= 0 ? 100 : (100 * (r.killed + r.timeout)) / v;
}

function emptyRow(name: string): Row {
  return { name, killed: 0, timeout: 0, survived: 0, noCoverage: 0, equivalent: 0, ignored: 0, errors: 0 };
}

/** Code on one line: a replacement that spans lines is listed with each run of white space as one space. */
export function oneLine(code: string): string {
  return code.replace(/\s+/g, " ");
}

/** Whether an equivalent entry names this mutant. */
export function matches(e: Equivalent, m: Mutant): boolean {
  return e.file === m.file && e.mutator === m.mutator && oneLine(e.replacement) === oneLine(m.replacement) &&
    e.code === m.code && (e.original === undefined || oneLine(e.original) === m.original);
}

/** A summary: rows by room and by file, the survivors nobody explained, and listed equivalents that match nothing. */
export interface Summary {
  total: Row;
  rooms: Row[];
  files: Row[];
  unexplained: Mutant[];
  stale: Equivalent[];
  /**
   * Survivors that a row without `original` would name, though it names a survivor replacing other text on the same
   * line already: twins, which need a row each, told apart by the text they replace. They count as unexplained too.
   */
  twins: { row: Equivalent; mutant: Mutant }[];
}

/** Summarises `mutants`, counting those listed in `equivalents` apart. */
export function summarise(mutants: Mutant[], equivalents: Equivalent[]): Summary {
  const total = emptyRow("total");
  const rooms = new Map<string, Row>();
  const files = new Map<string, Row>();
  /** Each row's use: the text replaced by the first survivor it named. */
  const used = new Map<Equivalent, string>();
  const unexplained: Mutant[] = [];
  const twins: Summary["twins"] = [];
  for (const m of mutants) {
    const room = rooms.get(roomOf(m.file)) ?? rooms.set(roomOf(m.file), emptyRow(roomOf(m.file))).get(roomOf(m.file))!;
    const file = files.get(m.file) ?? files.set(m.file, emptyRow(m.file)).get(m.file)!;
    for (const row of [total, room, file]) {
      if (m.status === "Killed") row.killed++;
      else if (m.status === "Timeout") row.timeout++;
      else if (m.status === "Survived") row.survived++;
      else if (m.status === "NoCoverage") row.noCoverage++;
      else if (m.status === "Ignored") row.ignored++;
      else row.errors++;
    }
    if (m.status === "Survived" || m.status === "NoCoverage") {
      // A row without the replaced text names the mutants that replace what its first survivor did (the same code may
      // stand on several lines); a survivor replacing other text on such a line is a twin, which it does not explain.
      const e = equivalents.find((e) => matches(e, m) && (used.get(e) ?? m.original) === m.original);
      const twin = e ? undefined : equivalents.find((e) => matches(e, m));
      if (e) {
        used.set(e, m.original);
        for (const row of [total, room, file]) row.equivalent++;
      } else {
        unexplained.push(m);
        if (twin) twins.push({ row: twin, mutant: m });
      }
    }
  }
  const byName = (a: Row, b: Row) => a.name.localeCompare(b.name);
  return {
    total,
    rooms: [...rooms.values()].sort(byName),
    files: [...files.values()].sort(byName),
    unexplained,
    stale: equivalents.filter((e) => !used.has(e)),
    twins,
  };
}

/**
 * Reads the table of `equivalent_mutants.md`: one row per mutant, its cells
 * the file, the line of code (in backticks), the mutator, the text it replaces
 * (in backticks, empty unless the line holds twins), the replacement (in
 * backticks) and why no client can observe it. Without a header row, or with
 * a header of five cells, the rows have no column for the replaced text. `\|`
 * is a `|` inside a cell; a cell out of backticks is read as written, `\`` a
 * backtick.
 */
export function parseEquivalents(markdown: string): Equivalent[] {
  const out: Equivalent[] = [];
  let columns = ["file", "code", "mutator", "replacement", "why"];
  const cellsOf = (line: string) =>
    line.slice(1, line.endsWith("|") ? -1 : undefined).split(/(?<!\\)\|/).map((c) => c.trim().replaceAll("\\|", "|"));
  for (const raw of markdown.split("\n")) {
    const line = raw.trim();
    if (!line.startsWith("|") || /^\|\s*-/.test(line)) continue;
    if (/^\|\s*file\s*\|/i.test(line)) {
      columns = cellsOf(line).length === 6 ? ["file", "code", "mutator", "original", "replacement", "why"] : columns;
      continue;
    }
    const cells = cellsOf(line);
    if (cells.length !== columns.length) {
      throw new Error(`Cannot read the equivalent mutant "${line}": it needs ${columns.length} cells`);
    }
    const cell = Object.fromEntries(columns.map((c, i) => [c, cells[i]!]));
    // A cell is a code span, or plain text where `\`` is a backtick (an empty template literal, which no span can hold).
    const code = (c: string) =>
      c.startsWith("`") ? c.replace(/^`+\s?/, "").replace(/\s?`+$/, "") : c.replaceAll("\\`", "`");
    if (!cell.why) throw new Error(`Cannot read the equivalent mutant "${line}": it says not why it is equivalent`);
    out.push({
      file: code(cell.file!),
      code: code(cell.code!),
      mutator: cell.mutator!,
      replacement: code(cell.replacement!),
      ...(cell.original ? { original: code(cell.original) } : {}),
      why: cell.why,
    });
  }
  return out;
}

function percent(n: number): string {
  return `${n.toFixed(1)}%`;
}

/** The summary as lines: rooms, then files, then what is left to explain. */
export function formatSummary(summary: Summary, options: { survivors?: number } = {}): string[] {
  const head = ["", "killed", "timeout", "survived", "no cover", "equiv.", "score", "w/o equiv."];
  const cells = (r: Row) => [
    r.name,
    String(r.killed),
    String(r.timeout),
    String(r.survived),
    String(r.noCoverage),
    String(r.equivalent),
    percent(score(r)),
    percent(scoreWithoutEquivalents(r)),
  ];
  const table = (rows: Row[], title: string) => {
    const all = [[title, ...head.slice(1)], ...rows.map(cells)];
    const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
    return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
  };
  const lines = [
    ...table([...summary.rooms, summary.total], "room"),
    "",
    ...table(summary.files, "file"),
  ];
  if (summary.total.ignored) {
    lines.push("", `${summary.total.ignored} mutant(s) ignored: outside this run's sample (--sample), not judged`);
  }
  const shown = options.survivors ?? 30;
  if (summary.unexplained.length) {
    lines.push("", `${summary.unexplained.length} survivor(s) neither killed nor listed as equivalent:`);
    for (const m of summary.unexplained.slice(0, shown)) {
      lines.push(`  ${m.file}:${m.line} ${m.mutator} -> ${m.replacement.split("\n")[0]}    (${m.code})`);
    }
    if (summary.unexplained.length > shown) lines.push(`  … and ${summary.unexplained.length - shown} more`);
  }
  if (summary.twins.length) {
    lines.push("", `${summary.twins.length} survivor(s) are twins of a listed one (same line, mutator, replacement):`);
    for (const { mutant: m } of summary.twins) {
      lines.push(`  ${m.file}:${m.line} ${m.mutator} -> ${m.replacement.split("\n")[0]}, replacing ${m.original}`);
    }
    lines.push("  give each twin its own row, naming the text it replaces in the `replaced` column");
  }
  if (summary.stale.length) {
    lines.push("", `${summary.stale.length} listed equivalent(s) match no survivor (killed now, or the code moved):`);
    for (const e of summary.stale) lines.push(`  ${e.file}: ${e.code} (${e.mutator} -> ${e.replacement})`);
  }
  return lines;
}
