/**
 * The widget API (`/api/widget/*` but the visitor-token endpoint), for browsers on any origin: sessions, the
 * conversations a session may see, and their messages.
 *
 * Who sees what, in this implementation's words: a verified session sees the verified conversations of its user on
 * its site and in its workspace, from any device; any other session sees the non-verified conversations of its own
 * device on its site and in its workspace. Nothing a browser says (an email, a name, a user id) takes part.
 */
import { z } from "zod";
import { ChatStore, type Conversation, type Method, type Session } from "./chat_store.ts";
import { ApiError, decodeSegment, isPlainObject, json, readJson, requireMethod, validate } from "./http.ts";
import { conversationView, jsonBytes, messageText, messageView, type SurfaceContext } from "./surface.ts";
import { type VerifiedClaims, verifyVisitorToken } from "./visitor_tokens.ts";

/** How long a session that is not verified lives. */
export const UNVERIFIED_SESSION_MS = 12 * 60 * 60 * 1000;
/** How many conversations a history listing shows, most recently active first. */
export const HISTORY_PAGE = 50;
/** The longest message, in characters. */
export const MAX_TEXT = 5000;
/** The most JSON bytes of browser custom data. */
export const MAX_CUSTOM_DATA_BYTES = 8 * 1024;

const FLOWS: Record<string, { title: string; opening: string }> = {
  welcome: { title: "Welcome", opening: "Hello! What brings you here today?" },
  billing: { title: "Billing", opening: "I can help with billing. Which invoice do you mean?" },
};

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, POST, DELETE, OPTIONS",
  "access-control-allow-headers": "authorization, content-type",
  "access-control-max-age": "600",
};

const Workspace = z.strictObject({ externalId: z.string().min(1).max(100) });
const CustomData = z.custom<Record<string, unknown>>(isPlainObject, { message: "must be a JSON object" });
const SessionBody = z.strictObject({
  siteApiKey: z.string().min(1).max(200),
  deviceCredential: z.string().max(200).optional(),
  // No bound here: an oversized token is refused by the verifier, with the other refused tokens.
  visitorToken: z.string().min(1).optional(),
  user: z.strictObject({
    name: z.string().min(1).max(200).optional(),
    email: z.email().max(254).optional(),
    externalUserId: z.string().min(1).max(255).optional(),
    customData: CustomData.optional(),
    source: z.enum(["prechat_form", "page"]).optional(),
  }).optional(),
  workspace: Workspace.optional(),
});
const ConversationBody = z.strictObject({
  kind: z.enum(["chat", "ticket", "flow"]),
  subject: z.string().min(1).max(300).optional(),
  flowId: z.enum(Object.keys(FLOWS) as [string, ...string[]]).optional(),
  text: z.string().min(1).max(MAX_TEXT).optional(),
});
const MessageBody = z.strictObject({ text: z.string() });

const SESSION_PATH = /^\/api\/widget\/sessions?$/;
const CONVERSATIONS = /^\/api\/widget\/conversations(?:\/([^/]+)(\/messages)?)?$/;

/** The widget API of one node. */
export class WidgetApi {
  readonly #ctx: SurfaceContext;

  constructor(ctx: SurfaceContext) {
    this.#ctx = ctx;
  }

  /** Whether a path is this API's. */
  static owns(path: string): boolean {
    return SESSION_PATH.test(path) || CONVERSATIONS.test(path);
  }

  /** Answers a request of this API, with CORS on every answer, errors included. */
  async handle(request: Request, url: URL): Promise<Response> {
    let response: Response;
    try {
      response = request.method === "OPTIONS" ? new Response(null, { status: 204 }) : await this.#route(request, url);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      response = json(error.status, { error: error.code, message: error.message }, error.headers);
    }
    for (const [k, v] of Object.entries(CORS)) response.headers.set(k, v);
    return response;
  }

