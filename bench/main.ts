/** `deno task bench`: every benchmark, printed side by side. */
import { benchConformance, formatConformanceBench } from "./conformance_bench.ts";
import { benchHistory, formatHistoryBench } from "./history_bench.ts";
import { benchMint, formatMintBench } from "./mint_bench.ts";

const mintOptions = { seconds: 3, rounds: 3, concurrency: 32 };
for (const line of formatMintBench(await benchMint(mintOptions), mintOptions)) console.log(line);
console.log();
for (const line of formatHistoryBench(await benchHistory())) console.log(line);
console.log();
for (const line of formatConformanceBench(await benchConformance())) console.log(line);
