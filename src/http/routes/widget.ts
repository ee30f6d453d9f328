import {
  type ClientUser,
  ConversationDetail,
  ConversationList,
  type CreateConversationRequest,
  CreateConversationRequest as CreateConversationSchema,
  type CreateSessionRequest,
  CreateSessionRequest as CreateSessionSchema,
  FLOWS,
  Message,
  MessageList,
  MessagesQuery,
  PostMessageRequest,
  Session,
  SessionCreated,
} from "../../contract/widget.ts";
import type { VisitorTokenClaims } from "../../contract/s2s.ts";
import { AppError } from "../../domain/app_error.ts";
import { identityMethod, sessionWorkspace } from "../../domain/identity.ts";
import { CLOCK_SKEW_SECONDS, NON_VERIFIED_SESSION_SECONDS } from "../../domain/lifetime.ts";
import * as visibilityRules from "../../domain/visibility.ts";
import type { Viewer } from "../../domain/visibility.ts";
import { NEW_VISITOR, withClientUser, withVerifiedProfile } from "../../domain/visitor.ts";
import { newId } from "../../identity/encoding.ts";
import { generateSecret, parseSecret } from "../../identity/secret_token.ts";
import { verifyVisitorToken } from "../../identity/visitor_token.ts";
import type { ConversationRecord, DeviceRecord, MessageRecord, SessionRecord, SiteRecord } from "../../store/store.ts";
import type { AppDeps, AppRoute, Principals } from "../context.ts";
import { json } from "../problem.ts";
import { defineRoute } from "../router.ts";
import { BODY_ERRORS, QUERY_ERRORS, SESSION_ERRORS } from "./_errors.ts";
import { conversationView, messageView, sessionView } from "../views.ts";

/** How many conversations a history listing returns, newest first. */
const HISTORY_LIMIT = 50;

/** What visibility knows of a session. */
export function viewerOf(s: SessionRecord): Viewer {
  return {
    siteId: s.siteId,
    workspace: s.workspace,
    verified: s.verified,
    externalUserId: s.externalUserId,
    deviceId: s.deviceId,
  };
}

