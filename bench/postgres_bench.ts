/**
 * The PostgreSQL store against the embedded one, side by side in one run:
 *
 * - mint and widget throughput, each server in a process of its own, on
 *   Deno KV and on PostgreSQL (`POST /api/widget/visitor-token`, and
 *   `GET /api/widget/conversations` of a session with 3 conversations);
 * - one instance against two on one database, as a ratio (same total load);
 * - listing one visitor's history on PostgreSQL with 100,010 conversations
 *   on the site against 10 (goal: within 1.2×);
 * - the inputs of a scale model: during the PostgreSQL runs, the CPU time per
 *   request of the instance's process and of PostgreSQL's processes (from
 *   /proc), and what follows: how many instances one PostgreSQL core serves
 *   before it is the bottleneck, and at what throughput.
 *
 * PostgreSQL is the benchmark's own (initdb in a temporary directory), or the
 * server at `SETCHAT_TEST_DATABASE_URL`, in which it creates its databases.
 * The load comes from other processes (`_load.ts`); rounds are interleaved
 * and medians kept, since a shared 2-core machine drifts. The database,
 * every server and the load share those 2 cores: the two-instance ratio says
 * what a second process buys on one machine, not on two.
 */
import { type ChildServer, spawnChildServer } from "../src/child_server.ts";
import { historyOf, type Viewer } from "../src/domain/visibility.ts";
import { openPostgresStore } from "../src/store/pg_store.ts";
import { testPostgres } from "../src/store/pg_test_utils.ts";
import { conversation, perListing } from "./history_bench.ts";
import { loadFromAnotherProcess, median } from "./mint_bench.ts";
import { cpuBetween, cpuOf } from "./_cpu.ts";

/** Options of the PostgreSQL benchmark. */
export interface PostgresBenchOptions {
  seconds: number;
  rounds: number;
  concurrency: number;
  /** Conversations of other visitors on the large site. */
  others?: number;
}

/** Requests per second, medians. */
export interface PostgresBenchResult {
  mint: { kv: number; pg: number };
  widget: { kv: number; pg: number };
  /** Widget listings per second by two instances sharing one database and the load (one instance: `widget.pg`). */
  twoInstances: number;
  /** Microseconds per history listing on PostgreSQL. */
  history: { small: number; large: number; others: number; fillSeconds: number };
  /** CPU per request on PostgreSQL, medians; `null` when the database server is not the benchmark's own. */
  scale: { mint: RequestCost; widget: RequestCost } | null;
}

/** What one request costs the instance that serves it and the database behind it, in CPU microseconds. */
export interface RequestCost {
  instance: number;
  database: number;
}

/** Instances one database core serves before it is the bottleneck, and its requests per second then. */
export function projection(cost: RequestCost): { instancesPerCore: number; perSecondPerCore: number } {
  return { instancesPerCore: cost.instance / cost.database, perSecondPerCore: 1e6 / cost.database };
}

const PROFILE = { externalUserId: "user-42", email: "ada@example.com", metadata: { plan: "pro" } };

