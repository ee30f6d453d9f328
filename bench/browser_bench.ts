/**
 * How long the whole browser suite takes against the reference widget, in
 * process: Chromium launched once, then every scenario (median of a few runs).
 * The goal is 20 s on two cores; the figure is printed, never asserted.
 */
import { launchChromium } from "../conformance/browser/chromium.ts";
import { runBrowserScenarios } from "../conformance/browser/run.ts";
import { SCENARIOS } from "../conformance/browser/scenarios.ts";
import { startInProcessTarget } from "../conformance/target.ts";

/** The suite's size, its median duration and Chromium's launch. */
export interface BrowserBenchResult {
  scenarios: number;
  medianMs: number;
  runs: number[];
  launchMs: number;
}

/** What the suite is held to, in seconds on two cores. */
export const BROWSER_GOAL_SECONDS = 20;

/** Runs every browser scenario `rounds` times against one in-process reference. */
export async function benchBrowser(rounds = 3): Promise<BrowserBenchResult> {
  const target = await startInProcessTarget();
  const launched = performance.now();
  const browser = await launchChromium();
  const launchMs = performance.now() - launched;
  const runs: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      const results = await runBrowserScenarios({ target, browser });
      runs.push(performance.now() - start);
      const failed = results.filter((r) => r.status !== "passed");
      if (failed.length) {
        throw new Error(
          `Cannot benchmark the browser suite: ${failed.map((r) => `${r.id} ${r.status}: ${r.reason}`).join("; ")}`,
        );
      }
    }
  } finally {
    await browser.close();
    await target.close();
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { scenarios: SCENARIOS.length, medianMs: sorted[Math.floor(sorted.length / 2)]!, runs, launchMs };
}

/** The result as `deno task bench` prints it. */
export function formatBrowserBench(r: BrowserBenchResult): string[] {
  const seconds = r.medianMs / 1000;
  return [
    `Browser suite against the reference widget, in process (${r.scenarios} scenarios, ${r.runs.length} runs, ` +
    `${navigator.hardwareConcurrency} cores)`,
    `  median ${seconds.toFixed(2)} s  (runs: ${r.runs.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s; ` +
    `Chromium launch ${(r.launchMs / 1000).toFixed(2)} s)`,
    `  ${(seconds / BROWSER_GOAL_SECONDS).toFixed(2)} of the ${BROWSER_GOAL_SECONDS} s goal`,
  ];
}

if (import.meta.main) {
  for (const line of formatBrowserBench(await benchBrowser())) console.log(line);
}
