/**
 * How long the whole browser suite takes against the reference widget, in
 * process, a few rounds, each with a fresh Chromium: the wall time, and the
 * CPU time of this process and of Chromium (from /proc, so a busy machine
 * shows as a wall time far above CPU / cores). The goal is 20 s on two
 * cores; the figures are printed, never asserted.
 */
import { launchChromium } from "../conformance/browser/chromium.ts";
import { runBrowserScenarios } from "../conformance/browser/run.ts";
import { SCENARIOS } from "../conformance/browser/scenarios.ts";
import { startInProcessTarget } from "../conformance/target.ts";

/** The suite's size, and each round's wall and CPU time, in ms. */
export interface BrowserBenchResult {
  scenarios: number;
  runs: { wallMs: number; cpuMs: number | undefined }[];
}

/** What the suite is held to, in seconds on two cores. */
export const BROWSER_GOAL_SECONDS = 20;

/** CPU time of this process and of its children that ended, in ms; `undefined` without /proc. */
function cpuMs(): number | undefined {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, cutime, cstime: fields 14 to 17 of proc(5), in clock ticks (100 a second on Linux).
    return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) * 10;
  } catch {
    return undefined;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs every browser scenario `rounds` times against one in-process reference. */
export async function benchBrowser(rounds = 3): Promise<BrowserBenchResult> {
  const target = await startInProcessTarget();
  const runs: BrowserBenchResult["runs"] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const cpu = cpuMs();
      const start = performance.now();
      const browser = await launchChromium();
      let failed: string[] = [];
      try {
        const results = await runBrowserScenarios({ target, browser });
        failed = results.filter((r) => r.status !== "passed").map((r) => `${r.id} ${r.status}: ${r.reason}`);
      } finally {
        await browser.close();
      }
      const wallMs = performance.now() - start;
      const after = cpuMs();
      runs.push({ wallMs, cpuMs: cpu === undefined || after === undefined ? undefined : after - cpu });
      if (failed.length) throw new Error(`Cannot benchmark the browser suite: ${failed.join("; ")}`);
    }
  } finally {
    await target.close();
  }
  return { scenarios: SCENARIOS.length, runs };
}

/** The result as `deno task bench` prints it. */
export function formatBrowserBench(r: BrowserBenchResult): string[] {
  const wall = median(r.runs.map((x) => x.wallMs)) / 1000;
  const cpus = r.runs.map((x) => x.cpuMs).filter((x): x is number => x !== undefined);
  const cpu = cpus.length ? median(cpus) / 1000 : undefined;
  const s = (ms: number) => (ms / 1000).toFixed(1);
  return [
    `Browser suite against the reference widget, Chromium launch included (${r.scenarios} scenarios, ` +
    `${r.runs.length} runs, ${navigator.hardwareConcurrency} cores)`,
    `  median ${wall.toFixed(1)} s wall  (runs: ${r.runs.map((x) => s(x.wallMs)).join(", ")} s), ` +
    `${(wall / BROWSER_GOAL_SECONDS).toFixed(2)} of the ${BROWSER_GOAL_SECONDS} s goal`,
    ...(cpu === undefined ? [] : [
      `  median ${cpu.toFixed(1)} s CPU (this process and Chromium): at least ${
        (cpu / 2).toFixed(1)
      } s on two idle cores`,
    ]),
  ];
}

if (import.meta.main) {
  for (const line of formatBrowserBench(await benchBrowser())) console.log(line);
}
