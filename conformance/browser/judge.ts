/**
 * The checks every device of every scenario gets, beyond what its steps
 * look at: judged from the context's log (the host page's marks and the
 * widget's requests) and from the sampler's snapshots of the widget's DOM.
 * Pure: the same records always give the same verdicts, so each rule is
 * unit-tested on records written by hand.
 */
import type { ClauseId } from "../clauses.ts";
import type { Level } from "../levels.ts";
import type { HostOptions } from "./host.ts";
import {
  type ApiCall,
  credentialsBefore,
  type DocSamples,
  type Entry,
  jwtClaims,
  type Mark,
  sentBefore,
  type SessionSeen,
  type SignIn,
  verifiedPersonOf,
} from "./log.ts";

/** A check the browser suite makes, with its level and the clause it observes. */
export interface BrowserCheck {
  level: Level;
  clause: ClauseId;
  /** The rule, in one sentence, as reports show it. */
  rule: string;
}

/**
 * Every check beyond the scenarios' own steps. Each is stated by
 * docs/widget.md (or, at `reference`, is the reference's own page).
 */
export const BROWSER_CHECKS = {
  "widget-contract": {
    level: "must",
    clause: "WIDGET-API",
    rule: "The widget script defines `SetChat` with the documented functions, return values and state",
  },
  "screen-previous-person": {
    level: "must",
    clause: "LOGOUT",
    rule: "No one is shown anything of another person (conversation, message, subject), at any sampled instant",
  },
  "screen-other-tab": {
    level: "should",
    clause: "LOGOUT",
    rule: "Within 2 s of a logout in one tab, the other tabs show nothing of the previous visitor",
  },
  "no-sign-out-verified": {
    level: "must",
    clause: "LOGOUT",
    rule: "A verified visitor is offered no sign-out (no `setchat-reset`)",
  },
  "text-never-runs": {
    level: "must",
    clause: "WIDGET-TEXT",
    rule: "No text a visitor, a page or an agent wrote ever runs as script",
  },
  "token-alone": {
    level: "must",
    clause: "VIS-NO-MERGE",
    rule:
      "A visitor token is sent only for the visitor the page names, with only the page's own `user`: no pre-chat data, nothing of an earlier configuration",
  },
  "nothing-after-reset": {
    level: "must",
    clause: "LOGOUT",
    rule: "After `reset()`, no session request carries the previous device credential, pre-chat data or user",
  },
  "verified-asks-nothing-first": {
    level: "must",
    clause: "VIS-SEPARATE",
    rule: "A page that names a verified visitor opens no session without their token and asks for nothing before it",
  },
  "ended-session-silent": {
    level: "must",
    clause: "LOGOUT",
    rule: "Nothing is asked in the name of a session that `init()` or `reset()` replaced, but its logout",
  },
  "loss-only-after-verified": {
    level: "must",
    clause: "WIDGET-IDENTITY-LOST",
    rule: "`identity-lost` is emitted only for a visitor this page showed verified: a first visit waits for a sign-in",
  },
  "reset-contract": {
    level: "must",
    clause: "WIDGET-API",
    rule:
      "`reset()` returns a promise that fulfils after the `reset` event, leaving no session of the previous visitor",
  },
  "reset-ends-session": {
    level: "must",
    clause: "LOGOUT",
    rule: "Once `reset()` fulfilled, every session the browser had is ended on the server",
  },
  "reset-forgets-credential": {
    level: "must",
    clause: "LOGOUT",
    rule:
      "After `reset()`, no storage of the browser holds a device credential of before, even once late answers arrive",
  },
  "retired-credential-sees-nothing": {
    level: "must",
    clause: "LOGOUT",
    rule:
      "A device credential of before `reset()`, replayed through the API, opens no session that sees its conversations",
  },
  "text-shown-as-text": {
    level: "must",
    clause: "WIDGET-TEXT",
    rule: "Markup in names, subjects, custom data and messages is shown as the text it is",
  },
  "agent-console-text": {
    level: "reference",
    clause: "WIDGET-TEXT",
    rule: "The reference's agent console shows visitor-controlled markup as text",
  },
} as const satisfies Record<string, BrowserCheck>;

/** A check's id. */
export type BrowserCheckId = keyof typeof BROWSER_CHECKS;

/** A check that failed, once (`key` tells repeats apart). */
export interface Violation {
  check: BrowserCheckId;
  key: string;
  message: string;
}

/** One context's records, as the judge reads them. */
export interface ContextRecord {
  name: string;
  entries: readonly Entry[];
  docs: ReadonlyMap<string, DocSamples>;
  typed: readonly { seq: number; values: string[] }[];
  /** Who the page signed in since an `init()` without telling the widget. */
  signIns?: readonly SignIn[];
  scriptRuns: number;
}

