import assert from "node:assert/strict";
import type { HostOptions } from "./host.ts";
import { type ContextRecord, judge, type LedgerRecord, OTHER_TAB_MS } from "./judge.ts";
import type { ApiCall, DocSamples, Entry, Mark, SessionSeen } from "./log.ts";
import type { Snapshot } from "./sampler.ts";

const API = "http://api.test";

/** Records written by hand: a context's log, its page loads' snapshots, and the people's ledger. */
function records() {
  const entries: Entry[] = [];
  const docs = new Map<string, DocSamples>();
  const typed: { seq: number; values: string[] }[] = [];
  const sessions = new Map<string, SessionSeen>();
  const ledger = {
    sessions,
    conversations: new Map<string, string>(),
    texts: new Map<string, string>(),
  } satisfies LedgerRecord;
  const keys = new Map<string, number>();
  const ctx = { name: "A", entries, docs, typed, scriptRuns: 0 } satisfies ContextRecord;
  const doc = (tab: string) =>
    docs.get(`${tab}-doc`) ??
      docs.set(`${tab}-doc`, { tab, doc: `${tab}-doc`, snapshots: [], until: 0, events: [], storageEvents: [] })
        .get(`${tab}-doc`)!;
  const started = new Map<string, number>();
  return {
    ctx,
    ledger,
    /** The host page's `init()` or `reset()`, at `at` on the page's clock. */
    mark(kind: Mark["kind"], at: number, options?: HostOptions, tab = "A"): Mark {
      const d = doc(tab);
      const m: Mark = {
        type: "mark",
        seq: entries.length,
        tab,
        doc: d.doc,
        id: entries.filter((e) => e.type === "mark" && e.tab === tab).length + 1,
        kind,
        at,
        nav: 1,
        initiated: Object.fromEntries(
          [...started].filter(([k]) => k.startsWith(`${tab}|`)).map(([k, n]) => [k.slice(tab.length + 1), n]),
        ),
        ...(options ? { options } : {}),
      };
      entries.push(m);
      d.snapshots.push({ at: at + 1, text: "", ids: [], identity: null, forget: false, mark: m.id });
      return m;
    },
    /** A request the page started (now, unless `startedEarlier`), logged now. */
    call(c: Partial<ApiCall> & { method: string; path: string }, tab = "A", startedEarlier = false): ApiCall {
      const key = `${c.method} ${API}${c.path} ${c.bearer ? `Bearer ${c.bearer}` : ""}`;
      const keyIndex = keys.get(`${tab}|${key}`) ?? 0;
      keys.set(`${tab}|${key}`, keyIndex + 1);
      if (!startedEarlier) started.set(`${tab}|${key}`, (started.get(`${tab}|${key}`) ?? 0) + 1);
      const call: ApiCall = { type: "api", seq: entries.length, tab, nav: 1, key, keyIndex, status: 200, ...c };
      entries.push(call);
      return call;
    },
    /** Notes that a request started earlier (its preflight done) reached the page's count already. */
    startedBefore(method: string, path: string, bearer: string, tab = "A") {
      const key = `${tab}|${method} ${API}${path} Bearer ${bearer}`;
      started.set(key, (started.get(key) ?? 0) + 1);
    },
    /** A session the server opened for `call`. */
    session(call: ApiCall, token: string, credential: string, person: string): SessionSeen {
      const s: SessionSeen = {
        token,
        credential,
        verified: person.startsWith("user:"),
        person,
        answeredAt: call.seq + 1,
        context: "A",
        tab: call.tab,
        seq: call.seq,
        nav: call.nav,
        key: call.key,
        keyIndex: call.keyIndex,
      };
      sessions.set(token, s);
      call.answeredAt = call.seq + 1;
      return s;
    },
    shows(at: number, what: Partial<Snapshot>, tab = "A", until = at + 100) {
      const d = doc(tab);
      d.snapshots.push({ at, text: "", ids: [], identity: null, forget: false, ...what });
      d.snapshots.sort((a, b) => a.at - b.at);
      d.until = Math.max(d.until, until);
    },
    event(event: string, detail: unknown, mark: number, tab = "A") {
      doc(tab).events.push({ event, detail, at: 0, mark });
    },
  };
}