/** The widget API: sessions, history, conversations and messages, for browsers on any origin. */
export function widgetRoutes(deps: AppDeps): AppRoute[] {
  const tag = "Widget";
  const { store } = deps;
  const { canSee, historyOf } = deps.visibility ?? visibilityRules;
  const verify = deps.verifyVisitorToken ?? ((token, options) => verifyVisitorToken(deps.keys, token, options));

  /** The conversation `id` if this session may see it; otherwise exactly as if it did not exist. */
  async function visibleConversation(session: SessionRecord, id: string): Promise<ConversationRecord> {
    const c = await store.getConversation(id);
    if (!c || !canSee(viewerOf(session), c)) {
      throw new AppError("conversation_not_found", `Cannot find conversation ${id}`);
    }
    return c;
  }

  /**
   * A visitor token opens sessions only while the server token that minted
   * it is active: revoke-previous ends what a leaked server token minted at
   * once, not when those visitor tokens expire. A read, from the store's cache.
   */
  async function checkMinter(claims: VisitorTokenClaims, site: SiteRecord): Promise<void> {
    const minter = await store.findS2sToken(site.tenantId, claims.s2sTokenId);
    if (!minter) {
      throw new AppError(
        "visitor_token_invalid",
        `Cannot verify visitor token: "s2sTokenId" names no server token of the site's tenant`,
      );
    }
    if (minter.status !== "active") {
      throw new AppError(
        "visitor_token_revoked",
        `Cannot verify visitor token: the server token that minted it (${minter.id}) was revoked`,
      );
    }
  }

  async function device(site: SiteRecord, credential: string | undefined, now: number) {
    const parsed = credential === undefined ? undefined : parseSecret(credential);
    if (credential !== undefined && parsed?.kind === "dev") {
      const known = await store.findDevice(parsed.hash);
      if (known && known.siteId === site.id && known.retiredAt === null) {
        return { record: known, credential, isNew: false };
      }
    }
    // First visit, or a credential that is unknown, retired or of another site:
    // the server issues a new one, never one the browser chose.
    const fresh = generateSecret("dev");
    const record: DeviceRecord = {
      id: newId("dev", now),
      siteId: site.id,
      hash: fresh.hash,
      createdAt: now,
      retiredAt: null,
    };
    return { record, credential: fresh.plaintext, isNew: true };
  }

  async function openSession(body: CreateSessionRequest) {
    const now = deps.now();
    const site = await store.findSiteByApiKey(body.siteApiKey);
    if (!site) {
      throw new AppError("site_not_found", `Cannot start a session: no site has the API key "${body.siteApiKey}"`);
    }
    const claims = body.visitorToken === undefined ? null : await verify(body.visitorToken, {
      issuer: deps.config.issuer,
      siteApiKey: site.apiKey,
      tenantId: site.tenantId,
      nowMs: now,
    });
    if (claims) await checkMinter(claims, site);
    const workspace = sessionWorkspace(body.workspace?.externalId ?? null, claims?.workspace);
    const dev = await device(site, body.deviceCredential, now);
    const viewer: Viewer = {
      siteId: site.id,
      workspace,
      verified: claims !== null,
      externalUserId: claims?.sub ?? null,
      deviceId: dev.record.id,
    };
    const user: ClientUser | undefined = body.user;
    const secret = generateSecret("wss");
    const expiresAt = claims
      ? Math.max(claims.exp * 1000, now + CLOCK_SKEW_SECONDS * 1000)
      : now + NON_VERIFIED_SESSION_SECONDS * 1000;
    const { session } = await store.openSession({
      device: dev.record,
      deviceIsNew: dev.isNew,
      history: historyOf(viewer),
      updateVisitor(current, id) {
        let data = current ?? { ...NEW_VISITOR };
        if (claims) {
          data = withVerifiedProfile(data, {
            externalUserId: claims.sub,
            email: claims.email ?? null,
            name: claims.name ?? null,
            provider: claims.provider ?? null,
            customData: claims.metadata ?? {},
          });
        }
        if (user) data = withClientUser(data, user);
        return {
          id,
          tenantId: site.tenantId,
          siteId: site.id,
          siteApiKey: site.apiKey,
          workspace,
          createdAt: current?.createdAt ?? now,
          updatedAt: now,
          verified: data.verified,
          nonVerified: data.nonVerified,
          nonVerifiedCustomData: data.nonVerifiedCustomData,
        };
      },
      session: {
        id: newId("ses", now),
        hash: secret.hash,
        tenantId: site.tenantId,
        siteId: site.id,
        siteApiKey: site.apiKey,
        deviceId: dev.record.id,
        deviceHash: dev.record.hash,
        workspace,
        method: identityMethod(body),
        verified: viewer.verified,
        externalUserId: viewer.externalUserId,
        displayName: claims ? claims.name ?? null : user?.name ?? null,
        displayEmail: claims ? claims.email ?? null : user?.email ?? null,
        createdAt: now,
        expiresAt,
      },
    });
    return {
      ...sessionView(session, now),
      sessionToken: secret.plaintext,
      deviceCredential: dev.credential,
      deviceIssued: dev.isNew,
    };
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
    return messages.map((m, i): MessageRecord => ({ ...m, seq: i + 1, id: `msg_${String(i + 1).padStart(8, "0")}` }));
  }

  return [
    defineRoute<Principals, "none", CreateSessionRequest>({
      method: "POST",
      path: "/api/widget/sessions",
      operationId: "createWidgetSession",
      summary: "Start a widget session: anonymous, with client user data, or verified by a visitor token",
      description: "Send the device credential the server issued earlier, if any; keep the one in the answer. " +
        "Only `visitorToken` makes a session verified; `user` is stored as non-verified data whatever it says.",
      tag,
      security: "none",
      cors: true,
      body: CreateSessionSchema,
      responses: { 201: { description: "The session, its token and the device credential", schema: SessionCreated } },
      errors: [
        ...BODY_ERRORS,
        "site_not_found",
        "visitor_token_invalid",
        "visitor_token_expired",
        "visitor_token_not_yet_valid",
        "visitor_token_revoked",
        "workspace_mismatch",
      ],
      async handle({ body }) {
        return json(201, await openSession(body));
      },
    }),
    defineRoute<Principals, "session">({
      method: "GET",
      path: "/api/widget/session",
      operationId: "getWidgetSession",
      summary: "This session: who it is and until when",
      tag,
      security: "session",
      cors: true,
      responses: { 200: { description: "The session", schema: Session } },
      errors: SESSION_ERRORS,
      handle: ({ principal }) => json(200, sessionView(principal, deps.now())),
    }),
    defineRoute<Principals, "endingSession">({
      method: "DELETE",
      path: "/api/widget/session",
      operationId: "endWidgetSession",
      summary: "Log out: end the session and retire its device credential",
      description: "After it, neither the session token nor the device credential works again, nor any other " +
        "session of the device (another tab): the next person on the same browser starts with nothing of this " +
        "visitor's. An expired session may log out too.",
      tag,
      security: "endingSession",
      cors: true,
      responses: { 204: { description: "Ended" } },
      errors: SESSION_ERRORS,
      async handle({ principal }) {
        await store.endSession(principal, deps.now());
        return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
      },
    }),
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
          subject: body.subject ?? null,
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
    defineRoute<Principals, "session", undefined, { after?: string | undefined }>({
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
