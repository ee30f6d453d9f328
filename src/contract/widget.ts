import { z } from "zod";
import { CustomData, LIMITS, Workspace } from "./common.ts";

/** How a widget session was identified. Only `visitor_token` is verified. */
export const IdentityMethod = z
  .enum(["anonymous", "prechat_form", "client_user_data", "visitor_token"])
  .meta({ id: "IdentityMethod" });
export type IdentityMethod = z.infer<typeof IdentityMethod>;

/**
 * What the page or the visitor says about the visitor. Never trusted: it
 * never verifies a session, never reveals verified history, and is kept as
 * non-verified data apart from what a visitor token says.
 */
export const ClientUser = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    email: z.email().max(254).optional(),
    /** A user id the page claims; stored as non-verified data, never used to identify. */
    externalUserId: z.string().min(1).max(255).optional(),
    customData: CustomData.optional(),
    /** Who typed it: the visitor in the pre-chat form, or the page's `user` option. */
    source: z.enum(["prechat_form", "page"]).default("page"),
  })
  .meta({ id: "ClientUser" });
export type ClientUser = z.infer<typeof ClientUser>;

/** Body of `POST /api/widget/sessions`. */
export const CreateSessionRequest = z
  .strictObject({
    siteApiKey: z.string().min(1).max(128),
    /** The credential the server issued to this browser; absent on a first visit. */
    deviceCredential: z.string().max(128).optional(),
    /**
     * A visitor token minted by the customer's backend: the only way to be
     * verified. Its length is checked with the rest of the token (401
     * `visitor_token_invalid`); the body limit bounds what is read.
     */
    visitorToken: z.string().min(1).optional(),
    user: ClientUser.optional(),
    workspace: Workspace.optional(),
  })
  .meta({ id: "CreateSessionRequest" });
export type CreateSessionRequest = z.infer<typeof CreateSessionRequest>;

/** Who a session is, as the widget may show it. */
export const SessionIdentity = z
  .object({
    method: IdentityMethod,
    verified: z.boolean(),
    /** The verified user id; `null` unless `verified`. */
    externalUserId: z.string().nullable(),
    name: z.string().nullable(),
    email: z.string().nullable(),
  })
  .meta({ id: "SessionIdentity" });
export type SessionIdentity = z.infer<typeof SessionIdentity>;

/** A widget session as `GET /api/widget/session` shows it. */
export const Session = z
  .object({
    identity: SessionIdentity,
    visitorId: z.string(),
    workspace: Workspace.nullable(),
    expiresAt: z.iso.datetime(),
    /** Seconds left, as the server counts them: schedule renewals from this, not from the browser's clock. */
    expiresIn: z.number().int().nonnegative(),
  })
  .meta({ id: "Session" });
export type Session = z.infer<typeof Session>;

/** Answer of `POST /api/widget/sessions`: the session, its token, and the device credential to keep. */
export const SessionCreated = Session
  .extend({
    sessionToken: z.string(),
    deviceCredential: z.string(),
    /** Whether `deviceCredential` is new (first visit, or the one sent was unknown or retired). */
    deviceIssued: z.boolean(),
  })
  .meta({ id: "SessionCreated" });
export type SessionCreated = z.infer<typeof SessionCreated>;

/** The kinds of conversation. */
export const ConversationKind = z.enum(["chat", "ticket", "flow"]).meta({ id: "ConversationKind" });
export type ConversationKind = z.infer<typeof ConversationKind>;

/** Who wrote a message. */
export const MessageAuthor = z.enum(["visitor", "agent", "bot"]).meta({ id: "MessageAuthor" });

/** One message of a conversation. */
export const Message = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    author: MessageAuthor,
    authorName: z.string().nullable(),
    text: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Message" });
export type Message = z.infer<typeof Message>;

/** Message ids number a conversation's messages in order, from `msg_00000001`, so `after` cursors never skip one. */
export function messageId(seq: number): string {
  return `msg_${String(seq).padStart(8, "0")}`;
}

const MESSAGE_ID = /^msg_\d{8}$/;

/** A conversation as the widget sees it. */
export const Conversation = z
  .object({
    id: z.string(),
    kind: ConversationKind,
    subject: z.string().nullable(),
    flowId: z.string().nullable(),
    /** Whether it was created through a verified session. */
    verified: z.boolean(),
    workspace: Workspace.nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    lastMessage: Message.nullable(),
  })
  .meta({ id: "Conversation" });
export type Conversation = z.infer<typeof Conversation>;

/** Answer of `GET /api/widget/conversations`: newest first. */
export const ConversationList = z
  .object({ conversations: z.array(Conversation) })
  .meta({ id: "ConversationList" });
export type ConversationList = z.infer<typeof ConversationList>;

/** The flows a conversation of kind `flow` may start, and their first bot message. */
export const FLOWS = {
  welcome: { title: "Getting started", firstMessage: "Hi! I can help you get started. What would you like to do?" },
  billing: {
    title: "Billing question",
    firstMessage: "Let's sort out your billing question. Which invoice is it about?",
  },
} as const;

/** Body of `POST /api/widget/conversations`. */
export const CreateConversationRequest = z
  .strictObject({
    kind: ConversationKind,
    /** Required for a ticket. */
    subject: z.string().min(1).max(200).optional(),
    /** For a flow: one of the site's flows (default `welcome`). */
    flowId: z.enum(Object.keys(FLOWS) as [keyof typeof FLOWS]).optional(),
    /** A first message from the visitor. */
    text: z.string().min(1).max(LIMITS.messageChars).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.kind === "ticket" && value.subject === undefined) {
      ctx.addIssue({ code: "custom", path: ["subject"], message: "is required for a ticket" });
    }
    if (value.kind !== "ticket" && value.subject !== undefined) {
      ctx.addIssue({ code: "custom", path: ["subject"], message: "is only for tickets" });
    }
    if (value.kind !== "flow" && value.flowId !== undefined) {
      ctx.addIssue({ code: "custom", path: ["flowId"], message: "is only for flows" });
    }
  })
  .meta({ id: "CreateConversationRequest" });
export type CreateConversationRequest = z.infer<typeof CreateConversationRequest>;

/** A conversation with its messages. */
export const ConversationDetail = z
  .object({ conversation: Conversation, messages: z.array(Message) })
  .meta({ id: "ConversationDetail" });
export type ConversationDetail = z.infer<typeof ConversationDetail>;

/** Body of a new message, from the visitor or an agent. */
export const PostMessageRequest = z
  .strictObject({ text: z.string().trim().min(1).max(LIMITS.messageChars) })
  .meta({ id: "PostMessageRequest" });
export type PostMessageRequest = z.infer<typeof PostMessageRequest>;

/** Query of `GET …/messages`: the messages after `after` (a message id, read as its number), oldest first. */
export const MessagesQuery = z
  .strictObject({
    after: z.string().max(64).regex(MESSAGE_ID, "must be a message id such as msg_00000001")
      .transform((id) => Number(id.slice("msg_".length))).optional()
      .meta({ description: "A message id: only the messages after it are listed." }),
  })
  .meta({ id: "MessagesQuery" });

/** Answer of `GET …/messages`. */
export const MessageList = z.object({ messages: z.array(Message) }).meta({ id: "MessageList" });
export type MessageList = z.infer<typeof MessageList>;
