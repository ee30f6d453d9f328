import { AppError } from "../domain/app_error.ts";
import { checkRotation, tokensToRevoke } from "../domain/s2s_rotation.ts";
import type { SigningKeyRecord } from "../identity/signing_keys.ts";
import type { CredentialListing, CredentialRecord, NewTenant, SiteRecord, Store, TenantRecord } from "./store.ts";

/**
 * Key layout. Every read is a point lookup or a prefix listing under one
 * tenant, site or visitor: no request walks all records.
 *
 *   ["tenant", tenantId]                          TenantRecord
 *   ["site_by_key", apiKey]                       SiteRecord
 *   ["tenant_site", tenantId, siteId]             apiKey
 *   ["credential", sha256]                        CredentialRecord
 *   ["tenant_credential", tenantId, kind, id]     sha256
 *   ["credential_last_used", id]                  Deno.KvU64 (ms)
 *   ["signing_key", kid]                          SigningKeyRecord
 */
const K = {
  tenant: (id: string) => ["tenant", id],
  siteByKey: (apiKey: string) => ["site_by_key", apiKey],
  tenantSite: (tenantId: string, siteId: string) => ["tenant_site", tenantId, siteId],
  credential: (hash: string) => ["credential", hash],
  tenantCredential: (c: Pick<CredentialRecord, "tenantId" | "kind" | "id">) => [
    "tenant_credential",
    c.tenantId,
    c.kind,
    c.id,
  ],
  lastUsed: (id: string) => ["credential_last_used", id],
  signingKey: (kid: string) => ["signing_key", kid],
};

/** Credentials and sites kept in memory; a few per tenant, so this bounds many tenants. */
const CACHE_ENTRIES = 10_000;
/** How long credential uses are coalesced in memory before being written. */
const LAST_USED_FLUSH_MS = 30_000;
/** Deno KV allows 1000 mutations per atomic operation; stay well below. */
const MUTATIONS_PER_COMMIT = 500;
const MAX_ATTEMPTS = 16;

/** Options of {@linkcode openKvStore}. */
export interface KvStoreOptions {
  /** A file path, or `":memory:"` for a store that lives as long as the process. */
  path: string;
}

/**
 * Opens the embedded store on Deno KV (SQLite underneath). A file store is
 * locked for this process alone: its caches are coherent because every write
 * goes through it. Several servers share state through a shared-database
 * implementation of {@linkcode Store}, not through one KV file.
 */
export async function openKvStore(options: KvStoreOptions): Promise<KvStore> {
  let lock: Deno.FsFile | undefined;
  if (options.path !== ":memory:") {
    lock = await Deno.open(`${options.path}.lock`, { create: true, write: true });
    if (!(await lock.tryLock(true))) {
      lock.close();
      throw new Error(
        `Cannot open the store ${options.path}: another server process is using it; stop that process or choose another data directory`,
      );
    }
  }
  try {
    return new KvStore(await Deno.openKv(options.path), lock);
  } catch (error) {
    lock?.close();
    throw error;
  }
}

/** A small least-recently-used map. */
class Lru<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }
  delete(key: K): void {
    this.#map.delete(key);
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
  #generation = 0;

  constructor(kv: Deno.Kv, lock?: Deno.FsFile) {
    this.#kv = kv;
    this.#lock = lock;
  }

  async isEmpty(): Promise<boolean> {
    for await (const _ of this.#kv.list({ prefix: ["tenant"] }, { limit: 1 })) return false;
    return true;
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
    return (await this.#kv.get<TenantRecord>(K.tenant(id))).value;
  }

  async findSiteByApiKey(apiKey: string): Promise<SiteRecord | null> {
    const cached = this.#sites.get(apiKey);
    if (cached) return cached;
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

  async findCredential(hash: string): Promise<CredentialRecord | null> {
    const cached = this.#credentials.get(hash);
    if (cached) return cached;
    const generation = this.#generation;
    const record = (await this.#kv.get<CredentialRecord>(K.credential(hash))).value;
    if (record && generation === this.#generation) this.#credentials.set(hash, record);
    return record;
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
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
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
      if ((await op.commit()).ok) return;
    }
    throw new Error(`Cannot rotate the server token of ${tenantId}: too much contention`);
  }

  async revokePreviousS2sTokens(tenantId: string, atMs: number): Promise<CredentialRecord[]> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const tenant = await this.#tenantEntry(tenantId);
      const entries = await this.#s2sEntries(tenantId);
      const doomed = new Set(
        tokensToRevoke(entries.map((e) => e.value), tenant.value.currentS2sTokenId).map((t) => t.id),
      );
      if (doomed.size === 0) return [];
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
      if (ok) return revoked;
    }
    throw new Error(`Cannot revoke the previous server tokens of ${tenantId}: too much contention`);
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
