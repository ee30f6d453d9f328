/**
 * The mint endpoint against its ceilings, measured side by side in one run:
 *
 * - raw: visitor tokens signed per second in this process with the same jose
 *   call the endpoint makes, 32 in flight (the rate no endpoint can pass);
 * - minimal: an HTTP endpoint that only reads the body and signs, the ceiling
 *   of any per-request signer on this runtime;
 * - shaped: the minimal endpoint answering as the mint does (its body's fields
 *   and its headers, built by the same `json`): what the answer's shape costs
 *   on this runtime before any authentication, validation or lookup;
 * - reference: `POST /api/widget/visitor-token` with authentication,
 *   validation and the site check.
 *
 * The load comes from another process (`_load.ts`) over loopback. Rounds are
 * interleaved, every other one in the reverse order, and medians reported,
 * since a shared virtual machine drifts: the shares of the minimal endpoint
 * are the medians of each round's own ratio (the endpoints measured a few
 * seconds apart), with their range. CPU time of this process per request is
 * printed too, and that of its main thread alone (where /proc tells it):
 * every line of JavaScript runs there, so it bounds an instance's rate
 * wherever other cores are free, where the rate measured here also pays for
 * the signing and I/O threads and the load generator on the same cores.
 */
import process from "node:process";
import { generateSigningKey, importSigningKeys, type SigningKeys } from "../src/identity/signing_keys.ts";
import { mintVisitorToken } from "../src/identity/visitor_token.ts";
import { json } from "../src/http/problem.ts";
import { startServer } from "../src/server.ts";
import { mainThreadCpu } from "./_cpu.ts";
import type { LoadSpec } from "./_load.ts";

/** Options of the mint benchmark. */
export interface MintBenchOptions {
  seconds: number;
  rounds: number;
  concurrency: number;
}

/** One measured rate, with the server's CPU time per operation when it served HTTP. */
export interface Measure {
  perSecond: number;
  cpuMicrosPerOp?: number;
  /** CPU of the serving process's main thread per request, where /proc tells it. */
  mainMicrosPerOp?: number;
}

/** The benchmark's medians. */
export interface MintBenchResult {
  raw: Measure;
  minimal: Measure;
  shaped: Measure;
  reference: Measure;
  /** Each round's rate over that round's minimal rate, in the order of the rounds. */
  shares: { shaped: number[]; reference: number[] };
  /**
   * Each round's main-thread CPU per request of the minimal endpoint over the
   * endpoint's own: the share its main thread allows. Empty without /proc.
   */
  mainShares: { shaped: number[]; reference: number[] };
}

const PROFILE = { externalUserId: "user-42", email: "ada@example.com", metadata: { plan: "pro" } };

function sign(keys: SigningKeys, siteApiKey: string): Promise<string> {
  return mintVisitorToken(keys, PROFILE, {
    issuer: "bench",
    siteApiKey,
    tenantId: "ten_bench",
    s2sTokenId: "s2s_bench",
    lifetimeSeconds: 300,
    nowMs: Date.now(),
  });
}

async function rawSigning(keys: SigningKeys, options: MintBenchOptions): Promise<Measure> {
  const loop = async (seconds: number) => {
    let count = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    await Promise.all(Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < end) {
        await sign(keys, "site_bench");
        count++;
      }
    }));
    return count / ((performance.now() - start) / 1000);
  };
  await loop(0.5);
  return { perSecond: await loop(options.seconds) };
}

/** Runs `_load.ts` in its own process and measures this process's CPU meanwhile. */
export async function loadFromAnotherProcess(spec: LoadSpec): Promise<Measure & { statuses: Record<string, number> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", new URL("./_load.ts", import.meta.url).pathname, JSON.stringify(spec)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // CPU is sampled over the whole child's life; the warm-up is subtracted by rate.
  const before = process.cpuUsage();
  const mainBefore = mainThreadCpu();
  const out = await child.output();
  const used = process.cpuUsage(before);
  const mainAfter = mainThreadCpu();
  if (!out.success) throw new Error("Cannot run the load generator: it exited with an error");
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  const totalRequests = r.requestsPerSecond * (spec.seconds + spec.warmupSeconds);
  return {
    perSecond: r.requestsPerSecond,
    cpuMicrosPerOp: (used.user + used.system) / totalRequests,
    ...(mainBefore !== undefined && mainAfter !== undefined
      ? { mainMicrosPerOp: (mainAfter - mainBefore) / totalRequests }
      : {}),
    statuses: r.statuses,
  };
}

