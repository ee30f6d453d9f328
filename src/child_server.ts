/**
 * The reference server as a child process, for tests and benchmarks that
 * need it in a process of its own (to kill it, or to keep it apart from the
 * load). Takes the server's flags (`--port`, `--host`, `--data`, `--database`) and prints one
 * JSON line on stdout: `{ "url", "demo" }`, where `demo` holds the first
 * start's Acme credentials (`tenantId`, `siteApiKey`, `serverToken`,
 * `adminToken`) or is `null` on a restart of an existing store.
 *
 * Each line `memory` on stdin is answered by one JSON line of the process's
 * memory (`rss`, `heapUsed`, `heapTotal`, in bytes), after a full garbage
 * collection when V8 exposes one (`--v8-flags=--expose-gc`). SIGTERM closes
 * the server cleanly.
 *
 * `--defer-writes <ms>` makes a broken store that answers conversation,
 * message, rotation and revocation writes at once and commits them `ms` later: a crash
 * in between loses acknowledged writes, which the crash test must catch.
 */
import { parseArgs } from "node:util";
import { parseCommandLine } from "./config.ts";
import { messageId } from "./contract/widget.ts";
import type { AppDeps } from "./http/context.ts";
import { startServer } from "./server.ts";
import { checkRotation, tokensToRevoke } from "./domain/s2s_rotation.ts";
import type { ConversationRecord, CredentialListing, CredentialRecord, MessageRecord, Store } from "./store/store.ts";

/** The JSON line a child server prints once it listens. */
export interface ChildServerHello {
  url: string;
  demo: { tenantId: string; siteApiKey: string; serverToken: string; adminToken: string } | null;
}

/** The JSON line a child server answers to `memory`. */
export interface ChildServerMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

/** Options of {@linkcode spawnChildServer}. */
export interface SpawnOptions {
  /** Flags of this script: the server's, and `--defer-writes`. */
  args: string[];
  /** Lets the child report its heap after a full collection. */
  exposeGc?: boolean;
}

/** A child server process, as its parent drives it. */
export interface ChildServer extends AsyncDisposable {
  hello: ChildServerHello;
  process: Deno.ChildProcess;
  /** Asks the child for its memory. */
  memory(): Promise<ChildServerMemory>;
  /** Sends `signal` and waits for the process to end. */
  stop(signal: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Reads a byte stream one line at a time; `null` at its end. */
export function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string | null> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  return async () => {
    while (true) {
      const newline = pending.indexOf("\n");
      if (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) return null;
      pending += value;
    }
  };
}

/** Starts this script in a process of its own and waits for its first line. */
export async function spawnChildServer(options: SpawnOptions): Promise<ChildServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      `--config=${new URL("../deno.json", import.meta.url).pathname}`,
      ...(options.exposeGc ? ["--v8-flags=--expose-gc"] : []),
      new URL(import.meta.url).pathname,
      ...options.args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const next = lineReader(child.stdout);
  const writer = child.stdin.getWriter();
  const first = await next();
  if (first === null) {
    await writer.close().catch(() => {});
    throw new Error(`Cannot start the child server: it exited with ${(await child.status).code}`);
  }
  let stopped: Promise<Deno.CommandStatus> | undefined;
  const stop = (signal: Deno.Signal) =>
    stopped ??= (async () => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      await writer.close().catch(() => {});
      while (await next() !== null) { /* drained, so that no resource is left open */ }
      return await child.status;
    })();
  return {
    hello: JSON.parse(first) as ChildServerHello,
    process: child,
    async memory() {
      await writer.write(new TextEncoder().encode("memory\n"));
      const line = await next();
      if (line === null) throw new Error("Cannot read the child server's memory: it has exited");
      return JSON.parse(line) as ChildServerMemory;
    },
    stop,
    [Symbol.asyncDispose]: async () => void await stop("SIGTERM"),
  };
}

/**
 * A write-behind store: conversation, message, rotation and revocation writes
 * are answered at once, shown to readers from memory, and committed `delayMs`
 * later, in order. A crash in between loses acknowledged writes.
 *
 * Committed in order, each deferred write finds the store as memory showed it
 * when the write was answered, so it commits what its answer said: a
 * revoke-previous revokes the tokens its answer named, no more and no fewer.
 */
