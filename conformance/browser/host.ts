/**
 * The host page: a stand-in for a customer's product, served on a free
 * loopback port. It loads the target's widget script and, for verified
 * visitors, gets their token from its own backend, which mints it through the
 * target's server-to-server endpoint. The browser never sees a server token.
 *
 * Each `init()` and `reset()` it calls is announced first with a request to
 * `/mark` (so the request log shows which configuration each widget request
 * was sent under), and it checks what docs/widget.md promises of the calls:
 * a broken promise comes back as the rule it breaks, never as a timeout.
 */
import type { Target } from "../target.ts";
import { PHASES, WIDGET_RULES } from "./contract.ts";

/** How a page load sets the widget up. */
export interface HostOptions {
  /** How the page identifies the visitor. `verified-once` passes one token and no callback. */
  mode: "anonymous" | "prechat" | "client" | "verified" | "verified-once";
  /** The signed-in user, for `verified` modes: their token is minted server side; none on a first visit. */
  user?: { id: string; email?: string; name?: string; metadata?: Record<string, unknown> };
  /** A token the page gives as `visitorToken`: beside `getVisitorToken` in `verified` mode, alone in `verified-once`. */
  visitorToken?: string;
  /** What `getVisitorToken()` gives when nobody is signed in: `null` (the default) or `undefined`. */
  noToken?: "null" | "undefined";
  /**
   * A page's usual mistakes with `getVisitorToken()`: it throws, or it gives the whole mint answer
   * (`{ token, expiresIn }`) instead of its `token` string.
   */
  tokenMistake?: "throws" | "whole-answer";
  /** What the page passes as `user` (client-side data, never trusted). */
  clientUser?: { name?: string; email?: string; externalUserId?: string; customData?: Record<string, unknown> };
  workspace?: string;
  pollIntervalMs?: number;
}

/** A running host page. */
export interface HostPage extends AsyncDisposable {
  /** The page's address. */
  url: string;
  close(): Promise<void>;
}

/** How long the host page waits for `init()` or `reset()` to settle: long, for a busy machine; only a failure waits it out. */
export const SETTLE_MS = 30_000;

/** What the host page keeps in `localStorage` for itself, beside the widget. */
export const PAGE_STORAGE = { key: "host-page:preference", value: "kept by the page" };

/** The `pollIntervalMs` the host page gives the widget: an agent's reply shows within it. */
const POLL_MS = 400;

