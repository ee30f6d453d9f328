/**
 * The soak's load generator, run as its own process: a mix of a customer
 * backend minting visitor tokens and widgets using them, over keep-alive
 * `node:http` on loopback.
 *
 * - `max`: closed loop, a fixed number of connections each sending the next
 *   request of the mix as soon as the last one answered; prints the rate.
 * - `soak`: open loop at a fixed rate, whatever the answers take. Latency is
 *   counted from the moment a request was due, so a stall of the server (or
 *   of this generator) shows in it instead of slowing the load down. Prints
 *   `{"event":"warm"}` a second before the warm-up ends, then the results.
 */
import { Buffer } from "node:buffer";
import http from "node:http";

/** The kinds of request, their share of the mix in percent, and how the output names them. */
export const MIX = [
  { kind: "mint", percent: 15, label: "mint (POST /api/widget/visitor-token)" },
  { kind: "session", percent: 10, label: "session with a fresh visitor token" },
  { kind: "list", percent: 10, label: "list conversations" },
  { kind: "create", percent: 5, label: "create a conversation" },
  { kind: "post", percent: 15, label: "post a message" },
  { kind: "poll", percent: 40, label: "poll messages (?after=)" },
  { kind: "open", percent: 5, label: "open a conversation" },
] as const;

/** One kind of request of the mix. */
export type Kind = (typeof MIX)[number]["kind"];

/** What the generator is asked to do. */
export interface SoakSpec {
  mode: "max" | "soak";
  url: string;
  serverToken: string;
  siteApiKey: string;
  /** Connections of the closed loop (`max`). */
  concurrency: number;
  /** Requests per second of the open loop (`soak`). */
  rate: number;
  warmupSeconds: number;
  seconds: number;
}

/** Latencies and failures of one kind, over the measured window. */
export interface KindResult {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  /** Status (or `network`, or `no-token`) to count, for the failures. */
  failures: Record<string, number>;
}

/** The generator's last line. */
export interface SoakLoadResult {
  event: "done";
  requestsPerSecond: number;
  kinds: Record<Kind, KindResult>;
  /** How late the generator sent its requests at worst (`soak`): above a few ms, it was the bottleneck. */
  maxSendLagMs: number;
}

interface Conversation {
  id: string;
  session: string;
  lastSeen: string | null;
}

class Failure extends Error {
  constructor(readonly status: number | "network", detail: string) {
    super(`Cannot finish the request: ${status} ${detail}`);
  }
}

