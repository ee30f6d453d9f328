import postgres from "postgres";
import { AppError } from "../domain/app_error.ts";
import { checkRotation, tokensToRevoke } from "../domain/s2s_rotation.ts";
import { StartupError } from "../domain/startup_error.ts";
import { type HistoryIndex, indexOf } from "../domain/visibility.ts";
import { newId } from "../identity/encoding.ts";
import type { SigningKeyRecord } from "../identity/signing_keys.ts";
import { historyParts } from "./kv_keys.ts";
import { messageId } from "../contract/widget.ts";
import { Lru } from "./lru.ts";
import { redactUrl } from "./database_url.ts";
import { type ChangeKey, Changes, recordChanges } from "./pg_changes.ts";
import { MIGRATIONS } from "./pg_migrations.ts";
import type {
  Awaitable,
  ConversationRecord,
  CredentialListing,
  CredentialRecord,
  DeviceRecord,
  MessageRecord,
  NewTenant,
  OpenSession,
  SessionRecord,
  SessionWithDevice,
  SiteRecord,
  Store,
  TenantRecord,
  VisitorRecord,
} from "./store.ts";

/** The driver's connection, or a transaction on it. */
type Sql = postgres.Sql;
type Tx = postgres.TransactionSql;

/**
 * Every listing the store runs, by name, so that a test can EXPLAIN each one
 * and find no sequential scan. Each is answered by an index, in order.
 */
export const LISTINGS = {
  sites: `select data from sites where tenant_id = $1 order by id`,
  s2sTokens: `select data, last_used_at from credentials where tenant_id = $1 and kind = 's2s'`,
  history: `select data from conversations where history_key = $1 order by id desc limit $2`,
  tenantConversations: `select id, data from conversations where tenant_id = $1 and id < $2 order by id desc limit $3`,
  siteConversations:
    `select id, data from conversations where site_id = $1 and tenant_id = $2 and id < $3 order by id desc limit $4`,
  messages: `select data from messages where conversation_id = $1 and seq > $2 order by seq`,
} as const;

/**
 * The listings are sent as prepared statements, as the driver does for tagged
 * queries: PostgreSQL plans each once per connection instead of at every call.
 */
const PREPARED = { prepare: true } as const;

/** Advisory lock keys: one for migrations, one for the first start, one for the first signing key. */
const LOCK = { migrate: 5_317_001, initialise: 5_317_002, signingKey: 5_317_003 } as const;
/** How long credential uses are coalesced in memory before being written. */
const LAST_USED_FLUSH_MS = 30_000;
/** A session's row outlives its expiry this long, so that it still answers `session_expired`. */
const SESSION_GRACE_MS = 3600_000;
/** Ids longer than this name nothing: refused before a query, as in the KV store. */
const MAX_ID_CHARS = 128;
/** Attempts of a write that lost a race to create the same row. */
const MAX_ATTEMPTS = 10;
/** Above every id: the cursor of a first page. */
const AFTER_ALL_IDS = "\u{10FFFF}";

/** Text PostgreSQL can hold as a key: no NUL, no lone surrogate, not empty, bounded. */
function usable(text: string): boolean {
  return text.length > 0 && text.length <= MAX_ID_CHARS && !text.includes("\u0000") && text.isWellFormed();
}

/** A history as one key: its parts as JSON, whose escapes keep any externalUserId intact. */
function historyKey(h: HistoryIndex): string {
  return JSON.stringify(historyParts(h));
}

function encode(value: unknown): string {
  return JSON.stringify(value);
}

function decode<T>(row: { data: string } | undefined): T | null {
  return row ? JSON.parse(row.data) as T : null;
}

/** A lost race to create a row that another writer created first: the attempt is run again. */
class Conflict extends Error {}

/** Records kept in memory per instance, by kind; a few per tenant or visitor, so this bounds many. */
const CACHE_ENTRIES = 10_000;

/** The fewest connections the pool may have: {@linkcode PostgresStore.initialiseOnce} holds one for its lock. */
const MIN_CONNECTIONS = 2;

/** Options of {@linkcode openPostgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://` or `postgresql://` URL. */
  url: string;
  /**
   * Connections in the pool: 10 by default, at least 2, since start-up holds
   * one for its lock while another creates the demo tenants.
   */
  max?: number;
  /** Called with the text of each statement sent, for tests that count them. */
  onStatement?: (text: string) => void;
}

