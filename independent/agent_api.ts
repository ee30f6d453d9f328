/**
 * The agent API and the server token listing, with the tenant's admin token: a tenant's conversations (newest first,
 * by pages of an opaque cursor), one conversation with its visitor, an agent's reply, a visitor, and the tenant's
 * server tokens (never a plaintext). Another tenant's objects answer 404, as if they did not exist.
 */
import { z } from "zod";
import { ChatStore } from "./chat_store.ts";
import { ApiError, decodeSegment, json, readJson, requireMethod, validate } from "./http.ts";
import { agentConversationView, messageText, messageView, type SurfaceContext, visitorView } from "./surface.ts";
import { MAX_TEXT } from "./widget_api.ts";

const AGENT_PATH = /^\/api\/tenants\/([^/]+)\/(?:conversations(?:\/([^/]+)(\/messages)?)?|visitors\/([^/]+))$/;
const LISTING_PATH = /^\/api\/tenants\/([^/]+)\/server-tokens$/;
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

const ReplyBody = z.strictObject({ text: z.string(), authorName: z.string().min(1).max(100).optional() });

/** The agent API of one node. */
export class AgentApi {
  readonly #ctx: SurfaceContext;

  constructor(ctx: SurfaceContext) {
    this.#ctx = ctx;
  }

  /** Whether a path is this API's. */
  static owns(path: string): boolean {
    return AGENT_PATH.test(path) || LISTING_PATH.test(path);
  }

  async handle(request: Request, url: URL): Promise<Response> {
    const listing = LISTING_PATH.exec(url.pathname);
    if (listing !== null) {
      requireMethod(request, ["GET", "HEAD"]);
      const tenantId = this.#tenant(request, listing[1]!, "list the server tokens");
      return this.#listTokens(tenantId);
    }
    const [, rawTenant, conversationId, messages, visitorId] = AGENT_PATH.exec(url.pathname)!;
    if (visitorId !== undefined) {
      requireMethod(request, ["GET", "HEAD"]);
      const tenantId = this.#tenant(request, rawTenant!, "read the visitor");
      const visitor = this.#ctx.chats.visitor(decodeSegment(visitorId));
      if (visitor === undefined || (visitor.tenantId !== tenantId && !this.#ctx.bugs.has("agent-reads-any-tenant"))) {
        throw new ApiError(404, "visitor_not_found", "Cannot find the visitor");
      }
      return json(200, visitorView(visitor));
    }
    if (conversationId === undefined) {
      requireMethod(request, ["GET", "HEAD"]);
      return this.#list(this.#tenant(request, rawTenant!, "list the conversations"), url);
    }
    if (messages === undefined) requireMethod(request, ["GET", "HEAD"]);
    else requireMethod(request, ["POST"]);
    const action = messages === undefined ? "read the conversation" : "reply";
    const tenantId = this.#tenant(request, rawTenant!, action);
    const c = this.#ctx.chats.conversation(decodeSegment(conversationId));
    if (c === undefined || (c.tenantId !== tenantId && !this.#ctx.bugs.has("agent-reads-any-tenant"))) {
      throw new ApiError(404, "conversation_not_found", `Cannot ${action}: no such conversation`);
    }
    if (messages === undefined) {
      const visitor = this.#ctx.chats.visitor(c.visitorId);
      return json(200, {
        conversation: agentConversationView(c),
        messages: c.messages.map(messageView),
        visitor: visitor === undefined ? null : visitorView(visitor),
      });
    }
    const body = validate(ReplyBody, await readJson(request, action, this.#ctx.bugs), action);
    const message = ChatStore.message({
      author: "agent",
      authorName: body.authorName ?? "Support",
      text: messageText(body.text, action, MAX_TEXT),
      createdAt: new Date(),
    }, c.id);
    c.messages.push(message);
    c.updatedAt = message.createdAt;
    return json(201, messageView(message));
  }

  /** The caller's tenant, which must be the path's: another tenant's path answers as if it did not exist. */
  #tenant(request: Request, raw: string, action: string): string {
    const caller = this.#ctx.authenticateAdmin(request.headers.get("authorization"), action);
    if (decodeSegment(raw) !== caller) throw new ApiError(404, "tenant_not_found", `Cannot ${action}: no such tenant`);
    return caller;
  }

  /** The tenant's conversations, newest first, from the cursor on. */
  #list(tenantId: string, url: URL): Response {
    const q = url.searchParams;
    const limitText = q.get("limit");
    const limit = limitText === null ? DEFAULT_PAGE : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE || !/^\d+$/.test(limitText ?? "1")) {
      throw new ApiError(400, "invalid_limit", `Cannot list the conversations: "limit" is a whole number 1 to 100`);
    }
    const site = q.get("siteApiKey");
    if (site !== null && this.#ctx.store.siteTenant(site) !== tenantId) {
      throw new ApiError(400, "unknown_site", `Cannot list the conversations: no such site of this tenant`);
    }
    const cursor = q.get("cursor");
    const before = cursor === null ? Infinity : readCursor(cursor);
    const all = this.#ctx.chats.conversationsOf(tenantId)
      .filter((c) => (site === null || c.site === site) && c.seq < before)
      .sort((a, b) => b.seq - a.seq);
    const page = all.slice(0, limit);
    const last = page.at(-1);
    return json(200, {
      conversations: page.map(agentConversationView),
      nextCursor: all.length > limit && last !== undefined ? writeCursor(last.seq) : null,
    });
  }

  #listTokens(tenantId: string): Response {
    const tokens = this.#ctx.store.tenantTokens(tenantId);
    const current = tokens.at(-1);
    return json(200, {
      items: tokens.map((t) => ({
        id: t.id,
        createdAt: t.createdAt.toISOString(),
        revokedAt: t.revokedAt === null ? null : new Date(t.revokedAt).toISOString(),
        current: t === current,
        ...(this.#ctx.bugs.has("listing-shows-plaintext") && t.plaintext !== undefined ? { secret: t.plaintext } : {}),
      })),
    });
  }
}

function writeCursor(seq: number): string {
  return btoa(JSON.stringify({ before: seq })).replaceAll("=", "");
}

function readCursor(cursor: string): number {
  try {
    const value: unknown = JSON.parse(atob(cursor.padEnd(Math.ceil(cursor.length / 4) * 4, "=")));
    const before = (value as { before?: unknown } | null)?.before;
    if (typeof before === "number" && Number.isInteger(before) && before > 0) return before;
  } catch {
    // Reported below.
  }
  throw new ApiError(400, "invalid_cursor", `Cannot list the conversations: "cursor" is not one this server gave`);
}
