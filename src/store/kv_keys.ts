import type { HistoryIndex } from "../domain/visibility.ts";
import type { CredentialRecord } from "./store.ts";

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
 *   ["device", sha256]                            DeviceRecord
 *   ["session", sha256]                           SessionRecord (expires with the session)
 *   ["visitor", visitorId]                        VisitorRecord
 *   ["visitor_of", ...history]                    visitorId
 *   ["conversation", id]                          ConversationRecord
 *   ["history", ...history, conversationId]       conversationId
 *   ["tenant_conversation", tenantId, id]         conversationId
 *   ["site_conversation", siteId, id]             conversationId
 *   ["message", conversationId, seq]              MessageRecord
 *
 * `history` is where a viewer's conversations live (see domain/visibility.ts):
 * ["verified", siteId, workspace, externalUserId] or ["device", siteId,
 * workspace, deviceId], with "" for no workspace. Listing a visitor's history
 * is one prefix listing, whatever else the site holds.
 *
 * A newer version reads a store an older one wrote, in place: these names
 * stay, or change with a migration. `kv_store_checks.ts` spells them out.
 */
export const K = {
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
  device: (hash: string) => ["device", hash],
  session: (hash: string) => ["session", hash],
  visitor: (id: string) => ["visitor", id],
  visitorOf: (h: HistoryIndex) => ["visitor_of", ...historyParts(h)],
  conversation: (id: string) => ["conversation", id],
  history: (h: HistoryIndex, id: string) => ["history", ...historyParts(h), id],
  tenantConversation: (tenantId: string, id: string) => ["tenant_conversation", tenantId, id],
  siteConversation: (siteId: string, id: string) => ["site_conversation", siteId, id],
  message: (conversationId: string, seq: number) => ["message", conversationId, seq],
};

/** The key parts of a history, as listed under ["history", ...] and ["visitor_of", ...]. */
export function historyParts(h: HistoryIndex): string[] {
  return h.kind === "verified"
    ? ["verified", h.siteId, h.workspace ?? "", h.externalUserId]
    : ["device", h.siteId, h.workspace ?? "", h.deviceId];
}