function writeBehind(store: Store, delayMs: number): Store {
  const unwritten = new Map<string, ConversationRecord>();
  /** Server tokens rotated or revoked in memory only, by id. */
  const unwrittenTokens = new Map<string, CredentialRecord>();
  /** Tenants whose current server token is in memory only. */
  const unwrittenCurrent = new Map<string, string>();
  let queue = Promise.resolve();
  const later = (write: () => Promise<unknown>) => {
    const due = Date.now() + delayMs;
    queue = queue.then(async () => {
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      await write();
    }).catch(() => {});
  };
  const getConversation = async (id: string) => unwritten.get(id) ?? await store.getConversation(id);
  const getTenant = async (id: string) => {
    const tenant = await store.getTenant(id);
    const current = unwrittenCurrent.get(id);
    return tenant && current ? { ...tenant, currentS2sTokenId: current } : tenant;
  };
  const listS2sTokens = async (tenantId: string): Promise<CredentialListing[]> => {
    const listed = await store.listS2sTokens(tenantId);
    const known = new Set(listed.map((t) => t.id));
    const shown = listed.map((t) => ({ ...t, ...unwrittenTokens.get(t.id) }));
    for (const t of unwrittenTokens.values()) {
      if (t.tenantId === tenantId && !known.has(t.id)) shown.push({ ...t, lastUsedAt: null });
    }
    return shown;
  };
  const currentOf = async (tenantId: string) => (await getTenant(tenantId))?.currentS2sTokenId ?? "";
  const broken: Partial<Store> = {
    getConversation,
    getTenant,
    listS2sTokens,
    async findCredential(hash) {
      for (const t of unwrittenTokens.values()) if (t.hash === hash) return t;
      return await store.findCredential(hash);
    },
    createConversation(conversation, messages) {
      unwritten.set(conversation.id, conversation);
      later(() => store.createConversation(conversation, messages));
      return Promise.resolve();
    },
    async addMessage(conversationId, message) {
      const c = await getConversation(conversationId);
      if (!c) return await store.addMessage(conversationId, message);
      const seq = c.messageCount + 1;
      const record: MessageRecord = { ...message, seq, id: messageId(seq) };
      unwritten.set(conversationId, { ...c, messageCount: seq, updatedAt: message.createdAt, lastMessage: record });
      later(() => store.addMessage(conversationId, message));
      return record;
    },
    async rotateS2sToken(tenantId, token) {
      checkRotation(await listS2sTokens(tenantId), await currentOf(tenantId));
      unwrittenTokens.set(token.id, token);
      unwrittenCurrent.set(tenantId, token.id);
      later(() => store.rotateS2sToken(tenantId, token));
    },
    async revokePreviousS2sTokens(tenantId, atMs) {
      const doomed = tokensToRevoke(await listS2sTokens(tenantId), await currentOf(tenantId));
      const revoked = doomed.map(({ lastUsedAt: _, ...t }): CredentialRecord => ({
        ...t,
        status: "revoked",
        revokedAt: atMs,
      }));
      for (const t of revoked) unwrittenTokens.set(t.id, t);
      later(() => store.revokePreviousS2sTokens(tenantId, atMs));
      return revoked;
    },
  };
  return new Proxy(store, {
    get(target, name, receiver) {
      const own = broken[name as keyof Store];
      if (own) return own;
      const value = Reflect.get(target, name, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "defer-writes": { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      data: { type: "string" },
      database: { type: "string" },
    },
    strict: true,
  });
  const serverArgs = Object.entries({
    port: values.port ?? "0",
    host: values.host,
    data: values.data,
    database: values.database,
  })
    .flatMap(([name, value]) => (value === undefined ? [] : [`--${name}`, value]));
  // No access log: stdout carries this script's JSON lines.
  const { config } = parseCommandLine([...serverArgs, "--log", "off"], () => undefined);
  const deferMs = values["defer-writes"] === undefined ? undefined : Number(values["defer-writes"]);
  const server = await startServer(config, {
    ...(deferMs === undefined
      ? {}
      : { mutate: (deps: AppDeps) => ({ ...deps, store: writeBehind(deps.store, deferMs) }) }),
  });
  const acme = server.demo?.acme;
  const hello: ChildServerHello = {
    url: server.url,
    demo: acme
      ? {
        tenantId: acme.tenant.id,
        siteApiKey: acme.sites[0]!.apiKey,
        serverToken: acme.serverToken,
        adminToken: acme.adminToken,
      }
      : null,
  };
  console.log(JSON.stringify(hello));
  Deno.addSignalListener("SIGTERM", async () => {
    await server.close();
    Deno.exit(0);
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  let pending = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const command = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (command !== "memory") continue;
      gc?.();
      const { rss, heapUsed, heapTotal } = Deno.memoryUsage();
      const memory: ChildServerMemory = { rss, heapUsed, heapTotal };
      console.log(JSON.stringify(memory));
    }
  }
}