/**
 * Opens the PostgreSQL store: connects, and applies the migrations this
 * version knows and the database lacks, under an advisory lock so that
 * instances starting together apply each once. A database that cannot be
 * reached or used is a {@linkcode StartupError}.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const where = redactUrl(options.url);
  let sql: Sql;
  try {
    sql = postgres(options.url, {
      max: Math.max(MIN_CONNECTIONS, options.max ?? 10),
      connect_timeout: 10,
      idle_timeout: 30,
      onnotice: () => {},
      transform: { undefined: null },
      connection: { application_name: "setchat-reference" },
      ...(options.onStatement ? { debug: (_: number, text: string) => options.onStatement!(text) } : {}),
    });
  } catch (error) {
    throw unusable(where, error);
  }
  try {
    await migrate(sql);
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    if (error instanceof StartupError) throw error;
    throw unusable(where, error);
  }
  const store = new PostgresStore(sql);
  try {
    await store.changes.fresh();
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw unusable(where, error);
  }
  return store;
}

/** The start-up error of a database that cannot be reached or used, `where` being its URL without the password. */
function unusable(where: string, error: unknown): StartupError {
  return new StartupError(
    "database_unusable",
    `Cannot use the database ${where}: ${
      detailOf(error)
    }; start PostgreSQL or correct --database (SETCHAT_DATABASE_URL)`,
    { cause: error },
  );
}

function detailOf(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const text = e?.message ?? String(error);
  if (e?.code === "ECONNREFUSED") return "connection refused";
  if (e?.code === "CONNECT_TIMEOUT") return "no answer within 10 s";
  return text.replace(/^./, (c) => c.toLowerCase());
}

/** Applies the missing migrations, each in its own transaction, one instance at a time. */
async function migrate(sql: Sql): Promise<void> {
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${LOCK.migrate})`;
    try {
      await conn`create table if not exists setchat_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
      const applied = new Set((await conn`select version from setchat_migrations`).map((r) => Number(r.version)));
      const newest = Math.max(0, ...applied);
      const known = MIGRATIONS.at(-1)?.version ?? 0;
      if (newest > known) {
        throw new StartupError(
          "database_unusable",
          `Cannot use the database: its schema is version ${newest}, newer than this server's ${known}; run a newer server`,
        );
      }
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await conn.unsafe("begin");
        try {
          await conn.unsafe(m.sql);
          await conn`insert into setchat_migrations (version, name) values (${m.version}, ${m.name})`;
          await conn.unsafe("commit");
        } catch (error) {
          await conn.unsafe("rollback").catch(() => {});
          throw error;
        }
      }
    } finally {
      await conn`select pg_advisory_unlock(${LOCK.migrate})`;
    }
  } finally {
    conn.release();
  }
}

/**
 * The {@linkcode Store} on PostgreSQL, for several instances sharing one
 * database. Rotation and revocation lock the tenant's row (`SELECT … FOR
 * UPDATE`) in a READ COMMITTED transaction: every change to a tenant's
 * server tokens takes that lock first, so they happen one at a time.
 *
 * Server tokens, widget sessions and devices, read at every request, are
 * kept in memory; a revocation or a logout made through any instance still
 * holds at this one's next request, since a cached record serves a lookup
 * only after a check of `cache_changes` that began after the lookup (see
 * {@linkcode Changes}). Sites never change once created: they are kept as
 * they are.
 */
export class PostgresStore implements Store {
  readonly #sql: Sql;
  readonly #sites = new Lru<string, SiteRecord>(CACHE_ENTRIES);
  readonly #credentials = new Lru<string, CredentialRecord>(CACHE_ENTRIES);
  readonly #sessions = new Lru<string, { session: SessionRecord; purgeAt: number }>(CACHE_ENTRIES);
  readonly #devices = new Lru<string, DeviceRecord>(CACHE_ENTRIES);
  /** This instance's checks of what other instances changed. */
  readonly changes: Changes;
  readonly #pendingUse = new Map<string, number>();
  #lastFlush = 0;
  #flushing: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined;

