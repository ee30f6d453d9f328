/**
 * `deno task bench`: every benchmark, printed side by side.
 * `--soak-seconds <n>` shortens the soak (60 s by default) to try it quickly.
 */
import { parseArgs } from "node:util";
import { benchBrowser, formatBrowserBench } from "./browser_bench.ts";
import { benchConformance, formatConformanceBench } from "./conformance_bench.ts";
import { benchHistory, formatHistoryBench } from "./history_bench.ts";
import { benchMint, formatMintBench } from "./mint_bench.ts";
import { benchPostgres, formatPostgresBench } from "./postgres_bench.ts";
import { benchSoak, formatSoakBench, soakErrors, soakSecondsFrom } from "./soak_bench.ts";

/** The text of `deno task bench --help`. */
export const HELP = `Usage: deno task bench [options]

Every benchmark of the reference, printed side by side: visitor token minting against
the runtime's ceilings, PostgreSQL against Deno KV and the scale model, a soak at half
the maximum rate, history listings on a large site, the conformance suite in process
and through a proxy 50 ms away, and the browser suite. Measure on a quiet machine:
the figures are ratios and CPU time per request, taken side by side in one run.

  --soak-seconds N   how long the soak runs (default 60, at least 1)
  --help             print this help and exit

Exit codes: 0 every benchmark ran; 1 the soak met errors; 2 the command line is wrong.`;

/** What the command line asks for: the help, or a run with its soak's length. */
export type BenchCommand = { help: true } | { help: false; soakSeconds: number };

/** Reads the command line; throws a `TypeError` that names the fix when it is wrong. */
export function parseBenchArgs(args: string[]): BenchCommand {
  let values: { "soak-seconds"?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { "soak-seconds": { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (error) {
    const text = error instanceof Error ? error.message.split(". ")[0]! : String(error);
    throw new TypeError(
      `Cannot read the command line: ${text.charAt(0).toLowerCase()}${
        text.slice(1)
      }; run with --help to list the options`,
    );
  }
  if (values.help) return { help: true };
  try {
    return { help: false, soakSeconds: soakSecondsFrom(values["soak-seconds"]) };
  } catch (error) {
    throw new TypeError((error as Error).message);
  }
}

if (import.meta.main) {
  let command: BenchCommand;
  try {
    command = parseBenchArgs(Deno.args);
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(2);
  }
  if (command.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const mintOptions = { seconds: 3, rounds: 5, concurrency: 32 };
  for (const line of formatMintBench(await benchMint(mintOptions), mintOptions)) console.log(line);
  console.log();
  const postgresOptions = { seconds: 3, rounds: 3, concurrency: 32 };
  for (const line of formatPostgresBench(await benchPostgres(postgresOptions), postgresOptions)) console.log(line);
  console.log();
  const soak = await benchSoak({ seconds: command.soakSeconds });
  for (const line of formatSoakBench(soak)) console.log(line);
  console.log();
  for (const line of formatHistoryBench(await benchHistory())) console.log(line);
  console.log();
  const conformanceOptions = { rounds: 3, roundTripMs: 50, concurrencies: [4, 8, 16, 32] };
  for (const line of formatConformanceBench(await benchConformance(conformanceOptions))) console.log(line);
  console.log();
  for (const line of formatBrowserBench(await benchBrowser())) console.log(line);
  // A soak with errors fails the command, after every figure is printed.
  if (soakErrors(soak) > 0) Deno.exitCode = 1;
}