  async #route(request: Request, url: URL): Promise<Response> {
    const path = url.pathname;
    const method = request.method === "HEAD" ? "GET" : request.method;
    if (path === "/api/widget/sessions") {
      requireMethod(request, ["POST"]);
      return await this.#openSession(request);
    }
    if (path === "/api/widget/session") {
      requireMethod(request, ["GET", "HEAD", "DELETE"]);
      if (method === "DELETE") return this.#logout(request);
      const session = this.#session(request);
      return json(200, this.#sessionView(session));
    }
    const m = CONVERSATIONS.exec(path);
    if (m === null) throw new ApiError(404, "not_found", "Cannot find the requested resource: no such path");
    const [, id, messages] = m;
    if (id === undefined) {
      requireMethod(request, ["GET", "HEAD", "POST"]);
      const session = this.#session(request);
      return method === "GET" ? this.#history(session) : await this.#start(request, session);
    }
    if (messages === undefined) {
      requireMethod(request, ["GET", "HEAD"]);
      const conversation = this.#visible(this.#session(request), decodeSegment(id));
      return json(200, {
        conversation: conversationView(conversation),
        messages: conversation.messages.map(messageView),
      });
    }
    requireMethod(request, ["GET", "HEAD", "POST"]);
    const session = this.#session(request);
    const conversation = this.#visible(session, decodeSegment(id));
    return method === "GET" ? this.#poll(conversation, url) : await this.#write(request, session, conversation);
  }

