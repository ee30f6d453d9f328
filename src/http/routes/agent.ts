import {
  AgentConversationDetail,
  AgentConversationList,
  AgentConversationsQuery,
  type AgentReplyRequest,
  AgentReplyRequest as AgentReplySchema,
  Visitor,
} from "../../contract/agent.ts";
import { Message } from "../../contract/widget.ts";
import { AppError } from "../../domain/app_error.ts";
import type { ConversationRecord, VisitorRecord } from "../../store/store.ts";
import type { AppDeps, AppRoute, Principals } from "../context.ts";
import { json } from "../problem.ts";
import { defineRoute } from "../router.ts";
import { ADMIN_ERRORS, BODY_ERRORS, QUERY_ERRORS } from "./_errors.ts";
import { agentConversationView, messageView, visitorView } from "../views.ts";

/** The agent side: a tenant's conversations and visitors, with the tenant admin token. */
export function agentRoutes(deps: AppDeps): AppRoute[] {
  const tag = "Agent";
  const base = "/api/tenants/:tenantId";
  const { store } = deps;

  async function tenantConversation(tenantId: string, id: string): Promise<ConversationRecord> {
    const c = await store.getConversation(id);
    if (!c || c.tenantId !== tenantId) throw new AppError("conversation_not_found", `Cannot find conversation ${id}`);
    return c;
  }

  async function tenantVisitor(tenantId: string, id: string): Promise<VisitorRecord> {
    const v = await store.getVisitor(id);
    if (!v || v.tenantId !== tenantId) throw new AppError("visitor_not_found", `Cannot find visitor ${id}`);
    return v;
  }

  return [
    defineRoute<
      Principals,
      "admin",
      undefined,
      { siteApiKey?: string | undefined; limit: number; cursor?: string | undefined }
    >(
      {
        method: "GET",
        path: `${base}/conversations`,
        operationId: "listAgentConversations",
        summary: "The tenant's conversations, newest first, optionally of one site",
        tag,
        security: "admin",
        query: AgentConversationsQuery,
        responses: { 200: { description: "A page of conversations", schema: AgentConversationList } },
        errors: [...ADMIN_ERRORS, "site_not_found", ...QUERY_ERRORS],
        async handle({ principal, query }) {
          let siteId: string | undefined;
          if (query.siteApiKey !== undefined) {
            const site = await store.findSiteByApiKey(query.siteApiKey);
            if (!site || site.tenantId !== principal.tenantId) {
              throw new AppError(
                "site_not_found",
                `Cannot list conversations: this tenant has no site "${query.siteApiKey}"`,
              );
            }
            siteId = site.id;
          }
          // A cursor is a `nextCursor` this server gave: the last conversation of a page of this listing.
          if (query.cursor !== undefined) {
            const from = await store.getConversation(query.cursor);
            if (!from || from.tenantId !== principal.tenantId || (siteId !== undefined && from.siteId !== siteId)) {
              throw new AppError(
                "invalid_request",
                "Cannot list conversations: the cursor is not one of this listing",
                {
                  errors: [{ path: "cursor", code: "unknown_cursor", message: "is not a nextCursor of this listing" }],
                },
              );
            }
          }
          const page = await store.listTenantConversations(principal.tenantId, {
            siteId,
            limit: query.limit,
            cursor: query.cursor,
          });
          return json(200, {
            conversations: page.conversations.map(agentConversationView),
            nextCursor: page.nextCursor,
          });
        },
      },
    ),
    defineRoute<Principals, "admin">({
      method: "GET",
      path: `${base}/conversations/:conversationId`,
      operationId: "getAgentConversation",
      summary: "A conversation, its messages and its visitor",
      tag,
      security: "admin",
      responses: { 200: { description: "The conversation", schema: AgentConversationDetail } },
      errors: [...ADMIN_ERRORS, "conversation_not_found"],
      async handle({ principal, params }) {
        const c = await tenantConversation(principal.tenantId, params.conversationId!);
        const [messages, visitor] = await Promise.all([
          store.listMessages(c.id),
          tenantVisitor(principal.tenantId, c.visitorId),
        ]);
        return json(200, {
          conversation: agentConversationView(c),
          messages: messages.map(messageView),
          visitor: visitorView(visitor),
        });
      },
    }),
    defineRoute<Principals, "admin", AgentReplyRequest>({
      method: "POST",
      path: `${base}/conversations/:conversationId/messages`,
      operationId: "postAgentReply",
      summary: "Reply to a conversation as an agent",
      tag,
      security: "admin",
      body: AgentReplySchema,
      responses: { 201: { description: "The reply", schema: Message } },
      errors: [...ADMIN_ERRORS, ...BODY_ERRORS, "conversation_not_found"],
      async handle({ principal, params, body }) {
        const c = await tenantConversation(principal.tenantId, params.conversationId!);
        const m = await store.addMessage(c.id, {
          conversationId: c.id,
          author: "agent",
          authorName: body.authorName ?? "Support",
          text: body.text,
          createdAt: deps.now(),
        });
        return json(201, messageView(m));
      },
    }),
    defineRoute<Principals, "admin">({
      method: "GET",
      path: `${base}/visitors/:visitorId`,
      operationId: "getVisitor",
      summary: "A visitor: verified data (`custom_data`) and non-verified data (`non_verified_custom_data`) apart",
      tag,
      security: "admin",
      responses: { 200: { description: "The visitor", schema: Visitor } },
      errors: [...ADMIN_ERRORS, "visitor_not_found"],
      async handle({ principal, params }) {
        return json(200, visitorView(await tenantVisitor(principal.tenantId, params.visitorId!)));
      },
    }),
  ];
}
