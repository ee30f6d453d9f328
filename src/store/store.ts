import type { SigningKeyRecord } from "../identity/signing_keys.ts";

/** A customer of SetChat. */
export interface TenantRecord {
  id: string;
  name: string;
  createdAt: number;
  /** The newest server-to-server token; revoke-previous never revokes it. */
  currentS2sTokenId: string;
}

/** One of a tenant's sites: its API key is public, embedded in pages. */
export interface SiteRecord {
  id: string;
  tenantId: string;
  apiKey: string;
  name: string;
  createdAt: number;
}

/** A server-to-server or tenant admin token, stored by the hash of its plaintext. */
export interface CredentialRecord {
  kind: "s2s" | "adm";
  id: string;
  tenantId: string;
  hash: string;
  displayPrefix: string;
  status: "active" | "revoked";
  createdAt: number;
  revokedAt: number | null;
}

/** A credential as listed, with its coalesced last-used time. */
export interface CredentialListing extends CredentialRecord {
  lastUsedAt: number | null;
}

/** Everything that makes a new tenant, written at once. */
export interface NewTenant {
  tenant: TenantRecord;
  sites: SiteRecord[];
  credentials: CredentialRecord[];
}

/**
 * The door every persistent state goes through. Methods speak the domain's
 * language, not keys and values, so a shared-database implementation can
 * stand in for the embedded one. Operations that must be atomic (rotation,
 * revocation) are single methods here.
 */
export interface Store extends AsyncDisposable {
  /** Whether the store holds no tenant yet. */
  isEmpty(): Promise<boolean>;
  createTenant(input: NewTenant): Promise<void>;
  getTenant(id: string): Promise<TenantRecord | null>;
  findSiteByApiKey(apiKey: string): Promise<SiteRecord | null>;
  listSites(tenantId: string): Promise<SiteRecord[]>;

  /** The credential whose plaintext hashes to `hash`, in any state. */
  findCredential(hash: string): Promise<CredentialRecord | null>;
  /** Notes a use of a credential; written to storage coalesced, not per call. */
  recordCredentialUse(credential: CredentialRecord, atMs: number): void;
  listS2sTokens(tenantId: string): Promise<CredentialListing[]>;
  /** Adds `token` as the tenant's current token, atomically, under the rotation rules. */
  rotateS2sToken(tenantId: string, token: CredentialRecord): Promise<void>;
  /** Revokes every active token but the current one, atomically; returns those revoked. */
  revokePreviousS2sTokens(tenantId: string, atMs: number): Promise<CredentialRecord[]>;

  /** The signing keys, creating the first with `create` if there is none. */
  signingKeys(create: () => Promise<SigningKeyRecord>): Promise<SigningKeyRecord[]>;

  /** Writes what is pending and releases the store. */
  close(): Promise<void>;
}
