/** What the widget and agent surfaces need from the node that serves them, and the views they answer with. */
import type { BugName } from "./bugs.ts";
import type { ChatStore, Conversation, Message, Visitor } from "./chat_store.ts";
import type { MemoryStore } from "./store.ts";
import { ApiError } from "./http.ts";

/** The node's parts a surface uses. */
export interface SurfaceContext {
  readonly chats: ChatStore;
  readonly store: MemoryStore;
  readonly bugs: ReadonlySet<BugName>;
  /** This server's public signing keys, by kid. */
  readonly keys: () => Promise<ReadonlyMap<string, CryptoKey>>;
  /** The tenant of the admin token in an Authorization header, or a 401. */
  readonly authenticateAdmin: (authorization: string | null, action: string) => string;
}

/** The message as the API shows it. */
export function messageView(m: Message): Record<string, unknown> {
  return {
    id: m.id,
    conversationId: m.conversationId,
    author: m.author,
    authorName: m.authorName,
    text: m.text,
    createdAt: m.createdAt.toISOString(),
  };
}

/** The conversation as a visitor sees it. */
export function conversationView(c: Conversation): Record<string, unknown> {
  const last = c.messages.at(-1);
  return {
    id: c.id,
    kind: c.kind,
    subject: c.ticketSubject,
    flowId: c.flowId,
    verified: c.verified,
    workspace: c.workspace === null ? null : { externalId: c.workspace },
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    lastMessage: last === undefined ? null : messageView(last),
  };
}

/** The conversation as an agent sees it: whose it is, and how they were identified. */
export function agentConversationView(c: Conversation): Record<string, unknown> {
  return { ...conversationView(c), siteApiKey: c.site, visitorId: c.visitorId, identityMethod: c.identityMethod };
}

/** The visitor as an agent sees it: verified and non-verified data side by side. */
export function visitorView(v: Visitor): Record<string, unknown> {
  return {
    id: v.id,
    siteApiKey: v.site,
    workspace: v.workspace === null ? null : { externalId: v.workspace },
    verified: v.verified,
    externalUserId: v.externalUserId,
    email: v.email,
    name: v.name,
    provider: v.provider,
    custom_data: v.customData,
    non_verified: v.nonVerified,
    non_verified_custom_data: v.nonVerifiedCustomData,
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
  };
}

/** The byte length of a value serialised as JSON. */
export function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}

/** The text of a message, trimmed: a 400 when nothing is left or it is too long. */
export function messageText(text: string, action: string, max: number): string {
  const trimmed = text.trim();
  if (trimmed === "") throw new ApiError(400, "invalid_field", `Cannot ${action}: "text" must not be empty`);
  if (trimmed.length > max) throw new ApiError(400, "invalid_field", `Cannot ${action}: "text" is too long`);
  return trimmed;
}
