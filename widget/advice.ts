/**
 * What the widget tells the page's developer in the console when the page's
 * integration is at fault: the cause and the fix, in one warning. Visitors
 * read the panel's words instead (`i18n.ts`); these stay in English.
 */
import { ApiError } from "./api.ts";
import type { SetChatConfig } from "./session.ts";

const PREFIX = "SetChat";

/** The fix for a start-up refusal, by the server's problem code. */
const FIXES: Record<string, string> = {
  site_not_found: "pass the site API key shown in your SetChat dashboard as `siteApiKey` in `SetChat.init()`",
  network_error:
    "check `apiUrl` (or where widget.js is loaded from), that the server is up, and that your Content-Security-Policy allows `connect-src` to it",
  visitor_token_invalid:
    "mint visitor tokens on your server with `POST /api/widget/visitor-token` for this site and pass the `token` string unchanged",
  visitor_token_expired:
    "give `getVisitorToken` a callback that fetches a fresh token from your server on each call, not a cached one",
  visitor_token_not_yet_valid: "synchronise the clock of the server that mints the tokens (NTP)",
  visitor_token_revoked: "mint with the current server token: the one that minted this token was revoked",
  workspace_mismatch: "mint the token with the same `workspace` as `SetChat.init({ workspace })`, or none",
  invalid_request: "check the options of `SetChat.init()` against docs/widget.md",
  unknown_field: "check the options of `SetChat.init()` against docs/widget.md",
};

/** The warning for a session that could not start or a token the server refused. */
export function startAdvice(error: unknown, config: SetChatConfig): string {
  const code = error instanceof ApiError ? error.code : "widget_error";
  const detail = error instanceof Error ? error.message : String(error);
  const fix = FIXES[code] ?? "see the troubleshooting table of docs/contract.md for this code";
  const site = code === "site_not_found" ? ` for siteApiKey "${config.siteApiKey}"` : "";
  return `${PREFIX} could not start${site} (${code}): ${detail}. Fix: ${fix}.`;
}

/** The warning for a `getVisitorToken()` that threw (`threw`) or gave something other than a string or nothing. */
export function tokenAdvice(value: unknown, threw: boolean): string {
  if (threw) {
    return `${PREFIX}: getVisitorToken() failed (${String(value)}), so the visitor is not verified. Fix: ` +
      "make it resolve to the token string, or to null when nobody is signed in.";
  }
  const given = typeof value === "object"
    ? `an object with keys ${Object.keys(value as object).join(", ")}`
    : typeof value;
  const mint = typeof value === "object" && value !== null && "token" in value
    ? " It looks like the whole mint answer: return its `token` field."
    : "";
  return `${PREFIX}: getVisitorToken() gave ${given}, not a token string, so the visitor is not verified.${mint} ` +
    "Fix: resolve to the `token` string of POST /api/widget/visitor-token, or to null when nobody is signed in.";
}
