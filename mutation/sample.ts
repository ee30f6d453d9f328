/**
 * A fixed sample of the reference's mutants that the suite catches today,
 * checked by `deno task test` (`sample_test.ts`): removing or weakening a
 * check that catches one fails CI, long before the nightly mutation run
 * would say so. Each is one expression of the reference replaced, as Stryker
 * wrote it, with the cases that caught it in `deno task mutation`'s report.
 *
 * The server's are switched on in one patched copy of the reference, each by
 * name (`(globalThis.__setchatSampleMutant === name ? replacement : original)`),
 * so that one process judges them all; the widget's are bundled one by one.
 */

/** One mutant of the sample. */
export interface SampleMutant {
  /** A name for messages: the file, the line, what changes. */
  name: string;
  /** The file, from the repository's root. */
  file: string;
  /** Exact text of the file, found exactly once. */
  original: string;
  replacement: string;
  /** Stryker's mutator. */
  mutator: string;
  /** The cases (or browser scenarios) that caught it. */
  caughtBy: string[];
}

/** The global a patched copy reads to know which sample mutant is on. */
export const SWITCH = "__setchatSampleMutant";

/** Replaces each mutant's original text of `source` by a switch between it and its replacement. */
export function switched(source: string, mutants: SampleMutant[]): string {
  const spans = mutants.map((m) => {
    const at = source.indexOf(m.original);
    if (at < 0 || source.indexOf(m.original, at + 1) >= 0) {
      const count = source.split(m.original).length - 1;
      throw new Error(
        `Cannot switch the sample mutant ${m.name}: its text is found ${count} times in ${m.file}, not once`,
      );
    }
    return { m, at, end: at + m.original.length };
  }).sort((a, b) => b.at - a.at);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]!.end > spans[i - 1]!.at) {
      throw new Error(`Cannot switch the sample mutants ${spans[i]!.m.name} and ${spans[i - 1]!.m.name}: they overlap`);
    }
  }
  let out = source;
  for (const { m, at, end } of spans) {
    const choice = `(globalThis.${SWITCH} === ${JSON.stringify(m.name)} ? (${m.replacement}) : (${m.original}))`;
    out = out.slice(0, at) + choice + out.slice(end);
  }
  return out;
}

/** Replaces the mutant's original text of `source` by its replacement, for a bundle of its own. */
export function applied(source: string, m: SampleMutant): string {
  switched(source, [m]);
  return source.replace(m.original, m.replacement);
}

/** The sample: server mutants judged by the API cases, widget mutants by the browser scenarios. */
export const SAMPLE: SampleMutant[] = [];