const U: HostOptions = { mode: "verified", user: { id: "u" } };
const ANONYMOUS: HostOptions = { mode: "anonymous" };
const checksOf = (r: ReturnType<typeof records>) => judge(r.ctx, r.ledger).map((v) => v.check);

Deno.test("judge() fails a snapshot that shows a previous person's conversation once reset() returned, not before", () => {
  const r = records();
  r.mark("init", 0, U);
  r.session(
    r.call({ method: "POST", path: "/api/widget/sessions", body: { visitorToken: "t" } }),
    "s1",
    "d1",
    "user:u@",
  );
  r.ledger.conversations.set("c1", "user:u@");
  r.shows(10, { ids: ["c1"] }, "A", 100);
  assert.deepEqual(checksOf(r), []);
  r.mark("reset", 100);
  r.shows(150, { ids: ["c1"] }, "A", 200);
  assert.deepEqual(checksOf(r), ["screen-previous-person"]);
});

Deno.test("judge() fails a snapshot that keeps the previous person on screen through a switch, without any change", () => {
  const r = records();
  r.mark("init", 0, U);
  r.ledger.conversations.set("c1", "user:u@");
  r.ledger.texts.set("U wrote this", "user:u@");
  r.shows(10, { text: "U wrote this" }, "A", 1000);
  r.mark("init", 500, { mode: "verified", user: { id: "v" } });
  // The forced snapshot after init() returned still holds U's text.
  r.ctx.docs.get("A-doc")!.snapshots.find((s) => s.mark === 2)!.text = "U wrote this";
  assert.deepEqual(checksOf(r), ["screen-previous-person"]);
});

Deno.test("judge() gives another tab 2 s to clear after a logout, then warns", () => {
  for (const [clearedAt, expected] of [[OTHER_TAB_MS - 500, []], [OTHER_TAB_MS + 500, ["screen-other-tab"]]] as const) {
    const r = records();
    r.mark("init", 0, ANONYMOUS, "tab 2");
    r.session(r.call({ method: "POST", path: "/api/widget/sessions" }, "tab 2"), "s1", "d1", "device:d1@");
    r.ledger.conversations.set("c1", "device:d1@");
    r.shows(10, { ids: ["c1"] }, "tab 2");
    r.mark("init", 20, ANONYMOUS, "tab 1");
    r.mark("reset", 1000, undefined, "tab 1");
    r.shows(1000 + clearedAt, { ids: [] }, "tab 2", 5000);
    assert.deepEqual(checksOf(r), expected, `cleared ${clearedAt} ms after the logout`);
    // On a busy machine the storage event may come late: the 2 s count from it.
    r.ctx.docs.get("tab 2-doc")!.storageEvents.push(1000 + clearedAt - OTHER_TAB_MS + 100);
    assert.deepEqual(checksOf(r), [], `cleared ${OTHER_TAB_MS - 100} ms after the storage event came`);
  }
});

Deno.test("judge() fails a verified visitor offered Forget me, and script that ran", () => {
  const r = records();
  r.mark("init", 0, U);
  r.shows(10, { identity: "verified", forget: true });
  r.ctx.scriptRuns = 1;
  assert.deepEqual(checksOf(r).sort(), ["no-sign-out-verified", "text-never-runs"]);
});

