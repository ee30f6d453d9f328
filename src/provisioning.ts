import { base62, bytesToBigInt, newId, randomBytes } from "./identity/encoding.ts";
import { generateSecret } from "./identity/secret_token.ts";
import type { CredentialRecord, SiteRecord, Store, TenantRecord } from "./store/store.ts";

/** A tenant just created, with the plaintext of its tokens: shown once, never stored. */
export interface ProvisionedTenant {
  tenant: TenantRecord;
  sites: SiteRecord[];
  serverToken: string;
  adminToken: string;
}

/** Options of {@linkcode provisionTenant}. */
export interface ProvisionOptions {
  name: string;
  siteNames: string[];
  nowMs: number;
}

/** A public site API key: `site_` and 22 base62 digits (128 random bits). */
export function newSiteApiKey(): string {
  return `site_${base62(bytesToBigInt(randomBytes(16)), 22)}`;
}

/** Creates a tenant with its sites, a server-to-server token and an admin token, atomically. */
export async function provisionTenant(store: Store, options: ProvisionOptions): Promise<ProvisionedTenant> {
  const now = options.nowMs;
  const tenantId = newId("ten", now);
  const s2s = generateSecret("s2s");
  const adm = generateSecret("adm");
  const credential = (kind: "s2s" | "adm", s: typeof s2s): CredentialRecord => ({
    kind,
    id: newId(kind, now),
    tenantId,
    hash: s.hash,
    displayPrefix: s.displayPrefix,
    status: "active",
    createdAt: now,
    revokedAt: null,
  });
  const credentials = [credential("s2s", s2s), credential("adm", adm)];
  const tenant: TenantRecord = {
    id: tenantId,
    name: options.name,
    createdAt: now,
    currentS2sTokenId: credentials[0]!.id,
  };
  const sites = options.siteNames.map((name): SiteRecord => ({
    id: newId("site", now),
    tenantId,
    apiKey: newSiteApiKey(),
    name,
    createdAt: now,
  }));
  await store.createTenant({ tenant, sites, credentials });
  return { tenant, sites, serverToken: s2s.plaintext, adminToken: adm.plaintext };
}
