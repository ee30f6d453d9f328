/**
 * The in-memory store both nodes share: tenants, their sites, admin tokens and server tokens, kept as SHA-256
 * digests only. Rotation and revocation are single synchronous methods, so no request sees half of one.
 */
import type { BugName } from "./bugs.ts";
import {
  digestKey,
  hashSecret,
  newAdminToken,
  newServerToken,
  newSiteKey,
  newTenantId,
  randomHex,
  sameDigest,
} from "./credentials.ts";

/** One server-to-server token of a tenant. */
export interface ServerTokenRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly digest: Uint8Array;
  readonly createdAt: Date;
  /** Creation order across the store: the tenant's current token is its highest. */
  readonly seq: number;
  readonly rotated: boolean;
  /** Milliseconds since the epoch from which the token is refused, or null while it is active. */
  revokedAt: number | null;
  /** Kept only when a planted bug needs the plaintext again. */
  plaintext?: string;
}

/** A tenant: its admin token digest and its sites. */
export interface TenantRecord {
  readonly id: string;
  readonly adminDigest: Uint8Array;
  readonly siteKeys: readonly string[];
}

/** The plaintext credentials of a tenant created at start, handed out once. */
export interface SeededTenant {
  readonly tenantId: string;
  readonly adminToken: string;
  readonly serverToken: string;
  readonly siteKeys: readonly string[];
}

/** Anything holding a credential cache that rotation and revocation must clear. */
export interface CredentialCache {
  clearCredentialCache(): void;
}

/** What a rotation hands back: the plaintext, shown once, and the stored record. */
export interface Rotation {
  readonly token: string;
  readonly record: ServerTokenRecord;
}

/** What revoke-previous did. */
export interface Revocation {
  readonly revoked: number;
  /** Only set by a planted bug: the current token's plaintext. */
  readonly currentPlaintext?: string;
}

const ROTATION_REPLAY_MS = 60_000;
const REVOCATION_GRACE_MS = 30_000;

/** The shared in-memory store. */
export class MemoryStore {
  readonly #bugs: ReadonlySet<BugName>;
  readonly #tenants = new Map<string, TenantRecord>();
  readonly #siteTenants = new Map<string, string>();
  readonly #adminTenants = new Map<string, string>();
  readonly #serverTokens = new Map<string, ServerTokenRecord>();
  readonly #caches = new Set<CredentialCache>();
  #seq = 0;

  constructor(bugs: ReadonlySet<BugName>) {
    this.#bugs = bugs;
  }

  /** Registers a node's cache so that every change clears it. */
  attach(cache: CredentialCache): void {
    this.#caches.add(cache);
  }

  /** Creates a tenant with fresh random credentials and the given number of sites. */
  addTenant(siteCount: number): SeededTenant {
    const tenantId = newTenantId();
    const adminToken = newAdminToken();
    const siteKeys = Array.from({ length: siteCount }, () => newSiteKey());
    const adminDigest = hashSecret(adminToken);
    this.#tenants.set(tenantId, { id: tenantId, adminDigest, siteKeys });
    this.#adminTenants.set(digestKey(adminDigest), tenantId);
    for (const siteKey of siteKeys) this.#siteTenants.set(siteKey, tenantId);
    const serverToken = newServerToken();
    this.#addServerToken(tenantId, serverToken, false);
    return { tenantId, adminToken, serverToken, siteKeys };
  }

