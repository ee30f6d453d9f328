/**
 * The identity rules, stated again from the contract alone: who sees which
 * conversation, what logout ends, where custom data goes. Explore mode holds
 * every answer of the target against these functions.
 *
 * This file imports nothing from the reference (`src/`): a bug written into
 * both the reference and this model could not hide, because this model was
 * written apart from it. Where the contract allows several behaviours, the
 * model accepts each of them.
 */

/** A widget session as the model knows it. */
export interface ModelSession {
  tenant: string;
  site: string;
  /** `null`: no workspace. */
  workspace: string | null;
  verified: boolean;
  /** The verified user id, byte for byte; `null` unless verified. */
  user: string | null;
  /** The device credential the session was opened with (the server issued it). */
  device: string;
  /** Logged out: nothing may answer to it any more. */
  ended: boolean;
}

/** A conversation as the model knows it: the session that created it decides who sees it. */
export interface ModelConversation {
  tenant: string;
  site: string;
  workspace: string | null;
  verified: boolean;
  user: string | null;
  device: string;
  /** The texts written by the visitor and by agents, oldest first (bot messages aside). */
  texts: string[];
  /** A flow: the bot speaks first. */
  botFirst: boolean;
}

/** The clause a rule belongs to, by the ids of the contract's clause list. */
export type RuleClause =
  | "VIS-VERIFIED"
  | "VIS-DEVICE"
  | "VIS-SEPARATE"
  | "VIS-SITE"
  | "VIS-NO-MERGE"
  | "VIS-404"
  | "WS-SCOPE"
  | "TOKEN-SUBJECT"
  | "LOGOUT"
  | "AGENT"
  | "CUSTOM-DATA"
  | "SES-MODES"
  | "CONV";

/**
 * Whether `session` may see `conversation`. The rules, in plain words:
 * - a conversation belongs to one site and one workspace (or none); a
 *   session sees nothing of another site, tenant or workspace;
 * - a verified session sees every conversation created through a verified
 *   session of the same user id (compared exactly: case, spaces and Unicode
 *   normalisation all count), on any device;
 * - a non-verified session sees the non-verified conversations created on
 *   its own device, and nothing verified, even from its own device;
 * - an ended session sees nothing.
 */
export function canSee(session: ModelSession, conversation: ModelConversation): boolean {
  return whyHidden(session, conversation) === undefined;
}

/** The clause that hides `conversation` from `session`, for reports; `undefined` when it is visible. */
export function whyHidden(session: ModelSession, conversation: ModelConversation): RuleClause | undefined {
  if (session.ended) return "LOGOUT";
  if (session.tenant !== conversation.tenant || session.site !== conversation.site) return "VIS-SITE";
  if (session.workspace !== conversation.workspace) return "WS-SCOPE";
  if (session.verified !== conversation.verified) return "VIS-SEPARATE";
  if (session.verified && session.user !== conversation.user) {
    return session.user !== null && conversation.user !== null && similar(session.user, conversation.user)
      ? "TOKEN-SUBJECT"
      : "VIS-VERIFIED";
  }
  if (!session.verified && session.device !== conversation.device) return "VIS-DEVICE";
  return undefined;
}

/** Ids equal but for case, spaces or Unicode normalisation: different users all the same. */
export function similar(a: string, b: string): boolean {
  const fold = (s: string) => s.normalize("NFC").toLowerCase().replace(/\s+/g, "");
  return a !== b && fold(a) === fold(b);
}

/** The clause that makes `conversation` visible to `session`, for reports of a missing one. */
export function whyVisible(session: ModelSession): RuleClause {
  return session.verified ? "VIS-VERIFIED" : "VIS-DEVICE";
}

/** The statuses the contract allows when a session opens a conversation it may not see: 404, never 403. */
export const HIDDEN_STATUSES: readonly number[] = [404];

/** The statuses allowed when a tenant's agent reaches for another tenant's conversation or visitor. */
export const FOREIGN_AGENT_STATUSES: readonly number[] = [401, 403, 404];

/** What the sessions of one visitor sent as custom data: values by key. */
export interface CustomDataSources {
  /** From visitor tokens' `metadata` (verified). */
  token: Map<string, string[]>;
  /** From the browser's `customData` (never verified). */
  browser: Map<string, string[]>;
  /** The metadata of the latest visitor token, `null` before any. */
  latest: Record<string, string> | null;
}

/** What one key of a visitor's verified custom data may hold. */
export interface CustomDataRule {
  key: string;
  /** When a token gave the key: one of the values tokens gave. */
  oneOf?: string[];
  /** Never a value only the browser gave. */
  noneOf: string[];
}

/**
 * The rules for a visitor's verified custom data: a key the latest token's
 * `metadata` gave holds a value some visitor token gave (the contract leaves
 * open whether a later token replaces an earlier one's data or merges with
 * it), and a value only the browser sent never is there (a client value never
 * overwrites a verified one).
 */
export function verifiedCustomDataRules(sources: CustomDataSources): CustomDataRule[] {
  const keys = new Set([...sources.token.keys(), ...sources.browser.keys()]);
  return [...keys].sort().map((key) => {
    const fromToken = sources.token.get(key) ?? [];
    const onlyBrowser = (sources.browser.get(key) ?? []).filter((v) => !fromToken.includes(v));
    return sources.latest && key in sources.latest
      ? { key, oneOf: [...fromToken], noneOf: onlyBrowser }
      : { key, noneOf: onlyBrowser };
  });
}
