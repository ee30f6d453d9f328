/**
 * Planted bugs: each name switches on one mistake a widget could make, the
 * kind the browser suite must catch. A page turns them on by setting
 * `globalThis.SETCHAT_PLANTED_BUGS` to a list of names before the script
 * loads; nobody else does, and without it the widget is correct.
 */

/** Every planted bug, with what it does wrong. */
export const PLANTED_BUGS = {
  "init-returns-nothing": "`init()` returns nothing instead of a promise",
  "reset-without-event": "`reset()` never emits the `reset` event",
  "reset-skips-logout": "`reset()` forgets the browser's data but never ends the session on the server",
  "reset-keeps-device": "`reset()` ends the session but leaves the device credential in storage",
  "late-session-kept": "A session that answers after `reset()` still has its device credential stored",
  "reset-keeps-form": "`reset()` forgets the device but keeps what the pre-chat form collected",
  "reset-leaves-polling":
    "Poll loops keep timers of their own: after `reset()` one still asks in the ended session's name",
  "prechat-with-token": "What the pre-chat form collected is sent with a visitor token",
  "config-merged": "`init()` merges the new configuration into the previous one, so an earlier `user` rides along",
  "anonymous-before-exchange": "A verified page first opens a session without the token and shows its history",
  "stale-list-on-switch": "`init()` keeps the previous visitor's history on screen until the next one's arrives",
  "late-answer-applied": "A history answer that arrives after a switch is shown anyway",
  "signed-out-first-visit": "A first visit with nobody signed in is shown signed out, with `identity-lost`",
  "forget-for-verified": '"Forget me" is offered to a verified visitor too',
  "other-tabs-debounced":
    "Other tabs clear 3 s after another tab's logout (a debounce), ignoring their own refused requests meanwhile",
  "html-text": "Messages are shown as HTML",
  "names-as-html":
    "Names are shown as HTML through a sanitizer that drops event handlers: no script runs, but the markup is lost",
} as const;

/** A planted bug's name. */
export type PlantedBug = keyof typeof PLANTED_BUGS;

const wanted = (globalThis as { SETCHAT_PLANTED_BUGS?: unknown }).SETCHAT_PLANTED_BUGS;
const on = new Set(Array.isArray(wanted) ? wanted.map(String) : []);

/** Whether the page switched `bug` on. */
export function planted(bug: PlantedBug): boolean {
  return on.has(bug);
}