/** The median of some measures. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Measures the three rates, interleaved over `rounds`. */
export async function benchMint(options: MintBenchOptions): Promise<MintBenchResult> {
  const dataDir = await Deno.makeTempDir({ prefix: "setchat-bench-" });
  await using server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    dataDir,
    issuer: "bench",
    visitorTokenLifetime: 300,
    publicUrl: undefined,
  });
  const keys = await importSigningKeys([await generateSigningKey(Date.now())]);
  await using minimal = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    await request.text();
    return new Response(JSON.stringify({ token: await sign(keys, "site_bench") }), {
      headers: { "content-type": "application/json" },
    });
  });
  await using shaped = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    await request.text();
    const token = await sign(keys, "site_bench");
    return json(200, { token, expiresIn: 300, expires_in: 300, expiresInLabel: "5m" }, {
      "x-request-id": crypto.randomUUID(),
    });
  });
  const { acme } = server.demo!;
  const load = (url: string) => ({
    url,
    method: "POST",
    headers: { authorization: `Bearer ${acme.serverToken}`, "content-type": "application/json" },
    body: JSON.stringify({ siteApiKey: acme.sites[0]!.apiKey, ...PROFILE }),
    concurrency: options.concurrency,
    warmupSeconds: 1,
    seconds: options.seconds,
  });
  const runs: Record<"raw" | "minimal" | "shaped" | "reference", Measure[]> = {
    raw: [],
    minimal: [],
    shaped: [],
    reference: [],
  };
  const urls = {
    minimal: `http://127.0.0.1:${minimal.addr.port}/`,
    shaped: `http://127.0.0.1:${shaped.addr.port}/`,
    reference: `${server.url}/api/widget/visitor-token`,
  };
  const shares = { shaped: [] as number[], reference: [] as number[] };
  const mainShares = { shaped: [] as number[], reference: [] as number[] };
  for (let round = 0; round < options.rounds; round++) {
    runs.raw.push(await rawSigning(keys, options));
    const order = ["minimal", "shaped", "reference"] as const;
    const measured: Partial<Record<keyof typeof urls, Measure>> = {};
    for (const name of round % 2 === 0 ? order : [...order].reverse()) {
      const m = await loadFromAnotherProcess(load(urls[name]));
      if (Object.keys(m.statuses).some((s) => s !== "200")) {
        throw new Error(`Cannot benchmark the ${name} endpoint: it answered ${JSON.stringify(m.statuses)}`);
      }
      measured[name] = m;
      runs[name].push(m);
    }
    shares.shaped.push(measured.shaped!.perSecond / measured.minimal!.perSecond);
    shares.reference.push(measured.reference!.perSecond / measured.minimal!.perSecond);
    const minimalMain = measured.minimal!.mainMicrosPerOp;
    for (const name of ["shaped", "reference"] as const) {
      const main = measured[name]!.mainMicrosPerOp;
      if (minimalMain !== undefined && main !== undefined) mainShares[name].push(minimalMain / main);
    }
  }
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  const summarise = (ms: Measure[]): Measure => {
    const cpu = ms.flatMap((m) => (m.cpuMicrosPerOp === undefined ? [] : [m.cpuMicrosPerOp]));
    const main = ms.flatMap((m) => (m.mainMicrosPerOp === undefined ? [] : [m.mainMicrosPerOp]));
    return {
      perSecond: median(ms.map((m) => m.perSecond)),
      ...(cpu.length ? { cpuMicrosPerOp: median(cpu) } : {}),
      ...(main.length ? { mainMicrosPerOp: median(main) } : {}),
    };
  };
  return {
    raw: summarise(runs.raw),
    minimal: summarise(runs.minimal),
    shaped: summarise(runs.shaped),
    reference: summarise(runs.reference),
    shares,
    mainShares,
  };
}

/** The result as the lines `deno task bench` prints. */
export function formatMintBench(r: MintBenchResult, options: MintBenchOptions): string[] {
  const n = (x: number) => Math.round(x).toLocaleString("en-US").padStart(7);
  const pct = (x: number, of: number) => `${Math.round((100 * x) / of)}%`;
  const cpu = (m: Measure) => (m.cpuMicrosPerOp === undefined ? "" : `, ${m.cpuMicrosPerOp.toFixed(0)} µs CPU/request`);
  return [
    `Visitor token minting (median of ${options.rounds} rounds of ${options.seconds} s, ${options.concurrency} connections)`,
    `  raw jose EdDSA signing, in process      ${n(r.raw.perSecond)} /s`,
    `  minimal endpoint (read body + sign)     ${n(r.minimal.perSecond)} /s  ${
      pct(r.minimal.perSecond, r.raw.perSecond)
    } of raw${cpu(r.minimal)}`,
    `  minimal, answering as the mint does     ${n(r.shaped.perSecond)} /s  ${
      pct(r.shaped.perSecond, r.raw.perSecond)
    } of raw, ${share(r.shares.shaped)}${cpu(r.shaped)}`,
    `  POST /api/widget/visitor-token          ${n(r.reference.perSecond)} /s  ${
      pct(r.reference.perSecond, r.raw.perSecond)
    } of raw, ${share(r.shares.reference)}${cpu(r.reference)}`,
    ...mainThreadLine(r),
  ];
}

/** The main thread's CPU per request of each endpoint, when it was measured. */
function mainThreadLine(r: MintBenchResult): string[] {
  const us = (m: Measure) => m.mainMicrosPerOp?.toFixed(0);
  if (us(r.minimal) === undefined || us(r.shaped) === undefined || us(r.reference) === undefined) return [];
  return [
    `  main thread, µs CPU/request: minimal ${us(r.minimal)}, answering as the mint does ${us(r.shaped)} (${
      share(r.mainShares.shaped)
    }), mint ${us(r.reference)} (${share(r.mainShares.reference)})`,
  ];
}

/** Shares of the minimal endpoint, one per round, as their median and range. */
function share(xs: number[]): string {
  const pct = (x: number) => Math.round(100 * x);
  return `${pct(median(xs))}% of minimal, rounds ${pct(Math.min(...xs))}–${pct(Math.max(...xs))}%`;
}

if (import.meta.main) {
  const options = { seconds: 3, rounds: 5, concurrency: 32 };
  for (const line of formatMintBench(await benchMint(options), options)) console.log(line);
}
