/** Stored records as the published shapes show them: one place decides what leaves the server. */
import type { AgentConversation, Visitor } from "../contract/agent.ts";
import type { Conversation, Message, Session } from "../contract/widget.ts";
import type { ConversationRecord, MessageRecord, SessionRecord, VisitorRecord } from "../store/store.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const workspaceOf = (w: string | null) => (w === null ? null : { externalId: w });

/** A message. */
export function messageView(m: MessageRecord): Message {
  return {
    id: m.id,
    conversationId: m.conversationId,
    author: m.author,
    authorName: m.authorName,
    text: m.text,
    createdAt: iso(m.createdAt),
  };
}

/** A conversation as the widget sees it: nothing about other devices or the visitor record. */
export function conversationView(c: ConversationRecord): Conversation {
  return {
    id: c.id,
    kind: c.kind,
    subject: c.subject,
    flowId: c.flowId,
    verified: c.verified,
    workspace: workspaceOf(c.workspace),
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    lastMessage: c.lastMessage ? messageView(c.lastMessage) : null,
  };
}

/** A conversation as an agent sees it. */
export function agentConversationView(c: ConversationRecord): AgentConversation {
  return { ...conversationView(c), siteApiKey: c.siteApiKey, visitorId: c.visitorId, identityMethod: c.identityMethod };
}

/** A session as its own widget may see it, at `nowMs`. */
export function sessionView(s: SessionRecord, nowMs: number): Session {
  return {
    identity: {
      method: s.method,
      verified: s.verified,
      externalUserId: s.externalUserId,
      name: s.displayName,
      email: s.displayEmail,
    },
    visitorId: s.visitorId,
    workspace: workspaceOf(s.workspace),
    expiresAt: iso(s.expiresAt),
    expiresIn: Math.max(0, Math.floor((s.expiresAt - nowMs) / 1000)),
  };
}

/** A visitor as an agent sees it: verified and non-verified data side by side, never merged. */
export function visitorView(v: VisitorRecord): Visitor {
  return {
    id: v.id,
    siteApiKey: v.siteApiKey,
    workspace: workspaceOf(v.workspace),
    verified: v.verified !== null,
    externalUserId: v.verified?.externalUserId ?? null,
    email: v.verified?.email ?? null,
    name: v.verified?.name ?? null,
    provider: v.verified?.provider ?? null,
    custom_data: (v.verified?.customData ?? {}) as Visitor["custom_data"],
    non_verified: v.nonVerified,
    non_verified_custom_data: v.nonVerifiedCustomData as Visitor["non_verified_custom_data"],
    createdAt: iso(v.createdAt),
    updatedAt: iso(v.updatedAt),
  };
}