function page(target: Target, widgetSrc: string): string {
  const settings = JSON.stringify({
    siteApiKey: target.vars.siteApiKey,
    apiUrl: target.apiUrl,
    waitMs: SETTLE_MS,
    poll: POLL_MS,
    phases: PHASES,
    rules: Object.keys(WIDGET_RULES),
  });
  const PAGE_KEY = JSON.stringify(PAGE_STORAGE.key);
  const PAGE_VALUE = JSON.stringify(PAGE_STORAGE.value);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Host page</title><link rel="icon" href="data:,"></head>
<body>
<main id="host-page"><h1>A customer's product</h1><p>This page embeds the SetChat widget as a customer would.</p></main>
<script>window.hostScriptError = null;</script>
<script src="${widgetSrc}" onerror="window.hostScriptError = 'it did not load from ' + this.src"></script>
<script>
(() => {
  const settings = ${settings};
  const now = () => performance.timeOrigin + performance.now();
  const host = window.host = { doc: crypto.randomUUID(), events: [], tokenCalls: 0, mark: 0 };
  // What the page keeps for itself: no widget's reset() may take it away.
  try { localStorage.setItem(${PAGE_KEY}, ${PAGE_VALUE}); } catch {}
  const sample = (id) => window.__setchatSample?.(id);
  const describe = (v) => v === undefined ? "undefined" : v === null ? "null" : typeof v === "function"
    ? "a function" : typeof v === "object" ? "an object that is not a promise" : JSON.stringify(v);
  function mark(kind, options) {
    const id = ++host.mark;
    const initiated = window.__setchatInitiated?.();
    fetch("/mark", { method: "POST", body: JSON.stringify({ doc: host.doc, id, kind, at: now(), options, initiated }) }).catch(() => {});
    return id;
  }
  function apiProblem() {
    if (window.hostScriptError) return { rule: "script-loads", saw: window.hostScriptError };
    if (!window.SetChat) return { rule: "script-loads", saw: "window.SetChat is " + describe(window.SetChat) };
    const missing = ["init", "reset", "open", "close", "on", "off", "state"].filter((f) => typeof SetChat[f] !== "function");
    if (missing.length) return { rule: "api-functions", saw: "it lacks " + missing.join(", ") };
    return null;
  }
  let subscribed = null;
  function subscribe() {
    if (subscribed) return subscribed === true ? null : subscribed;
    for (const event of ["ready", "identity", "identity-lost", "reset", "error", "message", "open", "close"]) {
      let off;
      try {
        off = SetChat.on(event, (detail) => {
          let copy = null;
          try { copy = JSON.parse(JSON.stringify(detail ?? null)); } catch { copy = String(detail); }
          host.events.push({ event, detail: copy, at: now(), mark: host.mark });
        });
      } catch (e) {
        return (subscribed = { rule: "on-returns-off", saw: 'on("' + event + '") threw ' + e });
      }
      if (typeof off !== "function") {
        return (subscribed = { rule: "on-returns-off", saw: 'on("' + event + '") returned ' + describe(off) });
      }
    }
    subscribed = true;
    return null;
  }
  function state() {
    try { return SetChat.state(); } catch (e) { return { thrown: String(e) }; }
  }
  function stateProblem(settled) {
    const st = state();
    if (!st || typeof st !== "object") return { rule: "state-shape", saw: "it returned " + describe(st) };
    if (st.thrown) return { rule: "state-shape", saw: "it threw " + st.thrown };
    if (!settings.phases.includes(st.phase)) return { rule: "state-shape", saw: "its phase is " + describe(st.phase) };
    if (typeof st.open !== "boolean") return { rule: "state-shape", saw: "its open is " + describe(st.open) };
    if (typeof st.identity !== "object") return { rule: "state-shape", saw: "its identity is " + describe(st.identity) };
    if (settled && !["ready", "prechat", "awaiting-sign-in", "signed-out"].includes(st.phase)) {
      return { rule: "state-settled", saw: "the phase is " + st.phase };
    }
    return null;
  }
  function settle(promise) {
    return Promise.race([
      Promise.resolve(promise).then(() => ({ ok: true }), (e) => ({ ok: false, error: String(e), cause: e })),
      new Promise((resolve) => setTimeout(() => resolve(null), settings.waitMs)),
    ]);
  }
  async function token(opts) {
    host.tokenCalls++;
    // Who is signed in to the page, when it changed without a new init() (another tab of the page signed someone in).
    const user = "signedIn" in host ? host.signedIn : opts.user;
    if (opts.tokenMistake === "throws") throw new Error("the page's token service is down");
    const res = await fetch("/token", { method: "POST", body: JSON.stringify({ user, workspace: opts.workspace }) });
    const answer = await res.json();
    if (opts.tokenMistake === "whole-answer" && answer.token) return answer;
    return answer.token ?? (opts.noToken === "undefined" ? undefined : null);
  }
  window.tokenCalls = 0;
  host.start = async (opts) => {
    const problem = apiProblem() || subscribe();
    if (problem) return problem;
    const config = { siteApiKey: settings.siteApiKey, apiUrl: settings.apiUrl, locale: "en", pollIntervalMs: opts.pollIntervalMs ?? settings.poll };
    if (opts.workspace) config.workspace = { externalId: opts.workspace };
    if (opts.mode === "verified") config.getVisitorToken = () => token(opts);
    if (opts.mode === "verified" && opts.visitorToken) config.visitorToken = opts.visitorToken;
    if (opts.mode === "verified-once") config.visitorToken = opts.visitorToken ?? await token(opts);
    if (opts.mode === "prechat") config.collectUserData = true;
    if (opts.clientUser) config.user = opts.clientUser;
    const id = mark("init", opts);
    const before = host.events.length;
    let promise;
    try {
      promise = SetChat.init(config);
    } catch (e) {
      sample(id);
      console.error("SetChat.init() threw", e);
      return { rule: "init-returns-promise", saw: "it threw " + e };
    }
    sample(id);
    if (!promise || typeof promise.then !== "function") {
      return { rule: "init-returns-promise", saw: "it returned " + describe(promise) };
    }
    const outcome = await settle(promise);
    if (!outcome) {
      return { rule: "init-settles", saw: "it had not settled " + settings.waitMs / 1000 + " s later (phase " + describe(state().phase) + ")" };
    }
    if (!outcome.ok) {
      console.error("SetChat.init() rejected", outcome.cause);
      return { rule: "init-fulfils", saw: "it rejected: " + outcome.error };
    }
    // A reset() or another init() meanwhile ends this start early: any phase is right then.
    const settled = host.mark === id && !host.events.slice(before).some((e) => e.event === "error");
    return stateProblem(settled) || (settled ? startProblem(host.events.slice(before)) : null);
  };
  // Keys in order: the same identity, whichever way an implementation built its object.
  const canonical = (v) => JSON.stringify(v, (_, x) => x && typeof x === "object" && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a < b ? -1 : 1)) : x);
  function startProblem(events) {
    const st = state();
    const ready = events.filter((e) => e.event === "ready");
    if (st.phase !== "ready") {
      if (ready.length) return { rule: "ready-event", saw: "a ready event came, and the phase is " + st.phase };
      if (st.identity !== null) return { rule: "state-identity", saw: "the phase is " + st.phase + " and identity is " + canonical(st.identity) };
      return null;
    }
    if (!st.identity) return { rule: "state-identity", saw: "the phase is ready and identity is " + describe(st.identity) };
    if (ready.length !== 1) return { rule: "ready-event", saw: ready.length + " ready events came" };
    const identity = canonical(st.identity);
    if (canonical(ready[0].detail?.identity) !== identity) {
      return { rule: "ready-event", saw: "ready gave " + canonical(ready[0].detail) + ", state() " + identity };
    }
    if (!events.some((e) => e.event === "identity" && canonical(e.detail?.identity) === identity)) {
      return { rule: "ready-event", saw: "no identity event gave " + identity };
    }
    return null;
  }
  host.reset = async () => {
    const problem = apiProblem();
    if (problem) return problem;
    const id = mark("reset");
    const before = host.events.length;
    let promise;
    try {
      promise = SetChat.reset();
    } catch (e) {
      sample(id);
      console.error("SetChat.reset() threw", e);
      return { rule: "reset-returns-promise", saw: "it threw " + e };
    }
    sample(id);
    if (!promise || typeof promise.then !== "function") {
      return { rule: "reset-returns-promise", saw: "it returned " + describe(promise) };
    }
    const outcome = await settle(promise);
    if (!outcome) return { rule: "reset-settles", saw: "it had not settled " + settings.waitMs / 1000 + " s later" };
    if (!outcome.ok) {
      console.error("SetChat.reset() rejected", outcome.cause);
      return { rule: "reset-settles", saw: "it rejected: " + outcome.error };
    }
    if (!host.events.slice(before).some((e) => e.event === "reset")) return { rule: "reset-event", saw: "no reset event came" };
    const st = state();
    if (st.phase === "signed-out" || st.identity?.verified) {
      return { rule: "reset-phase", saw: "the phase is " + st.phase + (st.identity?.verified ? ", with a verified identity" : "") };
    }
    // The panel closed, nobody comes next until it opens: no session runs.
    if (st.open === false && (st.phase !== "idle" || st.identity !== null)) {
      return { rule: "reset-phase", saw: "the panel is closed and the phase is " + st.phase + (st.identity ? ", with an identity" : "") };
    }
    return stateProblem(false);
  };
})();
</script>
</body></html>`;
}

/** Starts the host page for `target`; `widgetScript` replaces the target's script (broken and independent widgets). */
export function startHostPage(target: Target, options: { widgetScript?: string } = {}): HostPage {
  const widgetSrc = options.widgetScript === undefined ? target.widgetUrl : "/widget.js";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/") {
      return new Response(page(target, widgetSrc), { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (url.pathname === "/widget.js" && options.widgetScript !== undefined) {
      return new Response(options.widgetScript, { headers: { "content-type": "text/javascript" } });
    }
    if (url.pathname === "/mark" && request.method === "POST") {
      await request.body?.cancel();
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/token" && request.method === "POST") {
      const { user, workspace } = await request.json() as Pick<HostOptions, "user" | "workspace">;
      if (!user) return Response.json({ token: null });
      // The customer's backend, server to server.
      const res = await fetch(`${target.apiUrl}/api/widget/visitor-token`, {
        method: "POST",
        headers: { authorization: `Bearer ${target.vars.serverToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          siteApiKey: target.vars.siteApiKey,
          externalUserId: user.id,
          ...(user.email ? { email: user.email } : {}),
          ...(user.name ? { name: user.name } : {}),
          ...(user.metadata ? { metadata: user.metadata } : {}),
          ...(workspace ? { workspace: { externalId: workspace } } : {}),
        }),
      });
      const body = await res.json();
      if (!res.ok) return Response.json({ token: null });
      return Response.json({ token: body.token, expiresIn: body.expiresIn });
    }
    await request.body?.cancel();
    return new Response("Not found", { status: 404 });
  });
  const close = () => server.shutdown();
  return { url: `http://127.0.0.1:${server.addr.port}/`, close, [Symbol.asyncDispose]: close };
}
