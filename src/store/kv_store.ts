import { messageId } from "../contract/widget.ts";
import { AppError } from "../domain/app_error.ts";
import { StartupError } from "../domain/startup_error.ts";
import { checkRotation, tokensToRevoke } from "../domain/s2s_rotation.ts";
import { type HistoryIndex, indexOf } from "../domain/visibility.ts";
import { newId } from "../identity/encoding.ts";
import type { SigningKeyRecord } from "../identity/signing_keys.ts";
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
import { historyParts, K } from "./kv_keys.ts";
import { Lru } from "./lru.ts";

/** Credentials and sites kept in memory; a few per tenant, so this bounds many tenants. */
const CACHE_ENTRIES = 10_000;
/** How long credential uses are coalesced in memory before being written. */
const LAST_USED_FLUSH_MS = 30_000;
/** Deno KV allows 1000 mutations per atomic operation; stay well below. */
const MUTATIONS_PER_COMMIT = 500;
/** Attempts of a write that lost a race, with a growing random pause between them. */
const MAX_ATTEMPTS = 40;
/** A session's record outlives its expiry this long, so that it still answers `session_expired`. */
const SESSION_GRACE_MS = 3600_000;
/** Ids longer than this name nothing: refused before they reach a key (KV keys are bounded). */
const MAX_ID_CHARS = 128;

function usable(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_CHARS;
}

/** Options of {@linkcode openKvStore}. */
export interface KvStoreOptions {
  /** A file path, or `":memory:"` for a store that lives as long as the process. */
  path: string;
  /** How many times a write that lost a race is tried before it is a `busy` 503; default 40. */
  attempts?: number;
  /** The operating system, whose file modes are set when it has them (not on Windows); default `Deno.build.os`. */
  os?: typeof Deno.build.os;
}