  constructor(sql: Sql) {
    this.#sql = sql;
    this.changes = new Changes(sql, { forget: (keys) => this.#forget(keys) });
  }

  /** Forgets the cached records `keys` names (`kind:hash`), or every cached record. */
  #forget(keys: readonly string[] | undefined): void {
    if (keys === undefined) {
      this.#credentials.clear();
      this.#sessions.clear();
      this.#devices.clear();
      return;
    }
    for (const key of keys) {
      const cut = key.indexOf(":");
      const [kind, hash] = [key.slice(0, cut), key.slice(cut + 1)];
      if (kind === "credential") this.#credentials.delete(hash);
      else if (kind === "session") this.#sessions.delete(hash);
      else if (kind === "device") this.#devices.delete(hash);
    }
  }

  /**
   * A cached record, once a check that began after this call has passed
   * without forgetting it; `undefined` when none is cached (or it was forgotten).
   */
  async #cached<V>(cache: Lru<string, V>, key: string): Promise<V | undefined> {
    if (cache.get(key) === undefined) return undefined;
    await this.changes.fresh();
    return cache.get(key);
  }

  /** Reads a record with `read` and caches it, unless a check finished meanwhile (it may have missed a change). */
  async #load<V>(cache: Lru<string, V>, key: string, read: () => Promise<V | null>): Promise<V | null> {
    const checks = this.changes.checks;
    const value = await read();
    if (value !== null && checks === this.changes.checks) cache.set(key, value);
    return value;
  }

  /** The driver, for tests and benchmarks that look at the database itself. */
  get sql(): Sql {
    return this.#sql;
  }

  async isEmpty(): Promise<boolean> {
    const [row] = await this.#sql`select exists (select 1 from tenants) as found`;
    return !row?.found;
  }

  /**
   * Runs `create` if the store holds no tenant yet, holding off every other
   * instance of the same database meanwhile: two instances started together
   * create the demo tenants once.
   */
  async initialiseOnce<T>(create: () => Promise<T>): Promise<T | undefined> {
    const conn = await this.#sql.reserve();
    try {
      await conn`select pg_advisory_lock(${LOCK.initialise})`;
      try {
        return (await this.isEmpty()) ? await create() : undefined;
      } finally {
        await conn`select pg_advisory_unlock(${LOCK.initialise})`;
      }
    } finally {
      conn.release();
    }
  }

  async createTenant({ tenant, sites, credentials }: NewTenant): Promise<void> {
    try {
      await this.#sql.begin(async (tx) => {
        await tx`insert into tenants (id, data) values (${tenant.id}, ${encode(tenant)})`;
        for (const s of sites) {
          await tx`insert into sites (id, tenant_id, api_key, data)
            values (${s.id}, ${tenant.id}, ${s.apiKey}, ${encode(s)})`;
        }
        for (const c of credentials) {
          await tx`insert into credentials (hash, id, tenant_id, kind, data)
            values (${c.hash}, ${c.id}, ${tenant.id}, ${c.kind}, ${encode(c)})`;
        }
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new Error(`Cannot create tenant ${tenant.id}: an id or key already exists`, { cause: error });
      }
      throw error;
    }
  }

  async getTenant(id: string): Promise<TenantRecord | null> {
    if (!usable(id)) return null;
    const [row] = await this.#sql`select data from tenants where id = ${id}`;
    return decode<TenantRecord>(row as { data: string } | undefined);
  }

  /** Sites never change once created, so a cached one needs no check. */
  findSiteByApiKey(apiKey: string): Awaitable<SiteRecord | null> {
    if (!usable(apiKey)) return null;
    return this.#sites.get(apiKey) ?? this.#loadSite(apiKey);
  }

  async #loadSite(apiKey: string): Promise<SiteRecord | null> {
    const [row] = await this.#sql`select data from sites where api_key = ${apiKey}`;
    const site = decode<SiteRecord>(row as { data: string } | undefined);
    if (site) this.#sites.set(apiKey, site);
    return site;
  }

  async listSites(tenantId: string): Promise<SiteRecord[]> {
    if (!usable(tenantId)) return [];
    const rows = await this.#sql.unsafe(LISTINGS.sites, [tenantId], PREPARED);
    return rows.map((r) => JSON.parse(r.data) as SiteRecord);
  }

  async findCredential(hash: string): Promise<CredentialRecord | null> {
    if (!usable(hash)) return null;
    const cached = await this.#cached(this.#credentials, hash);
    if (cached) return cached;
    return await this.#load(this.#credentials, hash, async () => {
      const [row] = await this.#sql`select data from credentials where hash = ${hash}`;
      return decode<CredentialRecord>(row as { data: string } | undefined);
    });
  }

  async findS2sToken(tenantId: string, id: string): Promise<CredentialRecord | null> {
    if (!usable(tenantId) || !usable(id)) return null;
    const [row] = await this.#sql`select data from credentials
      where tenant_id = ${tenantId} and kind = 's2s' and id = ${id}`;
    return decode<CredentialRecord>(row as { data: string } | undefined);
  }

  recordCredentialUse(credential: CredentialRecord, atMs: number): void {
    const seen = this.#pendingUse.get(credential.hash) ?? 0;
    if (atMs > seen) this.#pendingUse.set(credential.hash, atMs);
    if (atMs - this.#lastFlush >= LAST_USED_FLUSH_MS) {
      this.#lastFlush = atMs;
      this.#flushUses();
    }
  }

  /** Writes the coalesced uses; `greatest` keeps the latest time whichever instance wrote it. */
  #flushUses(): Promise<void> {
    const batch = [...this.#pendingUse];
    this.#pendingUse.clear();
    if (batch.length === 0) return this.#flushing;
    const hashes = batch.map(([h]) => h);
    const times = batch.map(([, at]) => String(at));
    this.#flushing = this.#flushing.then(async () => {
      await this.#sql`update credentials c
        set last_used_at = greatest(coalesce(c.last_used_at, 0), u.at)
        from unnest(${hashes}::text[], ${times}::bigint[]) as u (hash, at)
        where c.hash = u.hash`;
    }).catch((error) => console.error("Cannot record credential use:", error));
    return this.#flushing;
  }

  async listS2sTokens(tenantId: string): Promise<CredentialListing[]> {
    await this.#flushUses();
    if (!usable(tenantId)) return [];
    const rows = await this.#sql.unsafe(LISTINGS.s2sTokens, [tenantId], PREPARED);
    return rows
      .map((r): CredentialListing => ({
        ...(JSON.parse(r.data) as CredentialRecord),
        lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
      }))
      .sort((x, y) => x.createdAt - y.createdAt || (x.id < y.id ? -1 : 1));
  }

  async rotateS2sToken(tenantId: string, token: CredentialRecord): Promise<void> {
    await this.#sql.begin(async (tx) => {
      const tenant = await lockTenant(tx, tenantId);
      checkRotation(await s2sTokensOf(tx, tenantId), tenant.currentS2sTokenId);
      await tx`insert into credentials (hash, id, tenant_id, kind, data)
        values (${token.hash}, ${token.id}, ${tenantId}, 's2s', ${encode(token)})`;
      await tx`update tenants set data = ${encode({ ...tenant, currentS2sTokenId: token.id })} where id = ${tenantId}`;
    });
  }

  async revokePreviousS2sTokens(tenantId: string, atMs: number): Promise<CredentialRecord[]> {
    return await this.#sql.begin(async (tx) => {
      const tenant = await lockTenant(tx, tenantId);
      const doomed = tokensToRevoke(await s2sTokensOf(tx, tenantId), tenant.currentS2sTokenId);
      const revoked = doomed.map((t): CredentialRecord => ({ ...t, status: "revoked", revokedAt: atMs }));
      for (const r of revoked) await tx`update credentials set data = ${encode(r)} where hash = ${r.hash}`;
      await recordChanges(tx, revoked.map((r): ChangeKey => `credential:${r.hash}`));
      return revoked;
    });
  }

  async findDevice(hash: string): Promise<DeviceRecord | null> {
    if (!usable(hash)) return null;
    const cached = await this.#cached(this.#devices, hash);
    if (cached) return cached;
    return await this.#load(this.#devices, hash, async () => {
      const [row] = await this.#sql`select data from devices where hash = ${hash}`;
      return decode<DeviceRecord>(row as { data: string } | undefined);
    });
  }

  async openSession(input: OpenSession): Promise<{ session: SessionRecord; visitor: VisitorRecord }> {
    const key = historyKey(input.history);
    return await this.#retry("opening a session", () =>
      this.#sql.begin(async (tx) => {
        const [row] = await tx`select data from visitors where history_key = ${key} for update`;
        const existing = decode<VisitorRecord>(row as { data: string } | undefined);
        const visitor = input.updateVisitor(existing, existing?.id ?? newId("vis", input.session.createdAt));
        if (existing) {
          await tx`update visitors set data = ${encode(visitor)} where id = ${visitor.id}`;
        } else {
          const created = await tx`insert into visitors (id, history_key, data)
            values (${visitor.id}, ${key}, ${encode(visitor)}) on conflict (history_key) do nothing returning id`;
          if (created.length === 0) throw new Conflict();
        }
        if (input.deviceIsNew) {
          await tx`insert into devices (hash, data) values (${input.device.hash}, ${encode(input.device)})`;
        }
        const session: SessionRecord = { ...input.session, visitorId: visitor.id };
        const purgeAt = Date.now() + session.expiresAt - session.createdAt + SESSION_GRACE_MS;
        await tx`insert into sessions (hash, data, purge_at) values (${session.hash}, ${encode(session)}, ${purgeAt})`;
        // Now and then, sweep sessions past their grace (the KV store lets them expire).
        if (Math.random() < 1 / 256) await tx`delete from sessions where purge_at < ${Date.now()}`;
        return { session, visitor };
      }));
  }

  async findSession(hash: string): Promise<SessionRecord | null> {
    if (!usable(hash)) return null;
    // A session's row is swept its grace period after expiry; its cached copy is dropped at the same time.
    const cached = await this.#cached(this.#sessions, hash);
    if (cached && Date.now() < cached.purgeAt) return cached.session;
    const found = await this.#load(this.#sessions, hash, async () => {
      const [row] = await this.#sql`select data, purge_at from sessions
        where hash = ${hash} and purge_at > ${Date.now()}`;
      const session = decode<SessionRecord>(row as { data: string } | undefined);
      return session && { session, purgeAt: Number(row!.purge_at) };
    });
    return found?.session ?? null;
  }

  /**
   * Both cached: one check that began after this call serves the session and its device alike. Otherwise, or when
   * the check forgot either, each is looked up as on its own.
   */
  async findSessionWithDevice(hash: string): Promise<SessionWithDevice | null> {
    if (!usable(hash)) return null;
    const known = this.#sessions.get(hash);
    if (known && this.#devices.get(known.session.deviceHash) !== undefined) {
      await this.changes.fresh();
      const cached = this.#sessions.get(hash);
      const device = cached && this.#devices.get(cached.session.deviceHash);
      if (cached && device && Date.now() < cached.purgeAt) return { session: cached.session, device };
    }
    const session = await this.findSession(hash);
    return session && { session, device: await this.findDevice(session.deviceHash) };
  }

  async endSession(session: SessionRecord, atMs: number): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`delete from sessions where hash = ${session.hash}`;
      const [row] = await tx`select data from devices where hash = ${session.deviceHash} for update`;
      const device = decode<DeviceRecord>(row as { data: string } | undefined);
      if (device && device.retiredAt === null) {
        await tx`update devices set data = ${encode({ ...device, retiredAt: atMs })} where hash = ${device.hash}`;
      }
      await recordChanges(tx, [`session:${session.hash}`, `device:${session.deviceHash}`]);
    });
  }

  async getVisitor(id: string): Promise<VisitorRecord | null> {
    if (!usable(id)) return null;
    const [row] = await this.#sql`select data from visitors where id = ${id}`;
    return decode<VisitorRecord>(row as { data: string } | undefined);
  }

  async createConversation(conversation: ConversationRecord, messages: MessageRecord[]): Promise<void> {
    const c = conversation;
    try {
      await this.#sql.begin(async (tx) => {
        await tx`insert into conversations (id, tenant_id, site_id, history_key, data)
          values (${c.id}, ${c.tenantId}, ${c.siteId}, ${historyKey(indexOf(c))}, ${encode(c)})`;
        for (const m of messages) {
          await tx`insert into messages (conversation_id, seq, data) values (${c.id}, ${m.seq}, ${encode(m)})`;
        }
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new Error(`Cannot create conversation ${c.id}: it exists`, { cause: error });
      throw error;
    }
  }

  async getConversation(id: string): Promise<ConversationRecord | null> {
    if (!usable(id)) return null;
    const [row] = await this.#sql`select data from conversations where id = ${id}`;
    return decode<ConversationRecord>(row as { data: string } | undefined);
  }

  async listHistory(history: HistoryIndex, limit: number): Promise<ConversationRecord[]> {
    const rows = await this.#sql.unsafe(LISTINGS.history, [historyKey(history), limit], PREPARED);
    return rows.map((r) => JSON.parse(r.data) as ConversationRecord);
  }

  async listTenantConversations(
    tenantId: string,
    options: { siteId?: string | undefined; limit: number; cursor?: string | undefined },
  ): Promise<{ conversations: ConversationRecord[]; nextCursor: string | null }> {
    const cursor = options.cursor ?? AFTER_ALL_IDS;
    if (!usable(tenantId) || !usable(cursor) || (options.siteId !== undefined && !usable(options.siteId))) {
      return { conversations: [], nextCursor: null };
    }
    const rows = options.siteId
      ? await this.#sql.unsafe(
        LISTINGS.siteConversations,
        [options.siteId, tenantId, cursor, options.limit + 1],
        PREPARED,
      )
      : await this.#sql.unsafe(LISTINGS.tenantConversations, [tenantId, cursor, options.limit + 1], PREPARED);
    const page = rows.slice(0, options.limit);
    return {
      conversations: page.map((r) => JSON.parse(r.data) as ConversationRecord),
      nextCursor: rows.length > options.limit ? page.at(-1)!.id as string : null,
    };
  }

  async addMessage(conversationId: string, message: Omit<MessageRecord, "id" | "seq">): Promise<MessageRecord> {
    if (!usable(conversationId)) {
      throw new AppError("conversation_not_found", `Cannot find conversation ${conversationId}`);
    }
    return await this.#sql.begin(async (tx) => {
      const [row] = await tx`select data from conversations where id = ${conversationId} for update`;
      const c = decode<ConversationRecord>(row as { data: string } | undefined);
      if (!c) throw new AppError("conversation_not_found", `Cannot find conversation ${conversationId}`);
      const seq = c.messageCount + 1;
      const record: MessageRecord = { ...message, id: messageId(seq), seq };
      const updated: ConversationRecord = {
        ...c,
        messageCount: seq,
        updatedAt: message.createdAt,
        lastMessage: record,
      };
      await tx`update conversations set data = ${encode(updated)} where id = ${conversationId}`;
      await tx`insert into messages (conversation_id, seq, data) values (${conversationId}, ${seq}, ${encode(record)})`;
      return record;
    });
  }

  async listMessages(conversationId: string, afterSeq = 0): Promise<MessageRecord[]> {
    if (!usable(conversationId)) return [];
    const rows = await this.#sql.unsafe(LISTINGS.messages, [conversationId, afterSeq], PREPARED);
    return rows.map((r) => JSON.parse(r.data) as MessageRecord);
  }

  /** Shared by every instance: the first to start creates the key, under a lock, and all read it. */
  async signingKeys(create: () => Promise<SigningKeyRecord>): Promise<SigningKeyRecord[]> {
    const read = async (sql: Sql | Tx) =>
      (await sql`select data from signing_keys order by kid`).map((r) => JSON.parse(r.data) as SigningKeyRecord);
    const existing = await read(this.#sql);
    if (existing.length > 0) return existing;
    return await this.#sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK.signingKey})`;
      const found = await read(tx);
      if (found.length > 0) return found;
      const fresh = await create();
      await tx`insert into signing_keys (kid, data) values (${fresh.kid}, ${encode(fresh)})`;
      return [fresh];
    });
  }

  /** Runs `attempt` again while it loses a race to create a row; a write that never gets through is a 503. */
  async #retry<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof Conflict)) throw error;
      }
    }
    throw new AppError("busy", `Cannot finish ${what}: too many writes to the same record at once`, {
      headers: { "retry-after": "1" },
    });
  }

  close(): Promise<void> {
    return this.#closed ??= (async () => {
      await this.#flushUses();
      await this.#sql.end({ timeout: 5 });
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function lockTenant(tx: Tx, tenantId: string): Promise<TenantRecord> {
  const [row] = usable(tenantId) ? await tx`select data from tenants where id = ${tenantId} for update` : [];
  const tenant = decode<TenantRecord>(row as { data: string } | undefined);
  if (!tenant) throw new AppError("tenant_not_found", `Cannot find tenant ${tenantId}`);
  return tenant;
}

async function s2sTokensOf(tx: Tx, tenantId: string): Promise<CredentialRecord[]> {
  const rows = await tx.unsafe(LISTINGS.s2sTokens, [tenantId], PREPARED);
  return rows.map((r) => JSON.parse(r.data) as CredentialRecord);
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "23505";
}
