/** The widget API over fetch: typed by the contract's schemas, without shipping them. */
import type {
  ConversationDetail,
  ConversationList,
  CreateConversationRequest,
  CreateSessionRequest,
  Message,
  MessageList,
  SessionCreated,
} from "../src/contract/widget.ts";

/** An answer of the API that is not a success, with its problem `code`. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

/** A client of one SetChat server's widget API. */
export class WidgetApi {
  readonly #base: string;
  sessionToken: string | undefined;

  constructor(base: string) {
    this.#base = base.replace(/\/+$/, "");
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.sessionToken) headers.authorization = `Bearer ${this.sessionToken}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(this.#base + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (error) {
      throw new ApiError(0, "network_error", `Cannot reach the chat server: ${(error as Error).message}`);
    }
    if (res.status === 204) return undefined as T;
    const data = await res.json().catch(() => undefined);
    if (!res.ok) throw new ApiError(res.status, data?.code ?? "http_error", data?.detail ?? res.statusText);
    return data as T;
  }

  createSession(body: CreateSessionRequest): Promise<SessionCreated> {
    return this.#call("POST", "/api/widget/sessions", body);
  }

  /** Logs out the session of `token` (the current one by default); expired sessions may log out too. */
  async endSession(token = this.sessionToken): Promise<void> {
    const current = this.sessionToken;
    this.sessionToken = token;
    try {
      await this.#call("DELETE", "/api/widget/session");
    } finally {
      this.sessionToken = current === token ? undefined : current;
    }
  }

  async listConversations(): Promise<ConversationList["conversations"]> {
    return (await this.#call<ConversationList>("GET", "/api/widget/conversations")).conversations;
  }

  createConversation(body: CreateConversationRequest): Promise<ConversationDetail> {
    return this.#call("POST", "/api/widget/conversations", body);
  }

  getConversation(id: string): Promise<ConversationDetail> {
    return this.#call("GET", `/api/widget/conversations/${encodeURIComponent(id)}`);
  }

  async listMessages(id: string, after?: string): Promise<Message[]> {
    const query = after ? `?after=${encodeURIComponent(after)}` : "";
    return (await this.#call<MessageList>(
      "GET",
      `/api/widget/conversations/${encodeURIComponent(id)}/messages${query}`,
    ))
      .messages;
  }

  postMessage(id: string, text: string): Promise<Message> {
    return this.#call("POST", `/api/widget/conversations/${encodeURIComponent(id)}/messages`, { text });
  }
}