  /** Opens a session: anonymous, with what the page or the visitor says, or verified by a visitor token. */
  async #openSession(request: Request): Promise<Response> {
    const action = "open the session";
    const { chats, store, bugs } = this.#ctx;
    const parsed = await readJson(request, action, bugs);
    if (bugs.has("widget-null-500") && isPlainObject(parsed) && isPlainObject(parsed.user) && "name" in parsed.user) {
      // Tidies the name before validating it: a null or a number has no trim().
      (parsed.user.name as string).trim();
    }
    const body = validate(SessionBody, parsed, action);
    if (body.user?.customData !== undefined && jsonBytes(body.user.customData) > MAX_CUSTOM_DATA_BYTES) {
      throw new ApiError(400, "invalid_field", `Cannot ${action}: "user.customData" is larger than 8 KiB`);
    }
    const tenantId = store.siteTenant(body.siteApiKey);
    if (tenantId === undefined) throw new ApiError(404, "unknown_site", `Cannot ${action}: no such site`);
    const now = Date.now();
    const claims = body.visitorToken === undefined ? null : await verifyVisitorToken(body.visitorToken, {
      keys: await this.#ctx.keys(),
      site: body.siteApiKey,
      tenantId,
      nowMs: now,
      bugs,
    });
    if (claims !== null) this.#checkMinter(claims, tenantId, action);
    const requested = body.workspace?.externalId ?? null;
    let workspace = requested;
    if (claims?.workspace !== undefined && !bugs.has("workspace-binding-ignored")) {
      if (requested !== claims.workspace) {
        throw new ApiError(403, "workspace_mismatch", `Cannot ${action}: the visitor token is for another workspace`);
      }
      workspace = claims.workspace;
    }
    // A credential this server issued to a browser of this tenant, and not retired, names its device; any other is
    // replaced: a browser never chooses its device.
    const presented = body.deviceCredential === undefined ? undefined : chats.device(body.deviceCredential);
    const reused = presented !== undefined && !presented.retired &&
      (presented.tenantId === tenantId || bugs.has("device-adopted-across-tenants"));
    const issued = reused ? undefined : chats.issueDevice(tenantId);
    const device = reused ? presented : issued!.device;
    const user = body.user;
    const method: Method = claims !== null
      ? "visitor_token"
      : user === undefined
      ? "anonymous"
      : user.source === "prechat_form"
      ? "prechat_form"
      : "client_user_data";
    const visitor = chats.visitorFor(
      claims !== null
        ? JSON.stringify(["user", body.siteApiKey, workspace, claims.sub])
        : JSON.stringify(["device", device.id, body.siteApiKey, workspace]),
      (id) => ({
        id,
        tenantId,
        site: body.siteApiKey,
        workspace,
        verified: claims !== null,
        externalUserId: claims?.sub ?? null,
        email: null,
        name: null,
        provider: null,
        customData: {},
        nonVerified: null,
        nonVerifiedCustomData: {},
        createdAt: new Date(now),
        updatedAt: new Date(now),
      }),
    );
    if (claims !== null) {
      visitor.email = claims.email ?? null;
      visitor.name = claims.name ?? null;
      visitor.provider = claims.provider ?? null;
      visitor.customData = claims.metadata ?? {};
    }
    if (user !== undefined) {
      visitor.nonVerified = {
        name: user.name ?? null,
        email: user.email ?? null,
        externalUserId: user.externalUserId ?? null,
        source: user.source ?? "page",
      };
      visitor.nonVerifiedCustomData = user.customData ?? {};
      if (bugs.has("client-data-overwrites-verified")) {
        visitor.customData = { ...visitor.customData, ...user.customData };
      }
    }
    visitor.updatedAt = new Date(now);
    const { session, token } = chats.addSession({
      tenantId,
      site: body.siteApiKey,
      deviceId: device.id,
      workspace,
      method,
      subject: claims?.sub ?? (bugs.has("claimed-user-id-echoed") ? user?.externalUserId ?? null : null),
      displayName: claims !== null ? claims.name ?? null : user?.name ?? null,
      displayEmail: claims !== null ? claims.email ?? null : user?.email ?? null,
      visitorId: visitor.id,
      expiresAtMs: claims !== null ? claims.exp * 1000 : now + UNVERIFIED_SESSION_MS,
    });
    return json(201, {
      ...this.#sessionView(session),
      sessionToken: token,
      deviceCredential: issued?.credential ?? body.deviceCredential,
      deviceIssued: issued !== undefined,
    });
  }

  /** A visitor token opens sessions only while the server token that minted it is active. */
  #checkMinter(claims: VerifiedClaims, tenantId: string, action: string): void {
    const minter = this.#ctx.store.serverTokenById(claims.stk);
    if (minter === undefined || minter.tenantId !== tenantId) {
      throw new ApiError(401, "invalid_visitor_token", `Cannot ${action}: no server token of this tenant minted it`);
    }
    if (!this.#ctx.store.isActive(minter, Date.now()) && !this.#ctx.bugs.has("revoked-minter-opens-sessions")) {
      throw new ApiError(401, "revoked_visitor_token", `Cannot ${action}: the server token that minted it is revoked`);
    }
  }

  #sessionView(session: Session): Record<string, unknown> {
    // The identity a session shows is verified or nothing: a user id the page claimed is never echoed as one.
    const verified = session.method === "visitor_token";
    return {
      identity: {
        method: session.method,
        verified,
        externalUserId: session.subject,
        name: session.displayName,
        email: session.displayEmail,
      },
      visitorId: session.visitorId,
      workspace: session.workspace === null ? null : { externalId: session.workspace },
      expiresAt: new Date(session.expiresAtMs).toISOString(),
      expiresIn: Math.max(0, Math.floor((session.expiresAtMs - Date.now()) / 1000)),
    };
  }

  /** The session of the request's bearer token: a 401 unless it is live (an expired one may still log out). */
  #session(request: Request, allowExpired = false): Session {
    const header = request.headers.get("authorization") ?? "";
    const token = /^Bearer +(\S+)$/i.exec(header)?.[1];
    const challenge = { "www-authenticate": `Bearer realm="setchat"` };
    if (token === undefined) throw new ApiError(401, "missing_session", "Cannot answer: no session token", challenge);
    const session = this.#ctx.chats.session(token);
    const refused = { "www-authenticate": `Bearer realm="setchat", error="invalid_token"` };
    if (session === undefined || session.ended) {
      throw new ApiError(401, "invalid_session", "Cannot answer: the session is unknown or ended", refused);
    }
    if (!allowExpired && session.expiresAtMs <= Date.now()) {
      throw new ApiError(401, "expired_session", "Cannot answer: the session has expired", refused);
    }
    return session;
  }

  /** Logout: ends the session and every other session of its device, and retires the device. */
  #logout(request: Request): Response {
    const { chats, bugs } = this.#ctx;
    const session = this.#session(request, true);
    session.ended = true;
    const device = chats.deviceById(session.deviceId);
    if (device !== undefined && !bugs.has("logout-keeps-device")) device.retired = true;
    if (!bugs.has("logout-ends-one-tab")) {
      for (const other of chats.sessionsOf(session.deviceId)) {
        other.ended = true;
      }
    }
    return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
  }

  #canSee(session: Session, c: Conversation): boolean {
    const { bugs } = this.#ctx;
    if (c.tenantId !== session.tenantId) return false;
    const verified = session.method === "visitor_token";
    if (c.site !== session.site && !(verified && bugs.has("site-ignored-for-verified"))) return false;
    if (c.workspace !== session.workspace && !bugs.has("workspace-ignored")) return false;
    if (verified) return c.verified && c.creatorSubject === session.subject;
    if (c.verified) {
      return bugs.has("visibility-merges-by-email") && session.displayEmail !== null &&
        c.creatorEmail === session.displayEmail;
    }
    return c.deviceId === session.deviceId || bugs.has("device-ignored-for-anonymous");
  }

  /** The conversation if this session may see it; otherwise exactly as if it did not exist. */
  #visible(session: Session, id: string): Conversation {
    const c = this.#ctx.chats.conversation(id);
    if (c !== undefined && this.#canSee(session, c)) return c;
    if (c !== undefined && c.tenantId === session.tenantId && this.#ctx.bugs.has("existence-leak-403")) {
      throw new ApiError(403, "forbidden", "Cannot open the conversation: it belongs to someone else");
    }
    throw new ApiError(404, "conversation_not_found", "Cannot find the conversation");
  }

  #history(session: Session): Response {
    const seen = this.#ctx.chats.conversationsOf(session.tenantId)
      .filter((c) => this.#canSee(session, c))
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || b.seq - a.seq)
      .slice(0, HISTORY_PAGE);
    if (this.#ctx.bugs.has("history-oldest-first")) seen.reverse();
    return json(200, { conversations: seen.map(conversationView) });
  }

  async #start(request: Request, session: Session): Promise<Response> {
    const action = "start the conversation";
    const body = validate(ConversationBody, await readJson(request, action, this.#ctx.bugs), action);
    if (body.kind === "ticket" && body.subject === undefined) {
      throw new ApiError(400, "missing_field", `Cannot ${action}: "subject" is required for a ticket`);
    }
    if (body.kind !== "ticket" && body.subject !== undefined) {
      throw new ApiError(400, "invalid_field", `Cannot ${action}: "subject" is for tickets only`);
    }
    if (body.kind !== "flow" && body.flowId !== undefined) {
      throw new ApiError(400, "invalid_field", `Cannot ${action}: "flowId" is for flows only`);
    }
    const text = body.text === undefined ? undefined : messageText(body.text, action, MAX_TEXT);
    const now = new Date();
    const flowId = body.kind === "flow" ? body.flowId ?? "welcome" : null;
    const messages = [
      ...(flowId === null ? [] : [
        ChatStore.message({
          author: "bot",
          authorName: FLOWS[flowId]!.title,
          text: FLOWS[flowId]!.opening,
          createdAt: now,
        }),
      ]),
      ...(text === undefined
        ? []
        : [ChatStore.message({ author: "visitor", authorName: session.displayName, text, createdAt: now })]),
    ];
    const verified = session.method === "visitor_token";
    const conversation = this.#ctx.chats.addConversation({
      tenantId: session.tenantId,
      site: session.site,
      workspace: session.workspace,
      verified,
      creatorSubject: verified ? session.subject : null,
      creatorEmail: verified ? session.displayEmail : null,
      deviceId: session.deviceId,
      visitorId: session.visitorId,
      identityMethod: session.method,
      kind: body.kind,
      ticketSubject: body.subject ?? null,
      flowId,
      createdAt: now,
      updatedAt: now,
      messages,
    });
    return json(201, { conversation: conversationView(conversation), messages: messages.map(messageView) });
  }

  /** The messages after the one `after` names, which must be a message of this conversation. */
  #poll(c: Conversation, url: URL): Response {
    const after = url.searchParams.get("after");
    if (after === null) return json(200, { messages: c.messages.map(messageView) });
    const index = c.messages.findIndex((m) => m.id === after);
    if (index < 0) {
      if (this.#ctx.bugs.has("cursor-other-conversation")) return json(200, { messages: c.messages.map(messageView) });
      throw new ApiError(
        400,
        "unknown_cursor",
        `Cannot list the messages: "after" names no message of this conversation`,
      );
    }
    const skip = this.#ctx.bugs.has("cursor-skips-one") ? 2 : 1;
    return json(200, { messages: c.messages.slice(index + skip).map(messageView) });
  }

  async #write(request: Request, session: Session, c: Conversation): Promise<Response> {
    const action = "send the message";
    const body = validate(MessageBody, await readJson(request, action, this.#ctx.bugs), action);
    const message = ChatStore.message({
      author: "visitor",
      authorName: session.displayName,
      text: messageText(body.text, action, MAX_TEXT),
      createdAt: new Date(),
    }, c.id);
    c.messages.push(message);
    c.updatedAt = message.createdAt;
    return json(201, messageView(message));
  }
}