/** A small seeded generator, so that two runs send the same sequence. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs the generator with `spec`; returns its result. */
export async function runSoakLoad(spec: SoakSpec, onWarm: () => void = () => {}): Promise<SoakLoadResult> {
  const url = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(spec.concurrency, 256) });
  const random = seeded(42);

  /** The mix as a shuffled cycle of 100 requests: exact shares over any whole number of cycles. */
  const cycle: Kind[] = MIX.flatMap((m) => Array.from({ length: m.percent }, () => m.kind));
  for (let i = cycle.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [cycle[i], cycle[j]] = [cycle[j]!, cycle[i]!];
  }

  function request(method: string, path: string, token: string | null, body?: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = http.request({ agent, host: url.hostname, port: url.port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) return reject(new Failure(status, text.slice(0, 200)));
          resolve(text ? JSON.parse(text) : null);
        });
        res.on("error", (e) => reject(new Failure("network", String(e))));
      });
      req.on("error", (e) => reject(new Failure("network", String(e))));
      req.end(payload);
    });
  }

  // Pools the mix draws on; bounded, newest kept, so a long soak does not grow the generator.
  const tokens: string[] = [];
  const sessions: string[] = [];
  const conversations: Conversation[] = [];
  const keep = <T>(pool: T[], item: T, max: number) => {
    pool.push(item);
    if (pool.length > max) pool.splice(0, pool.length - max);
  };
  const pick = <T>(pool: T[]): T => pool[Math.floor(random() * pool.length)]!;
  let sent = 0;

  async function mint(): Promise<string> {
    const minted = await request("POST", "/api/widget/visitor-token", spec.serverToken, {
      siteApiKey: spec.siteApiKey,
      externalUserId: `user-${Math.floor(random() * 2000)}`,
      email: "visitor@example.com",
      metadata: { plan: "pro" },
    }) as { token: string };
    return minted.token;
  }

  async function send(kind: Kind): Promise<void> {
    const n = sent++;
    switch (kind) {
      case "mint": {
        // Newest first when taken: a long soak never hands out an expired token.
        keep(tokens, await mint(), 500);
        return;
      }
      case "session": {
        // A burst (the generator catching up after a stall) can take every token before the mints in flight add
        // theirs: the page then gets its visitor token from its backend first, as a customer's would.
        const token = tokens.pop() ?? await mint();
        const created = await request("POST", "/api/widget/sessions", null, {
          siteApiKey: spec.siteApiKey,
          visitorToken: token,
        }) as { sessionToken: string };
        keep(sessions, created.sessionToken, 500);
        return;
      }
      case "list":
        await request("GET", "/api/widget/conversations", pick(sessions));
        return;
      case "create": {
        const session = pick(sessions);
        const created = await request("POST", "/api/widget/conversations", session, {
          kind: "chat",
          text: `Hello, question ${n}`,
        }) as { conversation: { id: string }; messages: { id: string }[] };
        keep(conversations, { id: created.conversation.id, session, lastSeen: created.messages.at(-1)!.id }, 2000);
        return;
      }
      case "post": {
        const c = pick(conversations);
        await request("POST", `/api/widget/conversations/${c.id}/messages`, c.session, { text: `Message ${n}` });
        return;
      }
      case "poll": {
        // What an open widget does every few seconds: the messages after the last one it has.
        const c = pick(conversations);
        const after = c.lastSeen ? `?after=${c.lastSeen}` : "";
        const got = await request("GET", `/api/widget/conversations/${c.id}/messages${after}`, c.session) as {
          messages: { id: string }[];
        };
        c.lastSeen = got.messages.at(-1)?.id ?? c.lastSeen;
        return;
      }
      case "open": {
        const c = pick(conversations);
        await request("GET", `/api/widget/conversations/${c.id}`, c.session);
        return;
      }
    }
  }

  // Seeds: a few sessions and conversations, so that every kind has something to work on from the start.
  for (let i = 0; i < 20; i++) {
    await send("mint");
    await send("mint");
    await send("session");
    await send("create");
  }

  const latencies = Object.fromEntries(MIX.map((m) => [m.kind, [] as number[]])) as Record<Kind, number[]>;
  const failures = Object.fromEntries(MIX.map((m) => [m.kind, {} as Record<string, number>])) as Record<
    Kind,
    Record<string, number>
  >;
  let measured = 0;

  /** Sends one request due at `dueAt`, and records it if it falls in the measured window. */
  async function fire(kind: Kind, dueAt: number, counted: boolean): Promise<void> {
    try {
      await send(kind);
      if (counted) latencies[kind].push(performance.now() - dueAt);
    } catch (error) {
      if (!counted) return;
      const status = error instanceof Failure ? String(error.status) : "network";
      failures[kind][status] = (failures[kind][status] ?? 0) + 1;
      if (failures[kind][status] === 1) console.error(error instanceof Error ? error.message : error);
    } finally {
      if (counted) measured++;
    }
  }

  let maxSendLagMs = 0;
  const start = performance.now();
  const warmEnd = start + spec.warmupSeconds * 1000;
  const end = warmEnd + spec.seconds * 1000;
  // Memory is sampled (after a full collection) a little before the window, so its pause is not measured.
  const warmAt = warmEnd - Math.min(1000, spec.warmupSeconds * 500);
  let warmed = false;
  let i = 0;
  if (spec.mode === "max") {
    await Promise.all(Array.from({ length: spec.concurrency }, async () => {
      while (performance.now() < end) {
        const now = performance.now();
        if (!warmed && now >= warmAt) (warmed = true, onWarm());
        await fire(cycle[i++ % cycle.length]!, now, now >= warmEnd);
      }
    }));
  } else {
    const interval = 1000 / spec.rate;
    // Requests are counted by index, not by comparing times: the window holds exactly rate × seconds of them.
    const warmCount = Math.round(spec.warmupSeconds * spec.rate);
    const total = warmCount + Math.round(spec.seconds * spec.rate);
    const inFlight = new Set<Promise<void>>();
    while (i < total) {
      const now = performance.now();
      if (!warmed && now >= warmAt) (warmed = true, onWarm());
      for (let due = start + i * interval; due <= now && i < total; due = start + ++i * interval) {
        maxSendLagMs = Math.max(maxSendLagMs, now - due);
        const p = fire(cycle[i % cycle.length]!, due, i >= warmCount);
        inFlight.add(p);
        p.finally(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(inFlight);
  }
  const elapsed = spec.mode === "max" ? (performance.now() - warmEnd) / 1000 : spec.seconds;
  agent.destroy();

  const kinds = {} as Record<Kind, KindResult>;
  for (const { kind } of MIX) {
    const sorted = latencies[kind].sort((a, b) => a - b);
    const errors = Object.values(failures[kind]).reduce((a, b) => a + b, 0);
    kinds[kind] = {
      count: sorted.length + errors,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? 0,
      errors,
      failures: failures[kind],
    };
  }
  return { event: "done", requestsPerSecond: measured / elapsed, kinds, maxSendLagMs };
}

if (import.meta.main) {
  const spec = JSON.parse(Deno.args[0]!) as SoakSpec;
  const result = await runSoakLoad(spec, () => console.log(JSON.stringify({ event: "warm" })));
  console.log(JSON.stringify(result));
}
