import { z } from "zod";
import { JsonValue, LIMITS, Workspace } from "./common.ts";
import { Conversation, IdentityMethod, Message } from "./widget.ts";

/** A conversation as an agent sees it: whose it is and how they were identified. */
export const AgentConversation = Conversation
  .extend({
    siteApiKey: z.string(),
    visitorId: z.string(),
    identityMethod: IdentityMethod,
  })
  .meta({ id: "AgentConversation" });
export type AgentConversation = z.infer<typeof AgentConversation>;

/** Query of the agent's conversation listing. */
export const AgentConversationsQuery = z
  .strictObject({
    siteApiKey: z.string().max(128).optional().meta({ description: "Only the conversations of this site." }),
    limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: "How many per page." }),
    cursor: z.string().max(64).optional().meta({ description: "The `nextCursor` of the previous page." }),
  })
  .meta({ id: "AgentConversationsQuery" });

/** A page of conversations, newest first. */
export const AgentConversationList = z
  .object({ conversations: z.array(AgentConversation), nextCursor: z.string().nullable() })
  .meta({ id: "AgentConversationList" });

/** A visitor, with verified and non-verified data kept apart. */
export const Visitor = z
  .object({
    id: z.string(),
    siteApiKey: z.string(),
    workspace: Workspace.nullable(),
    verified: z.boolean(),
    /** From the visitor token (verified); `null` for a visitor never verified. */
    externalUserId: z.string().nullable(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    provider: z.string().nullable(),
    /** The visitor token's `metadata`: verified custom data. */
    custom_data: z.record(z.string(), JsonValue),
    /** What the page or the visitor said; never trusted. */
    non_verified: z
      .object({
        name: z.string().nullable(),
        email: z.string().nullable(),
        externalUserId: z.string().nullable(),
        source: z.enum(["prechat_form", "page"]),
      })
      .nullable(),
    /** Custom data from the browser: never merged into `custom_data`. */
    non_verified_custom_data: z.record(z.string(), JsonValue),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Visitor" });
export type Visitor = z.infer<typeof Visitor>;

/** A conversation with its messages and its visitor. */
export const AgentConversationDetail = z
  .object({ conversation: AgentConversation, messages: z.array(Message), visitor: Visitor })
  .meta({ id: "AgentConversationDetail" });

/** Body of an agent's reply. */
export const AgentReplyRequest = z
  .strictObject({
    text: z.string().trim().min(1).max(LIMITS.messageChars),
    authorName: z.string().min(1).max(100).optional(),
  })
  .meta({ id: "AgentReplyRequest" });
export type AgentReplyRequest = z.infer<typeof AgentReplyRequest>;
