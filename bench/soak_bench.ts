/**
 * A soak: the reference under a steady mix of minting and widget traffic for
 * a minute, at half the rate the same mix reaches when pushed (measured first,
 * in the same run). The server runs in a process of its own on a file store,
 * as `deno task serve` does; the load comes from another (`_soak_load.ts`),
 * open loop. Latency per kind of request, errors, and the server's memory at
 * start, after the warm-up and at the end.
 */
import { parseArgs } from "node:util";
import { type ChildServerMemory, lineReader, spawnChildServer } from "../src/child_server.ts";
import { type Kind, MIX, type SoakLoadResult, type SoakSpec } from "./_soak_load.ts";

/** Options of the soak. */
export interface SoakBenchOptions {
  /** Length of the measured window; 60 by default. */
  seconds: number;
}

/** What the soak measured. */
export interface SoakBenchResult {
  seconds: number;
  warmupSeconds: number;
  /** The mix's rate in a closed loop, and how it was measured. */
  max: { perSecond: number; seconds: number; concurrency: number };
  /** The open loop's rate: half of `max`. */
  rate: number;
  load: SoakLoadResult;
  memory: { start: ChildServerMemory; warm: ChildServerMemory; end: ChildServerMemory };
}

const MAX_SECONDS = 5;
const MAX_CONCURRENCY = 32;

/** Runs `_soak_load.ts` in its own process; `onWarm` is called when its warm-up ends. */
async function loadFromAnotherProcess(spec: SoakSpec, onWarm: () => Promise<void>): Promise<SoakLoadResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", new URL("./_soak_load.ts", import.meta.url).pathname, JSON.stringify(spec)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const next = lineReader(child.stdout);
  let result: SoakLoadResult | undefined;
  for (let line = await next(); line !== null; line = await next()) {
    const event = JSON.parse(line) as { event: string };
    if (event.event === "warm") await onWarm();
    if (event.event === "done") result = event as SoakLoadResult;
  }
  const status = await child.status;
  if (!status.success || !result) throw new Error("Cannot run the soak's load generator: it exited with an error");
  return result;
}

/** Measures the mix's maximum rate, then soaks the server at half of it. */
export async function benchSoak(options: SoakBenchOptions): Promise<SoakBenchResult> {
  const dataDir = await Deno.makeTempDir({ prefix: "setchat-soak-" });
  try {
    await using server = await spawnChildServer({ args: ["--data", dataDir], exposeGc: true });
    const { url, demo } = server.hello;
    if (!demo) throw new Error("Cannot soak: the server did not create its demo tenant");
    const spec = { url, serverToken: demo.serverToken, siteApiKey: demo.siteApiKey, concurrency: MAX_CONCURRENCY };
    const start = await server.memory();
    const max = await loadFromAnotherProcess(
      { ...spec, mode: "max", rate: 0, warmupSeconds: 1, seconds: MAX_SECONDS },
      async () => {},
    );
    const rate = Math.round(max.requestsPerSecond / 2);
    const warmupSeconds = Math.min(10, Math.max(2, Math.round(options.seconds / 6)));
    let warm: ChildServerMemory | undefined;
    const load = await loadFromAnotherProcess(
      { ...spec, mode: "soak", rate, warmupSeconds, seconds: options.seconds },
      async () => void (warm = await server.memory()),
    );
    const end = await server.memory();
    return {
      seconds: options.seconds,
      warmupSeconds,
      max: { perSecond: max.requestsPerSecond, seconds: MAX_SECONDS, concurrency: MAX_CONCURRENCY },
      rate,
      load,
      memory: { start, warm: warm ?? start, end },
    };
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/** Errors of the soak, all kinds together. */
export function soakErrors(r: SoakBenchResult): number {
  return Object.values(r.load.kinds).reduce((sum, k) => sum + k.errors, 0);
}

/** The result as the lines `deno task bench` prints. */
export function formatSoakBench(r: SoakBenchResult): string[] {
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const ms = (x: number) => x.toFixed(1).padStart(7);
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`.padStart(10);
  const delta = (bytes: number) => `${bytes >= 0 ? "+" : ""}${(bytes / 2 ** 20).toFixed(1)} MB`.padStart(10);
  const errors = soakErrors(r);
  const total = Object.values(r.load.kinds).reduce((sum, k) => sum + k.count, 0);
  const lines = [
    `Soak: ${r.seconds} s at ${n(r.rate)} requests/s, half the mix's maximum of ${n(r.max.perSecond)}/s ` +
    `(closed loop, ${r.max.concurrency} connections, ${r.max.seconds} s, just before)`,
    `  open loop from a second process after a ${r.warmupSeconds} s warm-up; latency counted from when each request was due; ` +
    `server in its own process on a file store`,
    `  mix: ${MIX.map((m) => `${m.percent}% ${m.label}`).join(", ")}`,
    `  ${"kind".padEnd(40)}${"requests".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${
      "max ms".padStart(9)
    }${"errors".padStart(8)}`,
  ];
  for (const m of MIX) {
    const k = r.load.kinds[m.kind as Kind];
    lines.push(
      `  ${m.label.padEnd(40)}${n(k.count).padStart(9)}  ${ms(k.p50Ms)}  ${ms(k.p99Ms)}  ${ms(k.maxMs)}${
        String(k.errors).padStart(8)
      }`,
    );
  }
  lines.push(
    `  ${"all".padEnd(40)}${n(total).padStart(9)}${"".padStart(36)}${String(errors).padStart(8)}`,
    `  generator: ${n(r.load.requestsPerSecond)} requests/s sent, at worst ${r.load.maxSendLagMs.toFixed(1)} ms late`,
  );
  if (errors === 0) {
    lines.push("  errors: 0");
  } else {
    const failures = Object.entries(r.load.kinds).flatMap(([kind, k]) =>
      Object.entries(k.failures).map(([status, count]) => `${kind} ${status} ×${count}`)
    );
    lines.push(
      `  !!!!! ${n(errors)} REQUESTS FAILED OF ${n(total)}: ${failures.join(", ")} !!!!!`,
    );
  }
  const { start, warm, end } = r.memory;
  lines.push(
    `  server memory (after a full GC)  ${"start".padStart(10)}${"warmed up".padStart(11)}${"end".padStart(11)}${
      "end - warm".padStart(11)
    }`,
    `    RSS                             ${mb(start.rss)} ${mb(warm.rss)} ${mb(end.rss)} ${delta(end.rss - warm.rss)}`,
    `    V8 heap used                    ${mb(start.heapUsed)} ${mb(warm.heapUsed)} ${mb(end.heapUsed)} ${
      delta(end.heapUsed - warm.heapUsed)
    }`,
  );
  return lines;
}

/** Reads `--soak-seconds` (60 by default). */
export function soakSecondsFrom(value: string | undefined): number {
  if (value === undefined) return 60;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 1) {
    throw new RangeError(`Cannot soak for "${value}" seconds: give a number of seconds, at least 1`);
  }
  return seconds;
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { "soak-seconds": { type: "string" } }, strict: true });
  const result = await benchSoak({ seconds: soakSecondsFrom(values["soak-seconds"]) });
  for (const line of formatSoakBench(result)) console.log(line);
  if (soakErrors(result) > 0) Deno.exitCode = 1;
}