/** The scenario's people and what they own. */
export interface LedgerRecord {
  sessions: ReadonlyMap<string, SessionSeen>;
  conversations: ReadonlyMap<string, string>;
  texts: ReadonlyMap<string, string>;
}

/** How long another tab may still show the previous visitor after a logout. */
export const OTHER_TAB_MS = 2000;

const isMark = (e: Entry): e is Mark => e.type === "mark";
const isCall = (e: Entry): e is ApiCall => e.type === "api";
const SESSIONS = "/api/widget/sessions";
const LOGOUT = "/api/widget/session";

/** Every rule judged on one context; the caller reports each violation's key once. */
export function judge(ctx: ContextRecord, ledger: LedgerRecord): Violation[] {
  return [...judgeScreens(ctx, ledger), ...judgeRequests(ctx, ledger), ...judgeEvents(ctx, ledger)];
}

/** Describes a person for a message. */
function who(person: string | undefined): string {
  if (!person) return "nobody";
  const [kind, rest] = [person.slice(0, person.indexOf(":")), person.slice(person.indexOf(":") + 1)];
  const at = rest.lastIndexOf("@");
  const ws = rest.slice(at + 1);
  const where = ws ? ` in workspace "${ws}"` : "";
  return kind === "user" ? `verified user "${rest.slice(0, at)}"${where}` : `a non-verified visitor${where}`;
}

function workspaceOf(marks: Mark[], upTo: Mark): string {
  for (let i = marks.indexOf(upTo); i >= 0; i--) {
    const m = marks[i]!;
    if (m.kind === "init") return m.options?.workspace ?? "";
  }
  return "";
}

/**
 * The screen: each snapshot holds until the next one. While it holds, every
 * conversation id and marked text in it must belong to someone the page
 * shows at that instant: the verified user it names, or a device of this
 * browser not retired by a logout. A mark takes effect when `init()` or
 * `reset()` returned (the forced snapshot); another tab's logout, 2 s later.
 */
function judgeScreens(ctx: ContextRecord, ledger: LedgerRecord): Violation[] {
  const out: Violation[] = [];
  const marks = ctx.entries.filter(isMark);
  const effective = (m: Mark) => ctx.docs.get(m.doc)?.snapshots.find((s) => s.mark === m.id)?.at ?? m.at;
  const resets = marks.filter((m) => m.kind === "reset").map((m) => ({ mark: m, at: effective(m) }));
  const sessions = [...ledger.sessions.values()].filter((s) => s.context === ctx.name);

  for (const doc of ctx.docs.values()) {
    const own = marks.filter((m) => m.doc === doc.doc).map((m) => ({ mark: m, at: effective(m) }));
    // Another tab's logout counts from when this page could know: once it returned, or once the storage event came.
    const known = (r: { mark: Mark; at: number }) =>
      Math.max(r.at, doc.storageEvents.find((e) => e >= r.mark.at) ?? r.at) + OTHER_TAB_MS;
    const allowed = (t: number, otherTabs: boolean): { people: Set<string>; epoch?: { mark: Mark; at: number } } => {
      const epoch = own.filter((m) => m.at <= t).at(-1);
      if (!epoch) return { people: new Set() };
      const options = epoch.mark.kind === "init" ? epoch.mark.options : undefined;
      const verified = verifiedPersonOf(options);
      if (verified) return { people: new Set([verified]), epoch };
      if (options && options.mode !== "anonymous" && options.mode !== "prechat" && options.mode !== "client") {
        return { people: new Set(), epoch };
      }
      const ws = workspaceOf(marks, epoch.mark);
      const retiring = resets
        .filter((r) => r.mark.tab === doc.tab ? r.at <= t : otherTabs && known(r) <= t)
        .reduce<Mark | undefined>((last, r) => (!last || r.mark.at > last.at ? r.mark : last), undefined);
      const retired = credentialsBefore(ctx, sessions, retiring);
      const people = new Set(
        sessions.filter((s) => (!retiring || !sentBefore(s, retiring)) && !retired.has(s.credential)).map((s) =>
          `device:${s.credential}@${ws}`
        ),
      );
      return { people, epoch };
    };
    const changes = [
      ...own.map((m) => m.at),
      ...resets.filter((r) => r.mark.tab !== doc.tab).map(known),
    ];
    doc.snapshots.forEach((snap, i) => {
      const until = doc.snapshots[i + 1]?.at ?? doc.until;
      const instants = [snap.at, ...changes.filter((c) => c > snap.at && c < until)];
      for (const t of instants) {
        const must = allowed(t, false);
        const should = allowed(t, true);
        const shown: [string, string][] = [];
        for (const id of snap.ids) {
          const owner = ledger.conversations.get(id);
          if (owner) shown.push([`conversation ${id}`, owner]);
        }
        for (const [text, owner] of ledger.texts) if (snap.text.includes(text)) shown.push([`"${text}"`, owner]);
        for (const [what, owner] of shown) {
          const since = must.epoch
            ? ` ${Math.max(0, Math.round(t - must.epoch.at))} ms after ${must.epoch.mark.kind}()`
            : "";
          const current = must.epoch?.mark.kind === "init" ? verifiedPersonOf(must.epoch.mark.options) : undefined;
          if (!must.people.has(owner)) {
            out.push({
              check: "screen-previous-person",
              key: `${doc.doc}|${what}|${must.epoch?.mark.id ?? "-"}`,
              message: `${doc.tab}: ${what}, of ${who(owner)}, was in the widget${since}, while the page showed ${
                current ? who(current) : "a visitor who is not verified"
              }`,
            });
          } else if (!should.people.has(owner)) {
            out.push({
              check: "screen-other-tab",
              key: `${doc.doc}|${what}|other-tab`,
              message: `${doc.tab}: ${what}, of ${who(owner)}, was still in the widget ${
                OTHER_TAB_MS / 1000
              } s after a logout in another tab`,
            });
          }
        }
        if (snap.forget && snap.identity === "verified") {
          out.push({
            check: "no-sign-out-verified",
            key: `${doc.doc}|forget`,
            message: `${doc.tab}: a verified visitor is offered "Forget me" (setchat-reset)`,
          });
        }
      }
    });
  }
  if (ctx.scriptRuns > 0) {
    out.push({
      check: "text-never-runs",
      key: `script-${ctx.scriptRuns}`,
      message: `${ctx.name}: visitor-controlled text ran as script (${ctx.scriptRuns} times)`,
    });
  }
  return out;
}

