import {
  ConversationDetail,
  ConversationList,
  type CreateConversationRequest,
  CreateConversationRequest as CreateConversationSchema,
  FLOWS,
  Message,
  messageId,
  MessageList,
  MessagesQuery,
  PostMessageRequest,
} from "../../contract/widget.ts";
import { AppError } from "../../domain/app_error.ts";
import * as visibilityRules from "../../domain/visibility.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { newId } from "../../identity/encoding.ts";
import type { ConversationRecord, MessageRecord, SessionRecord } from "../../store/store.ts";
import type { AppDeps, AppRoute, Principals } from "../context.ts";
import { json } from "../problem.ts";
import { defineRoute } from "../router.ts";
import { BODY_ERRORS, QUERY_ERRORS, SESSION_ERRORS } from "./_errors.ts";
import { conversationView, messageView } from "../views.ts";
import { chatTitle } from "../../domain/conversation_title.ts";

/** How many conversations a history listing returns, newest first. */
const HISTORY_LIMIT = 50;

/** What visibility knows of a session. */
function viewerOf(s: SessionRecord): Viewer {
  return {
    siteId: s.siteId,
    workspace: s.workspace,
    verified: s.verified,
    externalUserId: s.externalUserId,
    deviceId: s.deviceId,
  };
}

/** The widget's history, conversations and messages: each reached only through a session that may see it. */
export function widgetConversationRoutes(deps: AppDeps): AppRoute[] {
  const tag = "Widget";
  const { store } = deps;
  const { canSee, historyOf } = deps.visibility ?? visibilityRules;

  /** The conversation `id` if this session may see it; otherwise exactly as if it did not exist. */
  async function visibleConversation(session: SessionRecord, id: string): Promise<ConversationRecord> {
    const c = await store.getConversation(id);
    if (!c || !canSee(viewerOf(session), c)) {
      throw new AppError("conversation_not_found", `Cannot find conversation ${id}`);
    }
    return c;
  }

  function firstMessages(conversationId: string, body: CreateConversationRequest, session: SessionRecord, now: number) {
    const messages: Omit<MessageRecord, "id" | "seq">[] = [];
    if (body.kind === "flow") {
      const flow = FLOWS[body.flowId ?? "welcome"];
      messages.push({ conversationId, author: "bot", authorName: flow.title, text: flow.firstMessage, createdAt: now });
    }
    if (body.text !== undefined) {
      messages.push({
        conversationId,
        author: "visitor",
        authorName: session.displayName,
        text: body.text,
        createdAt: now,
      });
    }
    return messages.map((m, i): MessageRecord => ({ ...m, seq: i + 1, id: messageId(i + 1) }));
  }

  return [
    defineRoute<Principals, "session">({
      method: "GET",
      path: "/api/widget/conversations",
      operationId: "listWidgetConversations",
      summary: "The conversations this session may see, newest first",
      tag,
      security: "session",
      cors: true,
      responses: { 200: { description: "The session's history", schema: ConversationList } },
      errors: SESSION_ERRORS,
      async handle({ principal }) {
        const viewer = viewerOf(principal);
        const found = await store.listHistory(historyOf(viewer), HISTORY_LIMIT);
        return json(200, { conversations: found.filter((c) => canSee(viewer, c)).map(conversationView) });
      },
    }),
    defineRoute<Principals, "session", CreateConversationRequest>({
      method: "POST",
      path: "/api/widget/conversations",
      operationId: "createWidgetConversation",
      summary: "Start a chat, a ticket (with a subject) or a flow (the bot speaks first)",
      tag,
      security: "session",
      cors: true,
      body: CreateConversationSchema,
      responses: { 201: { description: "The conversation and its first messages", schema: ConversationDetail } },
      errors: [...SESSION_ERRORS, ...BODY_ERRORS],
      async handle({ principal, body }) {
        const now = deps.now();
        const id = newId("cnv", now);
        const messages = firstMessages(id, body, principal, now);
        const conversation: ConversationRecord = {
          ...viewerOf(principal),
          id,
          tenantId: principal.tenantId,
          siteApiKey: principal.siteApiKey,
          visitorId: principal.visitorId,
          identityMethod: principal.method,
          kind: body.kind,
          // A chat is titled by its first message, as people recognise it; a ticket by its subject.
          subject: body.subject ?? (body.kind === "chat" && body.text ? chatTitle(body.text) : null),
          flowId: body.kind === "flow" ? body.flowId ?? "welcome" : null,
          createdAt: now,
          updatedAt: now,
          messageCount: messages.length,
          lastMessage: messages.at(-1) ?? null,
        };
        await store.createConversation(conversation, messages);
        return json(201, { conversation: conversationView(conversation), messages: messages.map(messageView) });
      },
    }),
    defineRoute<Principals, "session">({
      method: "GET",
      path: "/api/widget/conversations/:conversationId",
      operationId: "getWidgetConversation",
      summary: "A conversation and its messages; 404 unless this session may see it",
      tag,
      security: "session",
      cors: true,
      responses: { 200: { description: "The conversation", schema: ConversationDetail } },
      errors: [...SESSION_ERRORS, "conversation_not_found"],
      async handle({ principal, params }) {
        const c = await visibleConversation(principal, params.conversationId!);
        const messages = await store.listMessages(c.id);
        return json(200, { conversation: conversationView(c), messages: messages.map(messageView) });
      },
    }),
    defineRoute<Principals, "session", undefined, { after?: number | undefined }>({
      method: "GET",
      path: "/api/widget/conversations/:conversationId/messages",
      operationId: "listWidgetMessages",
      summary: "Messages in order, after the message `after` when given (for polling)",
      tag,
      security: "session",
      cors: true,
      query: MessagesQuery,
      responses: { 200: { description: "The messages", schema: MessageList } },
      errors: [...SESSION_ERRORS, "conversation_not_found", ...QUERY_ERRORS],
      async handle({ principal, params, query }) {
        const c = await visibleConversation(principal, params.conversationId!);
        // A cursor names a message of this conversation: one it does not have is a client's mistake to report,
        // never an empty page that would hide every later message.
        if (query.after !== undefined && (query.after < 1 || query.after > c.messageCount)) {
          throw new AppError("invalid_request", `Cannot list the messages: "after" names no message of ${c.id}`, {
            errors: [{ path: "after", code: "unknown_message", message: "names no message of this conversation" }],
          });
        }
        return json(200, { messages: (await store.listMessages(c.id, query.after)).map(messageView) });
      },
    }),
    defineRoute<Principals, "session", { text: string }>({
      method: "POST",
      path: "/api/widget/conversations/:conversationId/messages",
      operationId: "postWidgetMessage",
      summary: "Send a message as the visitor",
      tag,
      security: "session",
      cors: true,
      body: PostMessageRequest,
      responses: { 201: { description: "The message", schema: Message } },
      errors: [...SESSION_ERRORS, ...BODY_ERRORS, "conversation_not_found"],
      async handle({ principal, params, body }) {
        const c = await visibleConversation(principal, params.conversationId!);
        const m = await store.addMessage(c.id, {
          conversationId: c.id,
          author: "visitor",
          authorName: principal.displayName,
          text: body.text,
          createdAt: deps.now(),
        });
        return json(201, messageView(m));
      },
    }),
  ];
}
