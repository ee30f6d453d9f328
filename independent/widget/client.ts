/** Talks to a SetChat server's widget API (`/api/widget/*`), as docs/contract.md describes it. */

/** Who a session is, as the server says. */
export interface Identity {
  method: string;
  verified: boolean;
  externalUserId: string | null;
  name: string | null;
  email: string | null;
}

/** The answer to `POST /api/widget/sessions`. */
export interface OpenedSession {
  sessionToken: string;
  deviceCredential: string;
  identity: Identity;
  expiresIn: number;
}

/** One message. */
export interface ChatMessage {
  id: string;
  author: "visitor" | "agent" | "bot";
  authorName: string | null;
  text: string;
  createdAt: string;
}

/** One conversation of the history. */
export interface ChatConversation {
  id: string;
  kind: "chat" | "ticket" | "flow";
  subject: string | null;
  verified: boolean;
  updatedAt: string;
  lastMessage: ChatMessage | null;
}

/** A refused call: the HTTP status and the problem's `code`. */
export class Refused extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "Refused";
  }
}

/** The calls the widget makes. */
export class Client {
  readonly #root: string;

  constructor(apiUrl: string) {
    this.#root = apiUrl.endsWith("/") ? apiUrl.slice(0, -1) : apiUrl;
  }

  async #send<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(this.#root + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        credentials: "omit",
      });
    } catch (error) {
      throw new Refused(0, "network_error", String(error));
    }
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const problem = (data ?? {}) as { code?: string; detail?: string };
      throw new Refused(response.status, problem.code ?? `http_${response.status}`, problem.detail ?? text);
    }
    return data as T;
  }

  openSession(body: Record<string, unknown>): Promise<OpenedSession> {
    return this.#send("POST", "/api/widget/sessions", null, body);
  }

  async endSession(token: string): Promise<void> {
    await this.#send("DELETE", "/api/widget/session", token);
  }

  async history(token: string): Promise<ChatConversation[]> {
    return (await this.#send<{ conversations: ChatConversation[] }>("GET", "/api/widget/conversations", token))
      .conversations;
  }

  create(
    token: string,
    body: { kind: string; subject?: string; text?: string },
  ): Promise<{ conversation: ChatConversation; messages: ChatMessage[] }> {
    return this.#send("POST", "/api/widget/conversations", token, body);
  }

  conversation(token: string, id: string): Promise<{ conversation: ChatConversation; messages: ChatMessage[] }> {
    return this.#send("GET", "/api/widget/conversations/" + encodeURIComponent(id), token);
  }

  async newer(token: string, id: string, after: string | undefined): Promise<ChatMessage[]> {
    const query = after ? "?after=" + encodeURIComponent(after) : "";
    const path = "/api/widget/conversations/" + encodeURIComponent(id) + "/messages" + query;
    return (await this.#send<{ messages: ChatMessage[] }>("GET", path, token)).messages;
  }

  write(token: string, id: string, text: string): Promise<ChatMessage> {
    return this.#send("POST", "/api/widget/conversations/" + encodeURIComponent(id) + "/messages", token, { text });
  }
}
