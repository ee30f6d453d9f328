import type { ConversationKind, IdentityMethod } from "../contract/widget.ts";
import type { HistoryIndex, Owner } from "../domain/visibility.ts";
import type { VisitorData } from "../domain/visitor.ts";
import type { SigningKeyRecord } from "../identity/signing_keys.ts";

/**
 * A value, or a promise of it. The lookups every API request makes answer a
 * cached record as it is: awaiting a promise costs a request a turn of the
 * event loop, more than the lookup itself.
 */
export type Awaitable<T> = T | Promise<T>;

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

/** A browser's device credential, stored by hash. */
export interface DeviceRecord {
  id: string;
  siteId: string;
  hash: string;
  createdAt: number;
  /** Set when a logout discarded the credential: it never works again. */
  retiredAt: number | null;
}

/** A widget session, stored by the hash of its token. */
export interface SessionRecord {
  id: string;
  hash: string;
  tenantId: string;
  siteId: string;
  siteApiKey: string;
  deviceId: string;
  /** The device credential's hash, so that logout can retire it. */
  deviceHash: string;
  visitorId: string;
  workspace: string | null;
  method: IdentityMethod;
  verified: boolean;
  /** The verified user; `null` unless `verified`. */
  externalUserId: string | null;
  /** What the widget may show: from the token when verified, else what the visitor typed. */
  displayName: string | null;
  displayEmail: string | null;
  createdAt: number;
  expiresAt: number;
}

/** A widget session and the device it was opened on (`null` when the device record is gone). */
export interface SessionWithDevice {
  session: SessionRecord;
  device: DeviceRecord | null;
}

/** A visitor: the owner of one history (a verified user, or a device), with its data. */
export interface VisitorRecord extends VisitorData {
  id: string;
  tenantId: string;
  siteId: string;
  siteApiKey: string;
  workspace: string | null;
  createdAt: number;
  updatedAt: number;
}

/** One message; `seq` orders the messages of a conversation. */
export interface MessageRecord {
  id: string;
  seq: number;
  conversationId: string;
  author: "visitor" | "agent" | "bot";
  authorName: string | null;
  text: string;
  createdAt: number;
}

/** A conversation, with what visibility needs ({@linkcode Owner}) and a summary for listings. */
export interface ConversationRecord extends Owner {
  id: string;
  tenantId: string;
  siteApiKey: string;
  visitorId: string;
  identityMethod: IdentityMethod;
  kind: ConversationKind;
  subject: string | null;
  flowId: string | null;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
  lastMessage: MessageRecord | null;
}

/** What opening a session writes, at once. */
export interface OpenSession {
  /** The device: new (to be created) or the stored one. */
  device: DeviceRecord;
  deviceIsNew: boolean;
  /** Whose history the session reads: the visitor is found or created under it. */
  history: HistoryIndex;
  /** The visitor as it should be after this session opens, from its current state. */
  updateVisitor(current: VisitorRecord | null, id: string): VisitorRecord;
  /** The session, without its visitor id (the store fills it in). */
  session: Omit<SessionRecord, "visitorId">;
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
  /**
   * Runs `create` if the store holds no tenant yet, with every other process
   * of the same store held off meanwhile; answers its result, or `undefined`
   * when the store was not empty (the demo tenants are created once).
   */
  initialiseOnce<T>(create: () => Promise<T>): Promise<T | undefined>;
  createTenant(input: NewTenant): Promise<void>;
  getTenant(id: string): Promise<TenantRecord | null>;
  /** The site whose API key is `apiKey`; a cached one without a promise. */
  findSiteByApiKey(apiKey: string): Awaitable<SiteRecord | null>;
  listSites(tenantId: string): Promise<SiteRecord[]>;

  /**
   * The credential whose plaintext hashes to `hash`, in any state; without a
   * promise when the store knows it is current (a revocation is seen by the
   * next lookup either way).
   */
  findCredential(hash: string): Awaitable<CredentialRecord | null>;
  /** A tenant's server-to-server token by its public id, in any state, or `null`. */
  findS2sToken(tenantId: string, id: string): Promise<CredentialRecord | null>;
  /** Notes a use of a credential; written to storage coalesced, not per call. */
  recordCredentialUse(credential: CredentialRecord, atMs: number): void;
  listS2sTokens(tenantId: string): Promise<CredentialListing[]>;
  /** Adds `token` as the tenant's current token, atomically, under the rotation rules. */
  rotateS2sToken(tenantId: string, token: CredentialRecord): Promise<void>;
  /** Revokes every active token but the current one, atomically; returns those revoked. */
  revokePreviousS2sTokens(tenantId: string, atMs: number): Promise<CredentialRecord[]>;

  findDevice(hash: string): Promise<DeviceRecord | null>;
  /** Creates or updates the device, the visitor and the session, atomically. */
  openSession(input: OpenSession): Promise<{ session: SessionRecord; visitor: VisitorRecord }>;
  findSession(hash: string): Promise<SessionRecord | null>;
  /**
   * A session with its device, as every widget request needs them: read together, so that one check of what
   * changed (on a store shared by several instances) serves both. `null` when the session is unknown.
   */
  findSessionWithDevice(hash: string): Promise<SessionWithDevice | null>;
  /** Ends a session and retires its device credential, atomically (logout). */
  endSession(session: SessionRecord, atMs: number): Promise<void>;
  getVisitor(id: string): Promise<VisitorRecord | null>;

  /** Creates a conversation with its first messages, filed under its creator's history. */
  createConversation(conversation: ConversationRecord, messages: MessageRecord[]): Promise<void>;
  getConversation(id: string): Promise<ConversationRecord | null>;
  /** The newest conversations of one history: a prefix listing, whatever the site holds. */
  listHistory(history: HistoryIndex, limit: number): Promise<ConversationRecord[]>;
  /** A tenant's conversations, optionally of one site, newest first, from `cursor` on. */
  listTenantConversations(
    tenantId: string,
    options: { siteId?: string | undefined; limit: number; cursor?: string | undefined },
  ): Promise<{ conversations: ConversationRecord[]; nextCursor: string | null }>;
  /** Appends a message, numbering it after the conversation's last. */
  addMessage(conversationId: string, message: Omit<MessageRecord, "id" | "seq">): Promise<MessageRecord>;
  /** Messages in order, after the message numbered `afterSeq` when given. */
  listMessages(conversationId: string, afterSeq?: number): Promise<MessageRecord[]>;

  /** The signing keys, creating the first with `create` if there is none. */
  signingKeys(create: () => Promise<SigningKeyRecord>): Promise<SigningKeyRecord[]>;

  /** Writes what is pending and releases the store. */
  close(): Promise<void>;
}
