/**
 * What the process writes to its console while a check runs: what an
 * operator reads in the log. Shared by every check that reads it, so that
 * checks running side by side patch the console once and each hears every line.
 */

const sinks = new Set<string[]>();
const CONSOLE = ["log", "error", "warn", "info"] as const;
let saved: Pick<Console, (typeof CONSOLE)[number]> | undefined;

/** Runs `fn` with the console's lines, as the console writes them (`error: ...`), gathered in `lines`. */
export async function capturingConsole<T>(fn: (lines: string[]) => Promise<T>): Promise<T> {
  const lines: string[] = [];
  // Checks may run side by side: the console is patched while any of them listens, each hearing every line.
  if (sinks.size === 0) {
    saved = { log: console.log, error: console.error, warn: console.warn, info: console.info };
    for (const k of CONSOLE) {
      console[k] = (...args: unknown[]) => {
        // As the console renders them: a string as it is, anything else (an error's name, stack and cause) inspected.
        const line = `${k}: ${args.map((a) => typeof a === "string" ? a : Deno.inspect(a)).join(" ")}`;
        for (const sink of sinks) sink.push(line);
      };
    }
  }
  sinks.add(lines);
  try {
    return await fn(lines);
  } finally {
    sinks.delete(lines);
    if (sinks.size === 0 && saved) Object.assign(console, saved);
  }
}
