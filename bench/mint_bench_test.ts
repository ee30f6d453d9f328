import assert from "node:assert/strict";
import { mainThreadCpu } from "./_cpu.ts";
import { formatMintBench, type MintBenchResult } from "./mint_bench.ts";

const OPTIONS = { seconds: 3, rounds: 3, concurrency: 32 };

function result(main: boolean): MintBenchResult {
  const m = (perSecond: number, cpu: number, mainCpu: number) => ({
    perSecond,
    cpuMicrosPerOp: cpu,
    ...(main ? { mainMicrosPerOp: mainCpu } : {}),
  });
  return {
    raw: { perSecond: 30_000 },
    minimal: m(12_000, 80, 48),
    shaped: m(11_000, 86, 52),
    reference: m(9_600, 100, 64),
    shares: { shaped: [0.9, 0.95, 0.92], reference: [0.8, 0.78, 0.84] },
    mainShares: main ? { shaped: [0.92, 0.9, 0.94], reference: [0.75, 0.7, 0.77] } : { shaped: [], reference: [] },
  };
}

Deno.test("formatMintBench() prints each share as the median of its rounds, with their range", () => {
  const lines = formatMintBench(result(true), OPTIONS);
  assert.match(
    lines[4]!,
    /POST \/api\/widget\/visitor-token +9,600 \/s +32% of raw, 80% of minimal, rounds 78–84%, 100 µs CPU\/request$/,
  );
  assert.equal(
    lines[5],
    "  main thread, µs CPU/request: minimal 48, answering as the mint does 52 (92% of minimal, rounds 90–94%), mint 64 (75% of minimal, rounds 70–77%)",
  );
});

Deno.test("formatMintBench() leaves the main thread's line out where it was not measured", () => {
  const lines = formatMintBench(result(false), OPTIONS);
  assert.equal(lines.length, 5);
  assert.ok(!lines.some((l) => l.includes("main thread")));
});

Deno.test("mainThreadCpu() counts the thread running JavaScript, and grows while it works", async () => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  const before = mainThreadCpu();
  if (before === undefined) {
    assert.ok(Deno.build.os !== "linux", "Linux has /proc, so the main thread's CPU must be read");
    return;
  }
  const end = performance.now() + 30;
  while (performance.now() < end) { /* spin on this thread */ }
  // Waiting lets the thread stop running, which is when the kernel counts its time.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const spent = mainThreadCpu()! - before;
  assert.ok(spent >= 20_000 && spent < 1_000_000, `${spent} µs for a 30 ms spin`);
});