  /** The digest under which a server token is stored and looked up. */
  digestServerToken(token: string): Uint8Array {
    return hashSecret(this.#bugs.has("server-token-prefix-compare") ? token.slice(0, 24) : token);
  }

  /** The server token record with this digest, if any. */
  findServerToken(digest: Uint8Array): ServerTokenRecord | undefined {
    const record = this.#serverTokens.get(digestKey(digest));
    return record !== undefined && sameDigest(record.digest, digest) ? record : undefined;
  }

  /** The server token record with this id, if any. */
  serverTokenById(id: string): ServerTokenRecord | undefined {
    for (const record of this.#serverTokens.values()) if (record.id === id) return record;
    return undefined;
  }

  /** Tells whether a server token is accepted at the given time. */
  isActive(record: ServerTokenRecord, nowMs: number): boolean {
    return record.revokedAt === null || record.revokedAt > nowMs;
  }

  /** The tenant whose admin token has this digest, if any. */
  findTenantByAdminDigest(digest: Uint8Array): TenantRecord | undefined {
    const tenantId = this.#adminTenants.get(digestKey(digest));
    const tenant = tenantId === undefined ? undefined : this.#tenants.get(tenantId);
    return tenant !== undefined && sameDigest(tenant.adminDigest, digest) ? tenant : undefined;
  }

  /** The tenant with this id, if any. */
  tenant(tenantId: string): TenantRecord | undefined {
    return this.#tenants.get(tenantId);
  }

  /** The tenant owning this site key, if any. */
  siteTenant(siteKey: string): string | undefined {
    return this.#siteTenants.get(siteKey);
  }

  /** Every site key with its tenant. */
  sites(): IterableIterator<[string, string]> {
    return this.#siteTenants.entries();
  }

  /** Creates a new server token for the tenant; earlier ones stay active until revoke-previous. */
  rotateServerToken(tenantId: string, origin: CredentialCache): Rotation {
    const nowMs = Date.now();
    const tokens = this.tenantTokens(tenantId);
    const newest = tokens.at(-1);
    if (
      this.#bugs.has("rotate-replays-token") && newest?.rotated === true && newest.plaintext !== undefined &&
      nowMs - newest.createdAt.getTime() < ROTATION_REPLAY_MS
    ) {
      return { token: newest.plaintext, record: newest };
    }
    if (this.#bugs.has("rotate-replaces-pending")) {
      const active = tokens.filter((record) => this.isActive(record, nowMs));
      const pending = active.at(-1);
      if (active.length > 1 && pending !== undefined) this.#serverTokens.delete(digestKey(pending.digest));
    }
    if (this.#bugs.has("rotate-revokes-previous")) {
      for (const record of tokens) record.revokedAt ??= nowMs;
    }
    const token = newServerToken();
    const record = this.#addServerToken(tenantId, token, true);
    this.#changed(origin);
    return { token, record };
  }

  /** Revokes every active server token of the tenant except its current (newest) one. */
  revokePreviousServerTokens(tenantId: string, origin: CredentialCache): Revocation {
    const nowMs = Date.now();
    const revokedAt = this.#bugs.has("revocation-lag") ? nowMs + REVOCATION_GRACE_MS : nowMs;
    const tenantIds = this.#bugs.has("revoke-previous-all-tenants") ? [...this.#tenants.keys()] : [tenantId];
    let revoked = 0;
    for (const id of tenantIds) {
      const tokens = this.tenantTokens(id);
      const current = tokens.at(-1);
      let previous = this.#bugs.has("revoke-previous-revokes-current") ? tokens : tokens.slice(0, -1);
      if (this.#bugs.has("revoke-previous-toggles")) {
        for (const record of previous) {
          if (record.revokedAt === null) {
            record.revokedAt = revokedAt;
            revoked += 1;
          } else {
            record.revokedAt = null;
          }
        }
        continue;
      }
      previous = previous.filter((record) => record.revokedAt === null);
      if (this.#bugs.has("revoke-previous-only-last")) previous = previous.slice(-1);
      for (const record of previous) record.revokedAt = revokedAt;
      revoked += previous.length;
      if (id === tenantId && this.#bugs.has("revoke-echoes-current") && current?.plaintext !== undefined) {
        this.#changed(origin);
        return { revoked, currentPlaintext: current.plaintext };
      }
    }
    this.#changed(origin);
    return { revoked };
  }

  #addServerToken(tenantId: string, token: string, rotated: boolean): ServerTokenRecord {
    const digest = this.digestServerToken(token);
    this.#seq += 1;
    const record: ServerTokenRecord = {
      id: `stk_${randomHex(8)}`,
      tenantId,
      digest,
      createdAt: new Date(),
      seq: this.#seq,
      rotated,
      revokedAt: null,
    };
    const keepsPlaintext = ["rotate-replays-token", "revoke-echoes-current", "listing-shows-plaintext"] as const;
    if (keepsPlaintext.some((bug) => this.#bugs.has(bug))) record.plaintext = token;
    this.#serverTokens.set(digestKey(digest), record);
    return record;
  }

  /** The tenant's server tokens, oldest first: the last is the current one. */
  tenantTokens(tenantId: string): ServerTokenRecord[] {
    return [...this.#serverTokens.values()].filter((record) => record.tenantId === tenantId).sort((a, b) =>
      a.seq - b.seq
    );
  }

  #changed(origin: CredentialCache): void {
    // Every node's cache at once: a node left with a stale entry would keep a revoked token alive.
    if (this.#bugs.has("stale-node-cache")) {
      origin.clearCredentialCache();
      return;
    }
    for (const cache of this.#caches) cache.clearCredentialCache();
  }
}