function jwtSubject(token: string): string | undefined {
  const sub = jwtClaims(token)?.sub;
  return typeof sub === "string" ? sub : undefined;
}

/** The strings a page's `user` gives, as a session request would carry them. */
function pageUserValues(options: HostOptions | undefined): string[] {
  const u = options?.clientUser;
  if (!u) return [];
  return [u.name, u.email, u.externalUserId, u.customData && JSON.stringify(u.customData)]
    .filter((v): v is string => typeof v === "string");
}

/** Whether a request's `user` is the page's own, as given. */
function isPageUser(sent: unknown, options: HostOptions | undefined): boolean {
  const u = options?.clientUser;
  if (!sent || typeof sent !== "object") return true;
  if (!u) return false;
  const s = sent as Record<string, unknown>;
  if (s.source !== undefined && s.source !== "page") return false;
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return same(s.name, u.name) && same(s.email, u.email) && same(s.externalUserId, u.externalUserId) &&
    same(s.customData, u.customData);
}

/** The page's options with `user` signed in instead (`null`: nobody). */
function withUser(options: HostOptions, user: HostOptions["user"] | null): HostOptions {
  const { user: _, ...rest } = options;
  return user ? { ...rest, user } : rest;
}

/** The requests: what each carries, and in whose name, given the configuration in force when it was sent. */
function judgeRequests(ctx: ContextRecord, ledger: LedgerRecord): Violation[] {
  const out: Violation[] = [];
  const marks = ctx.entries.filter(isMark);
  const calls = ctx.entries.filter(isCall);
  const sessionOf = (bearer: string | undefined) => bearer ? ledger.sessions.get(bearer) : undefined;
  for (const call of calls) {
    const tabMarks = marks.filter((m) => m.tab === call.tab && !sentBefore(call, m));
    const epoch = tabMarks.at(-1);
    if (!epoch) continue;
    const lastReset = tabMarks.filter((m) => m.kind === "reset").at(-1);
    // The page may have signed someone else in since, without telling the widget: its token names them now.
    const signIn = (ctx.signIns ?? []).filter((s) => s.tab === call.tab && s.seq > epoch.seq && s.seq <= call.seq)
      .at(-1);
    const options = epoch.kind !== "init"
      ? undefined
      : signIn && epoch.options
      ? withUser(epoch.options, signIn.user)
      : epoch.options;
    const verified = verifiedPersonOf(options);
    const body = (call.body ?? {}) as { visitorToken?: unknown; user?: unknown; deviceCredential?: unknown };
    const isSession = call.method === "POST" && call.path === SESSIONS;
    const what = `${call.tab}: ${call.method} ${call.path}`;
    const after = `after ${epoch.kind}()`;
    const json = JSON.stringify(call.body ?? null);
    const typedBefore = (seq: number) =>
      ctx.typed.filter((t) => t.seq < seq).flatMap((t) => t.values).filter((v) => !pageUserValues(options).includes(v));

    // A session asked for or used after init() or reset() replaced it.
    const speaker = sessionOf(call.bearer);
    if (
      speaker && speaker.tab === call.tab && sentBefore(speaker, epoch) &&
      !(call.method === "DELETE" && call.path === LOGOUT)
    ) {
      out.push({
        check: "ended-session-silent",
        key: `${call.seq}`,
        message: `${what} was sent ${after} in the name of the session it replaced`,
      });
    }

    if (verified) {
      const opened = calls.some((c) =>
        c.tab === call.tab && !sentBefore(c, epoch) && c.method === "POST" && c.path === SESSIONS &&
        (c.body as { visitorToken?: unknown } | undefined)?.visitorToken !== undefined && c.status !== undefined &&
        c.status < 300 && (c.answeredAt ?? Infinity) <= call.seq
      );
      if (isSession && body.visitorToken === undefined) {
        out.push({
          check: "verified-asks-nothing-first",
          key: `${call.seq}`,
          message: `${what} opened a session without the visitor token while the page names ${who(verified)}`,
        });
      } else if (!isSession && !opened && !(call.method === "DELETE" && call.path === LOGOUT)) {
        out.push({
          check: "verified-asks-nothing-first",
          key: `${call.seq}`,
          message: `${what} was sent before the session of ${who(verified)} was open`,
        });
      }
    }

    if (isSession && typeof body.visitorToken === "string") {
      const sub = jwtSubject(body.visitorToken);
      const problem = !verified
        ? `carries a visitor token ${after}, though the page names no verified visitor`
        : sub !== undefined && sub !== options?.user?.id
        ? `carries the token of "${sub}" ${after}, while the page names ${who(verified)}`
        : !isPageUser(body.user, options)
        ? `carries a user the page did not give with this token: ${JSON.stringify(body.user)}`
        : typedBefore(call.seq).find((v) => json.includes(v)) !== undefined
        ? `carries what was typed in the pre-chat form ("${
          typedBefore(call.seq).find((v) => json.includes(v))
        }") with a visitor token`
        : undefined;
      if (problem) out.push({ check: "token-alone", key: `${call.seq}`, message: `${what} ${problem}` });
    }

    if (isSession && lastReset) {
      const before = credentialsBefore(ctx, ledger.sessions.values(), lastReset);
      const kept = typedBefore(lastReset.seq).find((v) => json.includes(v));
      const typedSince = ctx.typed.filter((t) => t.seq > lastReset.seq).flatMap((t) => t.values);
      const user = body.user as Record<string, unknown> | undefined;
      const foreignUser = user !== undefined && !isPageUser(user, options) &&
        !(user.source === "prechat_form" && [user.name, user.email].every((v) => typedSince.includes(String(v))));
      const problem = typeof body.deviceCredential === "string" && before.has(body.deviceCredential)
        ? "carries the device credential of before the reset"
        : kept !== undefined
        ? `carries what was typed in the pre-chat form before the reset ("${kept}")`
        : foreignUser
        ? `carries a user the page did not give since the reset: ${JSON.stringify(user)}`
        : undefined;
      if (problem) out.push({ check: "nothing-after-reset", key: `${call.seq}`, message: `${what} ${problem}` });
    }
  }
  return out;
}

/** The events: `identity-lost` only for a visitor this page showed verified since its last reset. */
function judgeEvents(ctx: ContextRecord, ledger: LedgerRecord): Violation[] {
  const out: Violation[] = [];
  const marks = ctx.entries.filter(isMark);
  for (const doc of ctx.docs.values()) {
    const own = marks.filter((m) => m.doc === doc.doc);
    doc.events.forEach((e, i) => {
      if (e.event !== "identity-lost") return;
      const epoch = own.find((m) => m.id === e.mark);
      if (!epoch || epoch.options?.mode === "verified-once") return;
      const reset = own.filter((m) => m.kind === "reset" && m.seq < epoch.seq).at(-1);
      const first = own[0]!;
      const wasVerified = [...ledger.sessions.values()].some((s) =>
        s.context === ctx.name && s.tab === doc.tab && s.verified && !sentBefore(s, first) &&
        (!reset || !sentBefore(s, reset))
      );
      if (!wasVerified) {
        out.push({
          check: "loss-only-after-verified",
          key: `${doc.doc}|${i}`,
          message: `${doc.tab}: identity-lost (${
            JSON.stringify(e.detail)
          }) for a visitor this page never showed verified`,
        });
      }
    });
  }
  return out;
}
