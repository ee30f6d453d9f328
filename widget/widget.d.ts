/**
 * Types of the SetChat widget's public API: the `SetChat` global that
 * `widget.js` defines. Save this file in your project (for example as
 * `types/setchat.d.ts`); docs/widget.md describes every option and event.
 */

/** How a session's visitor was identified; only `visitor_token` is verified. */
export type SetChatIdentityMethod = "anonymous" | "prechat_form" | "client_user_data" | "visitor_token";

/** Who a session is, as the server says. */
export interface SetChatIdentity {
  method: SetChatIdentityMethod;
  verified: boolean;
  /** The verified user id; `null` unless `verified`. */
  externalUserId: string | null;
  name: string | null;
  email: string | null;
}

/** One message of a conversation. */
export interface SetChatMessage {
  id: string;
  conversationId: string;
  author: "visitor" | "agent" | "bot";
  authorName: string | null;
  text: string;
  /** ISO 8601. */
  createdAt: string;
}

/** What the page passes to `SetChat.init()`. */
export interface SetChatConfig {
  /** The site's public API key. */
  siteApiKey: string;
  /** The SetChat server; defaults to the origin the widget script was loaded from. */
  apiUrl?: string;
  /** A visitor token minted by the page's backend: the only way to be verified. */
  visitorToken?: string;
  /** Fetches a fresh visitor token (the mint answer's `token` string) from the page's backend; `null` when signed out. */
  getVisitorToken?: () => Promise<string | null | undefined> | string | null | undefined;
  /** What the page knows of the visitor: kept as non-verified data, never used to identify. */
  user?: { name?: string; email?: string; externalUserId?: string; customData?: Record<string, unknown> };
  /** Ask visitors who are not verified for their name and email before chatting. */
  collectUserData?: boolean;
  /** The workspace of the page's product the visitor is in. */
  workspace?: { externalId: string };
  /** `en` or `fr`; defaults to the browser's language. */
  locale?: "en" | "fr";
  /** Open the panel at once. */
  open?: boolean;
  /** How often an open panel looks for new messages, in ms (default 2000). */
  pollIntervalMs?: number;
  /** Where a visitor who is not signed in signs in to the page: the panel's "Sign in". */
  signInUrl?: string;
  /** Called when a visitor who is not signed in clicks "Sign in" (instead of following `signInUrl`). */
  onSignIn?: () => void;
  /** How a visitor who cannot sign in reaches the site's team (a `mailto:` or `https:` address). */
  contactUrl?: string;
}

/** Why a visitor who was verified is shown signed out. */
export type SetChatLostReason = "no-token" | "expired" | "refused";

/** The events `SetChat.on()` listens to, with their detail. */
export interface SetChatEvents {
  ready: { identity: SetChatIdentity };
  identity: { identity: SetChatIdentity };
  "identity-lost": { reason: SetChatLostReason };
  message: { message: SetChatMessage };
  open: Record<never, never>;
  close: Record<never, never>;
  reset: Record<never, never>;
  /** `code`: the server's problem code, `network_error`, `get_visitor_token_failed` or `widget_error`. */
  error: { code: string; message: string };
}

/** The phase `SetChat.state()` reports. */
export type SetChatPhase = "idle" | "starting" | "prechat" | "awaiting-sign-in" | "ready" | "renewing" | "signed-out";

/** The `SetChat` global. */
export interface SetChatApi {
  /** Starts (or restarts) the widget for a visitor; rejects with a `TypeError` without `siteApiKey`. */
  init(config: SetChatConfig): Promise<void>;
  /** Logout: ends the session, forgets this browser's device credential, clears the panel. */
  reset(): Promise<void>;
  open(): void;
  close(): void;
  /** Listens to an event; returns the function that stops listening. */
  on<E extends keyof SetChatEvents>(event: E, listener: (detail: SetChatEvents[E]) => void): () => void;
  off<E extends keyof SetChatEvents>(event: E, listener: (detail: SetChatEvents[E]) => void): void;
  /** What the widget shows now. */
  state(): { phase: SetChatPhase; open: boolean; identity: SetChatIdentity | null };
  version: string;
}

declare global {
  /** The SetChat widget, defined by `widget.js`. */
  var SetChat: SetChatApi;
}
