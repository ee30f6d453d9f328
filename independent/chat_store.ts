/**
 * What the widget and agent surfaces keep, in memory, shared by both nodes: devices, sessions, visitors,
 * conversations and their messages. Device credentials and session tokens are kept as SHA-256 digests only.
 */
import { digestKey, hashSecret, randomHex } from "./credentials.ts";

/** A browser, named by the credential this server issued it; one device spans every site of its tenant. */
export interface Device {
  readonly id: string;
  readonly tenantId: string;
  retired: boolean;
}

/** How a session was identified. */
export type Method = "anonymous" | "prechat_form" | "client_user_data" | "visitor_token";

/** One widget session. */
export interface Session {
  readonly id: string;
  readonly tenantId: string;
  readonly site: string;
  readonly deviceId: string;
  readonly workspace: string | null;
  readonly method: Method;
  /** The verified user id, from the visitor token; null unless verified. */
  readonly subject: string | null;
  readonly displayName: string | null;
  readonly displayEmail: string | null;
  readonly visitorId: string;
  readonly expiresAtMs: number;
  ended: boolean;
}

/** What the page or the visitor said, never trusted. */
export interface NonVerified {
  readonly name: string | null;
  readonly email: string | null;
  readonly externalUserId: string | null;
  readonly source: "prechat_form" | "page";
}

/** A visitor: one verified user of a site and workspace, or one device on a site and workspace. */
export interface Visitor {
  readonly id: string;
  readonly tenantId: string;
  readonly site: string;
  readonly workspace: string | null;
  readonly verified: boolean;
  readonly externalUserId: string | null;
  email: string | null;
  name: string | null;
  provider: string | null;
  customData: Record<string, unknown>;
  nonVerified: NonVerified | null;
  nonVerifiedCustomData: Record<string, unknown>;
  readonly createdAt: Date;
  updatedAt: Date;
}

/** One message. */
export interface Message {
  readonly id: string;
  readonly conversationId: string;
  readonly author: "visitor" | "agent" | "bot";
  readonly authorName: string | null;
  readonly text: string;
  readonly createdAt: Date;
}

/** One conversation, with who created it and how. */
export interface Conversation {
  readonly id: string;
  readonly tenantId: string;
  readonly site: string;
  readonly workspace: string | null;
  readonly verified: boolean;
  /** The verified user who created it; null when not verified. */
  readonly creatorSubject: string | null;
  /** The verified email of its creator, when verified (kept for the agent, never used to decide who sees it). */
  readonly creatorEmail: string | null;
  readonly deviceId: string;
  readonly visitorId: string;
  readonly identityMethod: Method;
  readonly kind: "chat" | "ticket" | "flow";
  readonly ticketSubject: string | null;
  readonly flowId: string | null;
  /** Creation order across the store. */
  readonly seq: number;
  readonly createdAt: Date;
  updatedAt: Date;
  readonly messages: Message[];
}

/** The shared store of the widget and agent surfaces. */
export class ChatStore {
  readonly #devices = new Map<string, Device>();
  readonly #sessions = new Map<string, Session>();
  readonly #visitors = new Map<string, Visitor>();
  readonly #visitorKeys = new Map<string, string>();
  readonly #conversations = new Map<string, Conversation>();
  #seq = 0;

  /** The device a credential names, if this server issued it. */
  device(credential: string): Device | undefined {
    return this.#devices.get(digestKey(hashSecret(credential)));
  }

  /** Issues a new device of a tenant and returns its credential, shown once. */
  issueDevice(tenantId: string): { device: Device; credential: string } {
    const credential = `dv_${randomHex(32)}`;
    const device: Device = { id: `d-${randomHex(8)}`, tenantId, retired: false };
    this.#devices.set(digestKey(hashSecret(credential)), device);
    return { device, credential };
  }

  /** Stores a session and returns its token, shown once. */
  addSession(session: Omit<Session, "id" | "ended">): { session: Session; token: string } {
    const token = `ws_${randomHex(24)}`;
    const stored: Session = { ...session, id: `s-${randomHex(8)}`, ended: false };
    this.#sessions.set(digestKey(hashSecret(token)), stored);
    return { session: stored, token };
  }

  /** The session a token names, ended or not. */
  session(token: string): Session | undefined {
    return this.#sessions.get(digestKey(hashSecret(token)));
  }

  /** Every session of a device. */
  sessionsOf(deviceId: string): Session[] {
    return [...this.#sessions.values()].filter((s) => s.deviceId === deviceId);
  }

  /** The device with this id. */
  deviceById(id: string): Device | undefined {
    for (const device of this.#devices.values()) if (device.id === id) return device;
    return undefined;
  }

  /** The visitor stored under `key`, or a new one made by `create`. */
  visitorFor(key: string, create: (id: string) => Visitor): Visitor {
    const known = this.#visitorKeys.get(key);
    const existing = known === undefined ? undefined : this.#visitors.get(known);
    if (existing) return existing;
    const visitor = create(`v-${randomHex(8)}`);
    this.#visitors.set(visitor.id, visitor);
    this.#visitorKeys.set(key, visitor.id);
    return visitor;
  }

  /** The visitor with this id. */
  visitor(id: string): Visitor | undefined {
    return this.#visitors.get(id);
  }

  /** Stores a new conversation. */
  addConversation(conversation: Omit<Conversation, "id" | "seq">): Conversation {
    this.#seq += 1;
    const stored: Conversation = { ...conversation, id: `c-${crypto.randomUUID()}`, seq: this.#seq };
    for (const m of stored.messages) (m as { conversationId: string }).conversationId = stored.id;
    this.#conversations.set(stored.id, stored);
    return stored;
  }

  /** The conversation with this id. */
  conversation(id: string): Conversation | undefined {
    return this.#conversations.get(id);
  }

  /** Every conversation of a tenant. */
  conversationsOf(tenantId: string): Conversation[] {
    return [...this.#conversations.values()].filter((c) => c.tenantId === tenantId);
  }

  /** A new message, with a random id (ids say nothing of order). */
  static message(fields: Omit<Message, "id" | "conversationId">, conversationId = ""): Message {
    return { ...fields, id: `m-${randomHex(10)}`, conversationId };
  }
}
