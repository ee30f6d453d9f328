/**
 * Listing one visitor's history must cost the same whatever the site holds:
 * the store files each conversation under its creator's history, so a listing
 * is one prefix read. Measured with 10 conversations on the site, then with
 * 100,000 more from other visitors, next to a scan of the whole site.
 */
import { openKvStore } from "../src/store/kv_store.ts";
import type { ConversationRecord } from "../src/store/store.ts";
import { historyOf, type Viewer } from "../src/domain/visibility.ts";
import { newId } from "../src/identity/encoding.ts";

/** The benchmark's measures, in microseconds per listing. */
export interface HistoryBenchResult {
  small: number;
  large: number;
  others: number;
  scanMs: number;
}

/** A conversation of `viewer` created at `at`, as a store holds it. */
export function conversation(viewer: Viewer, at: number): ConversationRecord {
  return {
    ...viewer,
    id: newId("cnv", at),
    tenantId: "ten_bench",
    siteApiKey: "site_bench",
    visitorId: "vis_bench",
    identityMethod: viewer.verified ? "visitor_token" : "anonymous",
    kind: "chat",
    subject: null,
    flowId: null,
    createdAt: at,
    updatedAt: at,
    messageCount: 0,
    lastMessage: null,
  };
}

/** Microseconds per call of `list`, after 50 calls to warm up. */
export async function perListing(list: () => Promise<unknown>, rounds: number): Promise<number> {
  for (let i = 0; i < 50; i++) await list();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await list();
  return ((performance.now() - start) * 1000) / rounds;
}

async function fill(store: Awaited<ReturnType<typeof openKvStore>>, u: Viewer, others: number): Promise<void> {
  let t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 10; i++) await store.createConversation(conversation(u, t++), []);
  const batch = 200;
  for (let i = 0; i < others; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, others - i) }, (_, j) => {
      const n = i + j;
      const other: Viewer = n % 2
        ? {
          siteId: u.siteId,
          workspace: null,
          verified: true,
          externalUserId: `user-${n % 5000}`,
          deviceId: `dev_${n}`,
        }
        : { siteId: u.siteId, workspace: null, verified: false, externalUserId: null, deviceId: `dev_${n % 5000}` };
      return store.createConversation(conversation(other, t++), []);
    }));
  }
}

/**
 * Two stores side by side: one site with U's 10 conversations only, one with
 * `others` more. Listings are measured in alternating rounds, medians kept.
 */
export async function benchHistory(others = 100_000): Promise<HistoryBenchResult> {
  const dir = await Deno.makeTempDir({ prefix: "setchat-history-" });
  try {
    await using small = await openKvStore({ path: `${dir}/small.kv` });
    await using large = await openKvStore({ path: `${dir}/large.kv` });
    const u: Viewer = {
      siteId: "site_1",
      workspace: null,
      verified: true,
      externalUserId: "user-u",
      deviceId: "dev_a",
    };
    await fill(small, u, 0);
    await fill(large, u, others);
    const history = historyOf(u);
    const rounds: { small: number[]; large: number[] } = { small: [], large: [] };
    for (let r = 0; r < 5; r++) {
      rounds.small.push(await perListing(() => small.listHistory(history, 50), 500));
      rounds.large.push(await perListing(() => large.listHistory(history, 50), 500));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const scanStart = performance.now();
    const site = await large.listTenantConversations("ten_bench", { siteId: "site_1", limit: others + 10 });
    const scanMs = performance.now() - scanStart;
    if (site.conversations.length !== others + 10) throw new Error("Cannot benchmark: the store lost conversations");
    return { small: median(rounds.small), large: median(rounds.large), others, scanMs };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The result as `deno task bench` prints it. */
export function formatHistoryBench(r: HistoryBenchResult): string[] {
  return [
    "Listing one visitor's history (10 conversations, newest 50)",
    `  site with 10 conversations                ${r.small.toFixed(0).padStart(6)} µs per listing`,
    `  site with ${(r.others + 10).toLocaleString("en-US")} conversations           ${
      r.large.toFixed(0).padStart(6)
    } µs per listing  (${(r.large / r.small).toFixed(2)}× the small site)`,
    `  for contrast, reading the whole site once  ${r.scanMs.toFixed(0).padStart(6)} ms`,
  ];
}

if (import.meta.main) {
  for (const line of formatHistoryBench(await benchHistory())) console.log(line);
}