/** A widget session with three conversations, opened on `server`. */
async function widgetSession(server: ChildServer): Promise<string> {
  const demo = server.hello.demo!;
  const opened = await fetch(`${server.hello.url}/api/widget/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ siteApiKey: demo.siteApiKey }),
  });
  const { sessionToken } = await opened.json();
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${server.hello.url}/api/widget/conversations`, {
      method: "POST",
      headers: { authorization: `Bearer ${sessionToken}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "chat", text: `Hello ${i}` }),
    });
    if (res.status !== 201) throw new Error(`Cannot prepare the widget benchmark: ${res.status}`);
    await res.body?.cancel();
  }
  return sessionToken;
}

/** What the load generators send: a mint, or a widget listing. */
function loads(server: ChildServer, sessionToken: string, options: PostgresBenchOptions, concurrency: number) {
  const demo = server.hello.demo!;
  const common = { concurrency, warmupSeconds: 1, seconds: options.seconds };
  return {
    mint: {
      ...common,
      url: `${server.hello.url}/api/widget/visitor-token`,
      method: "POST",
      headers: { authorization: `Bearer ${demo.serverToken}`, "content-type": "application/json" },
      body: JSON.stringify({ siteApiKey: demo.siteApiKey, ...PROFILE }),
    },
    widget: {
      ...common,
      url: `${server.hello.url}/api/widget/conversations`,
      method: "GET",
      headers: { authorization: `Bearer ${sessionToken}` },
    },
  };
}

async function rate(spec: Parameters<typeof loadFromAnotherProcess>[0]): Promise<number> {
  return (await measured(spec)).perSecond;
}

/**
 * Throughput, and the CPU per request of the `instance` process and of the
 * `database` processes over the load (its warm-up included, as requests).
 */
async function measured(
  spec: Parameters<typeof loadFromAnotherProcess>[0],
  watch?: { instance: number; database: () => Promise<number[]> },
): Promise<{ perSecond: number; cost?: RequestCost }> {
  const before = watch && { instance: await cpuOf([watch.instance]), database: await cpuOf(await watch.database()) };
  const r = await loadFromAnotherProcess(spec);
  if (Object.keys(r.statuses).some((s) => s !== "200")) {
    throw new Error(`Cannot benchmark ${spec.url}: it answered ${JSON.stringify(r.statuses)}`);
  }
  if (!watch || !before || before.database.size === 0) return { perSecond: r.perSecond };
  const requests = r.perSecond * (spec.seconds + spec.warmupSeconds);
  return {
    perSecond: r.perSecond,
    cost: {
      instance: cpuBetween(before.instance, await cpuOf([watch.instance])) / requests,
      database: cpuBetween(before.database, await cpuOf(await watch.database())) / requests,
    },
  };
}

/**
 * U's 10 conversations through the store, then `others` conversations of
 * 5,000 other visitors in one INSERT … SELECT generate_series, then ANALYZE.
 */
async function historyBench(
  small: string,
  large: string,
  others: number,
): Promise<PostgresBenchResult["history"]> {
  const u: Viewer = { siteId: "site_1", workspace: null, verified: true, externalUserId: "user-u", deviceId: "dev_a" };
  await using a = await openPostgresStore({ url: small, max: 2 });
  await using b = await openPostgresStore({ url: large, max: 2 });
  const start = performance.now();
  let t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 10; i++) {
    const c = conversation(u, t++);
    await a.createConversation(c, []);
    await b.createConversation({ ...c }, []);
  }
  await b.sql`insert into conversations (id, tenant_id, site_id, history_key, data)
    select 'cnv_other_' || lpad(i::text, 8, '0'), 'ten_bench', 'site_1',
      '["verified","site_1","","user-' || (i % 5000) || '"]',
      '{"id":"cnv_other_' || lpad(i::text, 8, '0') || '","tenantId":"ten_bench","siteId":"site_1"}'
    from generate_series(1, ${others}::int) i`;
  await a.sql`analyze`;
  await b.sql`analyze`;
  const fillSeconds = (performance.now() - start) / 1000;
  const history = historyOf(u);
  const per = (store: typeof a, rounds: number) => perListing(() => store.listHistory(history, 50), rounds);
  const runs = { small: [] as number[], large: [] as number[] };
  for (let r = 0; r < 5; r++) {
    runs.small.push(await per(a, 300));
    runs.large.push(await per(b, 300));
  }
  if ((await b.listHistory(history, 50)).length !== 10) throw new Error("Cannot benchmark: the history is wrong");
  return { small: median(runs.small), large: median(runs.large), others, fillSeconds };
}

/** Runs every measure of the PostgreSQL benchmark. */
export async function benchPostgres(options: PostgresBenchOptions): Promise<PostgresBenchResult> {
  await using pg = await testPostgres();
  await using shared = await pg.database();
  await using small = await pg.database();
  await using large = await pg.database();
  const dataDir = await Deno.makeTempDir({ prefix: "setchat-pg-bench-" });
  try {
    await using kv = await spawnChildServer({ args: ["--data", dataDir] });
    await using one = await spawnChildServer({ args: ["--data", ":memory:", "--database", shared.url] });
    await using two = await spawnChildServer({ args: ["--data", ":memory:", "--database", shared.url] });
    // The first instance created the demo; the second serves the same tenants.
    two.hello.demo = one.hello.demo;
    const kvLoads = loads(kv, await widgetSession(kv), options, options.concurrency);
    const pgSession = await widgetSession(one);
    const pgLoads = loads(one, pgSession, options, options.concurrency);
    const halves = [one, two].map((s) => loads(s, pgSession, options, options.concurrency / 2).widget);
    const runs = { mintKv: [] as number[], mintPg: [] as number[], widgetKv: [] as number[], widgetPg: [] as number[] };
    const costs = { mint: [] as RequestCost[], widget: [] as RequestCost[] };
    const watch = { instance: one.process.pid, database: () => pg.processes() };
    const twoInstances: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      runs.mintKv.push(await rate(kvLoads.mint));
      const mint = await measured(pgLoads.mint, watch);
      runs.mintPg.push(mint.perSecond);
      if (mint.cost) costs.mint.push(mint.cost);
      runs.widgetKv.push(await rate(kvLoads.widget));
      const widget = await measured(pgLoads.widget, watch);
      runs.widgetPg.push(widget.perSecond);
      if (widget.cost) costs.widget.push(widget.cost);
      twoInstances.push((await Promise.all(halves.map(rate))).reduce((x, y) => x + y, 0));
    }
    const cost = (xs: RequestCost[]): RequestCost => ({
      instance: median(xs.map((x) => x.instance)),
      database: median(xs.map((x) => x.database)),
    });
    return {
      mint: { kv: median(runs.mintKv), pg: median(runs.mintPg) },
      widget: { kv: median(runs.widgetKv), pg: median(runs.widgetPg) },
      twoInstances: median(twoInstances),
      history: await historyBench(small.url, large.url, options.others ?? 100_000),
      scale: costs.mint.length && costs.widget.length ? { mint: cost(costs.mint), widget: cost(costs.widget) } : null,
    };
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

/** The result as `deno task bench` prints it. */
export function formatPostgresBench(r: PostgresBenchResult, options: PostgresBenchOptions): string[] {
  const n = (x: number) => Math.round(x).toLocaleString("en-US").padStart(7);
  const ratio = (x: number, of: number) => `${(x / of).toFixed(2)}×`;
  const h = r.history;
  return [
    `PostgreSQL store against Deno KV (median of ${options.rounds} rounds of ${options.seconds} s, ${options.concurrency} connections, each server in its own process)`,
    `  POST /api/widget/visitor-token   KV ${n(r.mint.kv)} /s   PostgreSQL ${n(r.mint.pg)} /s  (${
      ratio(r.mint.pg, r.mint.kv)
    })`,
    `  GET /api/widget/conversations    KV ${n(r.widget.kv)} /s   PostgreSQL ${n(r.widget.pg)} /s  (${
      ratio(r.widget.pg, r.widget.kv)
    })`,
    `  widget listings on one database: one instance ${n(r.widget.pg)} /s, two instances ${n(r.twoInstances)} /s  (${
      ratio(r.twoInstances, r.widget.pg)
    } on this machine's ${navigator.hardwareConcurrency} cores)`,
    `  one visitor's history on PostgreSQL: site with 10 conversations ${h.small.toFixed(0)} µs, with ${
      (h.others + 10).toLocaleString("en-US")
    } ${h.large.toFixed(0)} µs per listing  (${ratio(h.large, h.small)}; goal within 1.2×; filled in ${
      h.fillSeconds.toFixed(1)
    } s)`,
    ...formatScale(r.scale),
  ];
}

/** The scale model's inputs and what it projects, per request type. */
function formatScale(scale: PostgresBenchResult["scale"]): string[] {
  if (!scale) return ["  scale model: not measured (the database server is not this benchmark's own)"];
  const line = (name: string, c: RequestCost) => {
    const p = projection(c);
    return `  ${name}  instance ${c.instance.toFixed(0).padStart(4)} µs, PostgreSQL ${
      c.database.toFixed(0).padStart(4)
    } µs CPU/request  ->  ${p.instancesPerCore.toFixed(1)} instances per PostgreSQL core, ${
      Math.round(p.perSecondPerCore).toLocaleString("en-US")
    } /s per core`;
  };
  return [
    "  scale model (projection: an instance on a core of its own, PostgreSQL on its own cores, the CPU per request measured here):",
    line("POST /api/widget/visitor-token", scale.mint),
    line("GET /api/widget/conversations ", scale.widget),
  ];
}

if (import.meta.main) {
  const options = { seconds: 3, rounds: 3, concurrency: 32 };
  for (const line of formatPostgresBench(await benchPostgres(options), options)) console.log(line);
}
