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

const { values } = parseArgs({ args: Deno.args, options: { "soak-seconds": { type: "string" } }, strict: true });
const soakSeconds = soakSecondsFrom(values["soak-seconds"]);

const mintOptions = { seconds: 3, rounds: 3, concurrency: 32 };
for (const line of formatMintBench(await benchMint(mintOptions), mintOptions)) console.log(line);
console.log();
const postgresOptions = { seconds: 3, rounds: 3, concurrency: 32 };
for (const line of formatPostgresBench(await benchPostgres(postgresOptions), postgresOptions)) console.log(line);
console.log();
const soak = await benchSoak({ seconds: soakSeconds });
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
