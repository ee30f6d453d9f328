/**
 * What the scenarios rely on from any widget, each rule with the section of
 * docs/widget.md that states it. When a widget breaks one, the scenario
 * fails with one sentence naming the rule and its section, never with a
 * bare timeout.
 */

/** The page that states the widget's contract. */
export const WIDGET_DOC = "docs/widget.md";

/** The rules the host page checks, by id. */
export const WIDGET_RULES = {
  "script-loads": { section: "Embedding the widget", rule: "the widget script loads and defines the `SetChat` global" },
  "api-functions": {
    section: "The API",
    rule: "`SetChat` has the functions `init`, `reset`, `open`, `close`, `on`, `off` and `state`",
  },
  "on-returns-off": { section: "The API", rule: "`SetChat.on()` returns a function that stops listening" },
  "init-returns-promise": { section: "The API", rule: "`SetChat.init()` returns a promise" },
  "init-settles": {
    section: "The API",
    rule: "the promise of `SetChat.init()` settles once the start has settled",
  },
  "init-fulfils": { section: "The API", rule: "`SetChat.init()` with a `siteApiKey` fulfils" },
  "state-shape": {
    section: "The API",
    rule: "`SetChat.state()` returns `{ phase, open, identity }`, `phase` being one of the documented phases",
  },
  "state-settled": {
    section: "The API",
    rule: "once `init()` fulfilled, the phase is `ready`, `prechat`, `awaiting-sign-in` or `signed-out`",
  },
  "ready-event": {
    section: "The API",
    rule:
      "once `init()` fulfilled with its session open (phase `ready`), one `ready` event and an `identity` event came with the identity `state()` gives; a start that waits for a form or a sign-in emits no `ready`",
  },
  "state-identity": {
    section: "The API",
    rule: "`state().identity` is the open session's identity, and `null` when no session is open",
  },
  "reset-returns-promise": { section: "The API", rule: "`SetChat.reset()` returns a promise" },
  "reset-settles": {
    section: "Logout and account switches",
    rule: "the promise of `SetChat.reset()` fulfils once the server answered the logout",
  },
  "reset-event": {
    section: "Logout and account switches",
    rule: "`reset()` emits the `reset` event before its promise fulfils",
  },
  "reset-phase": {
    section: "Logout and account switches",
    rule:
      "after `reset()` the phase is `idle` with no identity while the panel is closed, or the next visitor's (never verified, never `signed-out`)",
  },
} as const;

/** A rule's id. */
export type WidgetRuleId = keyof typeof WIDGET_RULES;

/** The phases `state()` may report. */
export const PHASES = ["idle", "starting", "prechat", "awaiting-sign-in", "ready", "renewing", "signed-out"] as const;

/** A widget broke a rule the scenarios rely on. */
export class ContractMismatch extends Error {
  override name = "ContractMismatch";
  constructor(readonly rule: WidgetRuleId, saw: string) {
    const r = WIDGET_RULES[rule];
    super(`The widget breaks ${WIDGET_DOC}, "${r.section}": ${r.rule}; ${saw}`);
  }
}

/** What the host page reports when a rule is broken. */
export interface HostProblem {
  rule: WidgetRuleId;
  saw: string;
}

/** Whether `value` is a host problem (anything else is success). */
export function isHostProblem(value: unknown): value is HostProblem {
  return typeof value === "object" && value !== null && typeof (value as HostProblem).rule === "string" &&
    (value as HostProblem).rule in WIDGET_RULES;
}