Deno.test("judge() fails a visitor token sent with pre-chat data or another page's user, not with the page's own", () => {
  const token = `x.${btoa(JSON.stringify({ sub: "u" }))}.y`;
  const r = records();
  r.ctx.typed.push({ seq: 0, values: ["Pat the visitor"] });
  r.mark("init", 0, { ...U, clientUser: { name: "Page user" } });
  r.call({
    method: "POST",
    path: "/api/widget/sessions",
    body: { visitorToken: token, user: { name: "Page user", source: "page" } },
  });
  assert.deepEqual(checksOf(r), []);
  r.call({
    method: "POST",
    path: "/api/widget/sessions",
    body: { visitorToken: token, user: { name: "Pat the visitor", source: "prechat_form" } },
  });
  r.mark("init", 10, U);
  r.call({
    method: "POST",
    path: "/api/widget/sessions",
    body: { visitorToken: token, user: { name: "Page user", source: "page" } },
  });
  assert.deepEqual(checksOf(r), ["token-alone", "token-alone"]);
});

Deno.test("judge() fails a session request after reset() that carries the previous device or pre-chat data", () => {
  const r = records();
  r.mark("init", 0, { mode: "prechat" });
  r.ctx.typed.push({ seq: r.ctx.entries.length, values: ["Pat the visitor"] });
  r.session(
    r.call({
      method: "POST",
      path: "/api/widget/sessions",
      body: { user: { name: "Pat the visitor", source: "prechat_form" } },
    }),
    "s1",
    "d1",
    "device:d1@",
  );
  r.mark("reset", 10);
  r.call({ method: "POST", path: "/api/widget/sessions", body: { deviceCredential: "d1" } });
  r.call({
    method: "POST",
    path: "/api/widget/sessions",
    body: { user: { name: "Pat the visitor", source: "prechat_form" } },
  });
  r.call({ method: "POST", path: "/api/widget/sessions", body: {} });
  assert.deepEqual(checksOf(r), ["nothing-after-reset", "nothing-after-reset"]);
});

Deno.test("judge() fails a verified page that opens a session without the token, or asks anything before its session", () => {
  const r = records();
  r.mark("init", 0, U);
  r.call({ method: "GET", path: "/api/widget/conversations", bearer: "anything" });
  r.call({ method: "POST", path: "/api/widget/sessions", body: {} });
  const opened = r.call({ method: "POST", path: "/api/widget/sessions", body: { visitorToken: "t" } });
  r.session(opened, "s1", "d1", "user:u@");
  r.call({ method: "GET", path: "/api/widget/conversations", bearer: "s1" });
  assert.deepEqual(checksOf(r), ["verified-asks-nothing-first", "verified-asks-nothing-first"]);
});

Deno.test("judge() fails a request in the name of a replaced session, but not its logout, nor one started before the switch", () => {
  const r = records();
  r.mark("init", 0, ANONYMOUS);
  r.session(r.call({ method: "POST", path: "/api/widget/sessions" }), "s1", "d1", "device:d1@");
  // A poll the page started before the reset, shown by the network after it (its CORS preflight came first).
  r.startedBefore("GET", "/api/widget/conversations", "s1");
  r.mark("reset", 10);
  r.call({ method: "GET", path: "/api/widget/conversations", bearer: "s1" }, "A", true);
  assert.deepEqual(checksOf(r), []);
  r.call({ method: "DELETE", path: "/api/widget/session", bearer: "s1" });
  assert.deepEqual(checksOf(r), []);
  r.call({ method: "GET", path: "/api/widget/conversations", bearer: "s1" });
  assert.deepEqual(checksOf(r), ["ended-session-silent"]);
});

Deno.test("judge() fails identity-lost on a page that never showed the visitor verified", () => {
  const r = records();
  const first = r.mark("init", 0, { mode: "verified" });
  r.event("identity-lost", { reason: "no-token" }, first.id);
  assert.deepEqual(checksOf(r), ["loss-only-after-verified"]);
  const later = records();
  later.mark("init", 0, U);
  later.session(
    later.call({ method: "POST", path: "/api/widget/sessions", body: { visitorToken: "t" } }),
    "s1",
    "d1",
    "user:u@",
  );
  const again = later.mark("init", 10, { mode: "verified" });
  later.event("identity-lost", { reason: "no-token" }, again.id);
  assert.deepEqual(checksOf(later), []);
});