/** The files of a store at `path`: SQLite's own and the lock. */
export function storeFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}.lock`];
}

/**
 * Opens the embedded store on Deno KV (SQLite underneath). A file store is
 * locked for this process alone: its caches are coherent because every write
 * goes through it. Several servers share state through a shared-database
 * implementation of {@linkcode Store}, not through one KV file.
 *
 * The store holds the private signing key, so its files are 0600. SQLite
 * creates its `-wal` and `-shm` files with the mode of the database file, so
 * the database file is created here, empty and 0600, before SQLite opens it;
 * files left 0644 by an older version are narrowed.
 */
export async function openKvStore(options: KvStoreOptions): Promise<KvStore> {
  let lock: Deno.FsFile | undefined;
  if (options.path !== ":memory:") {
    lock = await Deno.open(`${options.path}.lock`, { create: true, write: true, mode: 0o600 });
    if (!(await lock.tryLock(true))) {
      lock.close();
      throw new StartupError(
        "data_dir_in_use",
        `Cannot open the store ${options.path}: another server process is using it; stop that process or choose another directory with --data`,
      );
    }
  }
  try {
    if (options.path !== ":memory:") await restrictFiles(options.path, options.os ?? Deno.build.os);
    return new KvStore(await Deno.openKv(options.path), lock, options.attempts);
  } catch (error) {
    lock?.close();
    throw error;
  }
}

async function restrictFiles(path: string, os: typeof Deno.build.os): Promise<void> {
  (await Deno.open(path, { create: true, write: true, mode: 0o600 })).close();
  // Windows has no such modes: Deno.chmod throws there, which would stop every start.
  if (os === "windows") return;
  for (const file of storeFiles(path)) {
    try {
      await Deno.chmod(file, 0o600);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** The embedded {@linkcode Store} on Deno KV. */
export class KvStore implements Store {
  readonly #kv: Deno.Kv;
  readonly #lock: Deno.FsFile | undefined;
  readonly #pendingUse = new Map<string, number>();
  #lastFlush = 0;
  #flushing: Promise<void> = Promise.resolve();
  /**
   * The hot path (every visitor token minted) reads a credential and a site;
   * a KV read costs about 50 µs of the event loop, more than the signature.
   * Both are cached. Sites never change once created; credentials change only
   * through this process, which bumps `#generation` around each write so a
   * read that raced a revocation is never cached.
   */
  readonly #credentials = new Lru<string, CredentialRecord>(CACHE_ENTRIES);
  readonly #sites = new Lru<string, SiteRecord>(CACHE_ENTRIES);
  /** Credential ids to hashes: a pair never changes once written. */
  readonly #credentialHashes = new Lru<string, string>(CACHE_ENTRIES);
  #generation = 0;
  /**
   * Widget sessions and devices, read on every widget request: cached the same
   * way. They change only through this process (a logout deletes the session
   * and retires the device), which bumps `#sessionGeneration` around it.
   */
  readonly #sessions = new Lru<string, SessionRecord>(CACHE_ENTRIES);
  readonly #devices = new Lru<string, DeviceRecord>(CACHE_ENTRIES);
  #sessionGeneration = 0;
  /** Conversations by id, read by every open and every message: a new message bumps `#conversationGeneration`. */
  readonly #conversations = new Lru<string, ConversationRecord>(CACHE_ENTRIES);
  #conversationGeneration = 0;

  readonly #attempts: number;
  /**
   * The clock Deno KV expires records by: the real one, whatever the
   * application's clock shows (a test clock may be ahead of it or behind).
   * A check gives its own to stand where Deno KV may drop a record.
   */
  readonly #realNow: () => number;

  constructor(kv: Deno.Kv, lock?: Deno.FsFile, attempts = MAX_ATTEMPTS, realNow: () => number = Date.now) {
    this.#kv = kv;
    this.#lock = lock;
    this.#attempts = attempts;
    this.#realNow = realNow;
  }

  async isEmpty(): Promise<boolean> {
    for await (const _ of this.#kv.list({ prefix: ["tenant"] }, { limit: 1 })) return false;
    return true;
  }

  /** A KV file is locked to one process, so checking emptiness first is enough. */
  async initialiseOnce<T>(create: () => Promise<T>): Promise<T | undefined> {
    return (await this.isEmpty()) ? await create() : undefined;
  }

  async createTenant({ tenant, sites, credentials }: NewTenant): Promise<void> {
    const op = this.#kv.atomic().check({ key: K.tenant(tenant.id), versionstamp: null }).set(
      K.tenant(tenant.id),
      tenant,
    );
    for (const site of sites) {
      op.check({ key: K.siteByKey(site.apiKey), versionstamp: null })
        .set(K.siteByKey(site.apiKey), site)
        .set(K.tenantSite(tenant.id, site.id), site.apiKey);
    }
    for (const c of credentials) {
      op.check({ key: K.credential(c.hash), versionstamp: null })
        .set(K.credential(c.hash), c)
        .set(K.tenantCredential(c), c.hash);
    }
    const result = await op.commit();
    if (!result.ok) throw new Error(`Cannot create tenant ${tenant.id}: an id or key already exists`);
  }

  async getTenant(id: string): Promise<TenantRecord | null> {
    if (!usable(id)) return null;
    return (await this.#kv.get<TenantRecord>(K.tenant(id))).value;
  }

  findSiteByApiKey(apiKey: string): Awaitable<SiteRecord | null> {
    return this.#sites.get(apiKey) ?? this.#loadSite(apiKey);
  }

  async #loadSite(apiKey: string): Promise<SiteRecord | null> {
    const site = (await this.#kv.get<SiteRecord>(K.siteByKey(apiKey))).value;
    if (site) this.#sites.set(apiKey, site);
    return site;
  }

  async listSites(tenantId: string): Promise<SiteRecord[]> {
    const keys: Deno.KvKey[] = [];
    for await (const e of this.#kv.list<string>({ prefix: ["tenant_site", tenantId] })) {
      keys.push(K.siteByKey(e.value));
    }
    return (await this.#getMany<SiteRecord>(keys)).flatMap((e) => (e.value ? [e.value] : []));
  }

  /** Cached records are current: this process is the only one writing the file, and it forgets them as it writes. */
  findCredential(hash: string): Awaitable<CredentialRecord | null> {
    return this.#credentials.get(hash) ?? this.#loadCredential(hash);
  }

  async #loadCredential(hash: string): Promise<CredentialRecord | null> {
    const generation = this.#generation;
    const record = (await this.#kv.get<CredentialRecord>(K.credential(hash))).value;
    if (record && generation === this.#generation) this.#credentials.set(hash, record);
    return record;
  }

  async findS2sToken(tenantId: string, id: string): Promise<CredentialRecord | null> {
    if (!usable(tenantId) || !usable(id)) return null;
    const name = `${tenantId}/${id}`;
    let hash = this.#credentialHashes.get(name);
    if (hash === undefined) {
      hash = (await this.#kv.get<string>(K.tenantCredential({ tenantId, kind: "s2s", id }))).value ?? undefined;
      if (hash === undefined) return null;
      this.#credentialHashes.set(name, hash);
    }
    const record = await this.findCredential(hash);
    return record && record.tenantId === tenantId && record.id === id ? record : null;
  }

  /** Forgets cached credentials around a write to them. */
  #invalidate(hashes: Iterable<string>): void {
    this.#generation++;
    for (const h of hashes) this.#credentials.delete(h);
  }

  recordCredentialUse(credential: CredentialRecord, atMs: number): void {
    const seen = this.#pendingUse.get(credential.id) ?? 0;
    if (atMs > seen) this.#pendingUse.set(credential.id, atMs);
    if (atMs - this.#lastFlush >= LAST_USED_FLUSH_MS) {
      this.#lastFlush = atMs;
      this.#flushUses();
    }
  }

  /** Starts writing the coalesced uses; `max` keeps the latest time whatever the order. */
  #flushUses(): Promise<void> {
    const batch = [...this.#pendingUse];
    this.#pendingUse.clear();
    this.#flushing = this.#flushing.then(async () => {
      for (let i = 0; i < batch.length; i += MUTATIONS_PER_COMMIT) {
        const op = this.#kv.atomic();
        for (const [id, at] of batch.slice(i, i + MUTATIONS_PER_COMMIT)) {
          op.max(K.lastUsed(id), BigInt(at));
        }
        await op.commit();
      }
    }).catch((error) => console.error("Cannot record credential use:", error));
    return this.#flushing;
  }

  async listS2sTokens(tenantId: string): Promise<CredentialListing[]> {
    await this.#flushUses();
    const entries = await this.#s2sEntries(tenantId);
    const used = await this.#getMany<Deno.KvU64>(entries.map((e) => K.lastUsed(e.value.id)));
    return entries
      .map((e, i) => {
        const u = used[i]?.value;
        return { ...e.value, lastUsedAt: u ? Number(u.value) : null };
      })
      .sort((x, y) => x.createdAt - y.createdAt || (x.id < y.id ? -1 : 1));
  }

  async rotateS2sToken(tenantId: string, token: CredentialRecord): Promise<void> {
    return await this.#retry(`rotating the server token of ${tenantId}`, async () => {
      const tenant = await this.#tenantEntry(tenantId);
      const entries = await this.#s2sEntries(tenantId);
      checkRotation(entries.map((e) => e.value), tenant.value.currentS2sTokenId);
      // Revoked tokens never change again; checking the active ones is enough.
      const op = this.#kv.atomic().check(tenant);
      for (const e of entries) if (e.value.status === "active") op.check(e);
      op.check({ key: K.credential(token.hash), versionstamp: null })
        .set(K.credential(token.hash), token)
        .set(K.tenantCredential(token), token.hash)
        .set(K.tenant(tenantId), { ...tenant.value, currentS2sTokenId: token.id });
      return (await op.commit()).ok ? { value: undefined } : undefined;
    });
  }

  async revokePreviousS2sTokens(tenantId: string, atMs: number): Promise<CredentialRecord[]> {
    return await this.#retry(`revoking the previous server tokens of ${tenantId}`, async () => {
      const tenant = await this.#tenantEntry(tenantId);
      const entries = await this.#s2sEntries(tenantId);
      const doomed = new Set(
        tokensToRevoke(entries.map((e) => e.value), tenant.value.currentS2sTokenId).map((t) => t.id),
      );
      if (doomed.size === 0) return { value: [] };
      const op = this.#kv.atomic().check(tenant);
      const revoked: CredentialRecord[] = [];
      for (const e of entries) {
        if (!doomed.has(e.value.id)) continue;
        const r: CredentialRecord = { ...e.value, status: "revoked", revokedAt: atMs };
        op.check(e).set(e.key, r);
        revoked.push(r);
      }
      const hashes = revoked.map((r) => r.hash);
      this.#invalidate(hashes);
      const ok = (await op.commit()).ok;
      this.#invalidate(hashes);
      return ok ? { value: revoked } : undefined;
    });
  }

  async findDevice(hash: string): Promise<DeviceRecord | null> {
    const cached = this.#devices.get(hash);
    if (cached) return cached;
    const generation = this.#sessionGeneration;
    const record = (await this.#kv.get<DeviceRecord>(K.device(hash))).value;
    if (record && generation === this.#sessionGeneration) this.#devices.set(hash, record);
    return record;
  }

  async openSession(input: OpenSession): Promise<{ session: SessionRecord; visitor: VisitorRecord }> {
    return await this.#retry("opening a session", async () => {
      const index = await this.#kv.get<string>(K.visitorOf(input.history));
      const existing = index.value ? await this.#kv.get<VisitorRecord>(K.visitor(index.value)) : null;
      const id = index.value ?? newId("vis", input.session.createdAt);
      const visitor = input.updateVisitor(existing?.value ?? null, id);
      const session: SessionRecord = { ...input.session, visitorId: visitor.id };
      const op = this.#kv.atomic().check(index);
      if (existing) op.check(existing);
      if (input.deviceIsNew) {
        op.check({ key: K.device(input.device.hash), versionstamp: null }).set(
          K.device(input.device.hash),
          input.device,
        );
      }
      op.set(K.visitor(visitor.id), visitor)
        .set(K.visitorOf(input.history), visitor.id)
        .check({ key: K.session(session.hash), versionstamp: null })
        .set(K.session(session.hash), session, { expireIn: this.#sessionKeptFor(session) });
      return (await op.commit()).ok ? { value: { session, visitor } } : undefined;
    });
  }

  /**
   * How long Deno KV keeps a session's record from now (on the real clock):
   * its lifetime and the grace period, and at least until the real clock
   * reaches the session's end and the grace period. The second matters only
   * when the application's clock is ahead of the real one (a test clock): a
   * cached copy answers until then, so Deno KV must not drop the record
   * sooner, or the cache would answer where the store answers nothing.
   */
  #sessionKeptFor(session: SessionRecord): number {
    return Math.max(session.expiresAt - session.createdAt, session.expiresAt - this.#realNow()) + SESSION_GRACE_MS;
  }

  async findSession(hash: string): Promise<SessionRecord | null> {
    const cached = this.#sessions.get(hash);
    // Deno KV keeps the record at least this long (see #sessionKeptFor); a cached copy goes no later.
    if (cached && this.#realNow() < cached.expiresAt + SESSION_GRACE_MS) return cached;
    const generation = this.#sessionGeneration;
    const record = (await this.#kv.get<SessionRecord>(K.session(hash))).value;
    if (record && generation === this.#sessionGeneration) this.#sessions.set(hash, record);
    else this.#sessions.delete(hash);
    return record;
  }

  async findSessionWithDevice(hash: string): Promise<SessionWithDevice | null> {
    const session = await this.findSession(hash);
    return session && { session, device: await this.findDevice(session.deviceHash) };
  }

  async endSession(session: SessionRecord, atMs: number): Promise<void> {
    return await this.#retry("ending a session", async () => {
      const device = await this.#kv.get<DeviceRecord>(K.device(session.deviceHash));
      const op = this.#kv.atomic().check(device).delete(K.session(session.hash));
      if (device.value && device.value.retiredAt === null) {
        op.set(device.key, { ...device.value, retiredAt: atMs });
      }
      this.#forgetSession(session);
      const ok = (await op.commit()).ok;
      this.#forgetSession(session);
      return ok ? { value: undefined } : undefined;
    });
  }

  /** Forgets a conversation around a write to it, so no read that raced the write is cached. */
  #forgetConversation(id: string): void {
    this.#conversationGeneration++;
    this.#conversations.delete(id);
  }

  /** Forgets a session and its device around a logout, so no read that raced it is cached. */
  #forgetSession(session: SessionRecord): void {
    this.#sessionGeneration++;
    this.#sessions.delete(session.hash);
    this.#devices.delete(session.deviceHash);
  }

  async getVisitor(id: string): Promise<VisitorRecord | null> {
    if (!usable(id)) return null;
    return (await this.#kv.get<VisitorRecord>(K.visitor(id))).value;
  }

  async createConversation(conversation: ConversationRecord, messages: MessageRecord[]): Promise<void> {
    const c = conversation;
    const op = this.#kv.atomic()
      .check({ key: K.conversation(c.id), versionstamp: null })
      .set(K.conversation(c.id), c)
      .set(K.history(indexOf(c), c.id), c.id)
      .set(K.tenantConversation(c.tenantId, c.id), c.id)
      .set(K.siteConversation(c.siteId, c.id), c.id);
    for (const m of messages) op.set(K.message(c.id, m.seq), m);
    if (!(await op.commit()).ok) throw new Error(`Cannot create conversation ${c.id}: it exists`);
  }

  async getConversation(id: string): Promise<ConversationRecord | null> {
    if (!usable(id)) return null;
    const cached = this.#conversations.get(id);
    if (cached) return cached;
    const generation = this.#conversationGeneration;
    const record = (await this.#kv.get<ConversationRecord>(K.conversation(id))).value;
    if (record && generation === this.#conversationGeneration) this.#conversations.set(id, record);
    return record;
  }

  async listHistory(history: HistoryIndex, limit: number): Promise<ConversationRecord[]> {
    const ids: Deno.KvKey[] = [];
    for await (
      const e of this.#kv.list<string>({ prefix: ["history", ...historyParts(history)] }, { limit, reverse: true })
    ) {
      ids.push(K.conversation(e.value));
    }
    return (await this.#getMany<ConversationRecord>(ids)).flatMap((e) => (e.value ? [e.value] : []));
  }

  async listTenantConversations(
    tenantId: string,
    options: { siteId?: string | undefined; limit: number; cursor?: string | undefined },
  ): Promise<{ conversations: ConversationRecord[]; nextCursor: string | null }> {
    const prefix = options.siteId ? ["site_conversation", options.siteId] : ["tenant_conversation", tenantId];
    const selector: Deno.KvListSelector = options.cursor ? { prefix, end: [...prefix, options.cursor] } : { prefix };
    const ids: string[] = [];
    for await (const e of this.#kv.list<string>(selector, { limit: options.limit + 1, reverse: true })) {
      ids.push(e.value);
    }
    const page = ids.slice(0, options.limit);
    const records = (await this.#getMany<ConversationRecord>(page.map(K.conversation)))
      .flatMap((e) => (e.value && e.value.tenantId === tenantId ? [e.value] : []));
    return { conversations: records, nextCursor: ids.length > options.limit ? page.at(-1)! : null };
  }

  async addMessage(conversationId: string, message: Omit<MessageRecord, "id" | "seq">): Promise<MessageRecord> {
    return await this.#retry(`adding a message to ${conversationId}`, async () => {
      const entry = await this.#kv.get<ConversationRecord>(K.conversation(conversationId));
      if (!entry.value) throw new AppError("conversation_not_found", `Cannot find conversation ${conversationId}`);
      const seq = entry.value.messageCount + 1;
      const record: MessageRecord = { ...message, id: messageId(seq), seq };
      const updated: ConversationRecord = {
        ...entry.value,
        messageCount: seq,
        updatedAt: message.createdAt,
        lastMessage: record,
      };
      const op = this.#kv.atomic().check(entry).set(K.conversation(conversationId), updated)
        .set(K.message(conversationId, seq), record);
      this.#forgetConversation(conversationId);
      const ok = (await op.commit()).ok;
      this.#forgetConversation(conversationId);
      return ok ? { value: record } : undefined;
    });
  }

  async listMessages(conversationId: string, afterSeq = 0): Promise<MessageRecord[]> {
    if (!usable(conversationId)) return [];
    const after = afterSeq;
    const out: MessageRecord[] = [];
    const prefix = ["message", conversationId];
    for await (const e of this.#kv.list<MessageRecord>({ prefix, start: [...prefix, after + 1] })) out.push(e.value);
    return out;
  }

  async signingKeys(create: () => Promise<SigningKeyRecord>): Promise<SigningKeyRecord[]> {
    const existing = await this.#listValues<SigningKeyRecord>(["signing_key"]);
    if (existing.length > 0) return existing;
    const fresh = await create();
    // Two processes starting at once must not publish two first keys.
    const marker = ["signing_key_initialised"];
    await this.#kv.atomic().check({ key: marker, versionstamp: null })
      .set(marker, fresh.kid).set(K.signingKey(fresh.kid), fresh).commit();
    return await this.#listValues<SigningKeyRecord>(["signing_key"]);
  }

  /**
   * Runs `attempt` until it commits (returns a value), pausing a random and
   * growing while between races; a write that never gets through is a 503.
   */
  async #retry<T>(what: string, attempt: () => Promise<{ value: T } | undefined>): Promise<T> {
    for (let i = 0; i < this.#attempts; i++) {
      const done = await attempt();
      if (done) return done.value;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 2 ** i)));
    }
    throw new AppError("busy", `Cannot finish ${what}: too many writes to the same record at once`, {
      headers: { "retry-after": "1" },
    });
  }

  async close(): Promise<void> {
    await this.#flushUses();
    this.#kv.close();
    this.#lock?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #tenantEntry(tenantId: string): Promise<Deno.KvEntry<TenantRecord>> {
    const entry = await this.#kv.get<TenantRecord>(K.tenant(tenantId));
    if (entry.versionstamp === null) {
      throw new AppError("tenant_not_found", `Cannot find tenant ${tenantId}`);
    }
    return entry;
  }

  async #s2sEntries(tenantId: string): Promise<Deno.KvEntry<CredentialRecord>[]> {
    const hashes = await this.#listValues<string>(["tenant_credential", tenantId, "s2s"]);
    const entries = await this.#getMany<CredentialRecord>(hashes.map(K.credential));
    return entries.filter((e): e is Deno.KvEntry<CredentialRecord> => e.versionstamp !== null);
  }

  async #listValues<T>(prefix: Deno.KvKey): Promise<T[]> {
    const out: T[] = [];
    for await (const e of this.#kv.list<T>({ prefix })) out.push(e.value);
    return out;
  }

  /** `getMany` without its limit of 10 keys per call. */
  async #getMany<T>(keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<T>[]> {
    const out: Deno.KvEntryMaybe<T>[] = [];
    for (let i = 0; i < keys.length; i += 10) {
      out.push(...(await this.#kv.getMany<T[]>(keys.slice(i, i + 10))));
    }
    return out;
  }
}
