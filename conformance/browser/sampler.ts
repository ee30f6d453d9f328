/**
 * What the widget's DOM holds, sampled in the page at every change: an init
 * script, added to every browser context, that watches the document and
 * every shadow root the widget attaches (open or closed), and records a
 * snapshot (the text, the conversation ids, the identity shown, whether a
 * "Forget me" is offered) each time it changes, plus one when the host page
 * asks (right after `init()` or `reset()` returned). The suite judges the
 * snapshots afterwards: a leak that lasts a moment is caught as surely as
 * one that stays. It also counts the requests the page starts, by kind, so
 * that each mark of the host page can say which requests came before it.
 */
import type { Page } from "playwright-core";
import type { HostEvent } from "./log.ts";

/** One state of the widget's DOM. */
export interface Snapshot {
  /** When, in ms since the epoch (the page's clock). */
  at: number;
  /** Everything the widget shows as text, hidden or not, field values included. */
  text: string;
  /** Every `data-conversation-id` in the widget. */
  ids: string[];
  /** The identity hook's `data-state`, or `null` when absent. */
  identity: string | null;
  /** Whether a "Forget me" (`setchat-reset`) is offered. */
  forget: boolean;
  /** The host page's mark this sample was forced by (after `init()` or `reset()` returned). */
  mark?: number;
}

/** What one page's sampler holds since it was last read. */
export interface Samples {
  snapshots: Snapshot[];
  /** The page's clock when read: the last snapshot holds until then. */
  now: number;
  /** How many times visitor-controlled text ran as script in this page. */
  scriptRuns: number;
  /** When `storage` events (another tab changed the storage) reached this page, by its clock. */
  storageEvents: number[];
}

/**
 * The init script. It runs before any script of each document: it wraps
 * `attachShadow` to watch every shadow root, and exposes
 * `__setchatSample(mark)` and `__setchatSamples()`.
 */
export const SAMPLER_SCRIPT = `(() => {
  if (window.__setchatSamples) return;
  const roots = [];
  const snapshots = [];
  let last = "";
  const now = () => performance.timeOrigin + performance.now();
  const observer = new MutationObserver(() => sample());
  const watch = (root) => {
    roots.push(root);
    observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  };
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    watch(root);
    return root;
  };
  const skip = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT"]);
  function walk(node, out) {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) {
        const t = n.nodeValue.trim();
        if (t) out.text.push(t);
      } else if (n.nodeType === 1) {
        if (skip.has(n.tagName) || n.id === "host-page") continue;
        const id = n.getAttribute("data-conversation-id");
        if (id) out.ids.push(id);
        const testid = n.getAttribute("data-testid");
        if (testid === "setchat-identity") out.identity = n.getAttribute("data-state");
        if (testid === "setchat-reset" && !n.hidden && (!n.checkVisibility || n.checkVisibility())) out.forget = true;
        if ((n.tagName === "TEXTAREA" || n.tagName === "INPUT") && n.value) out.text.push(n.value);
        walk(n, out);
      }
    }
  }
  function sample(mark) {
    if (!document.body) return;
    const out = { text: [], ids: [], identity: null, forget: false };
    walk(document.body, out);
    for (const root of roots) if (root.host.isConnected) walk(root, out);
    const key = JSON.stringify(out);
    if (key === last && mark === undefined) return;
    last = key;
    const snap = { at: now(), text: out.text.join("\\n"), ids: out.ids, identity: out.identity, forget: out.forget };
    if (mark !== undefined) snap.mark = mark;
    snapshots.push(snap);
  }
  const start = () => {
    observer.observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true });
    sample();
  };
  if (document.documentElement) start();
  else document.addEventListener("readystatechange", start, { once: true });
  // Requests the page starts, counted by kind (method, URL and credential): the network shows them only after their
  // CORS preflight, so two requests may come out of order; two of one kind rarely, and then to no one's harm.
  const initiated = {};
  const started = (method, url, auth) => {
    try {
      const href = new URL(String(url), location.href).href.split("#")[0];
      const key = String(method || "GET").toUpperCase() + " " + href + " " + (auth || "");
      initiated[key] = (initiated[key] || 0) + 1;
    } catch {}
  };
  const authOf = (headers) => {
    try {
      return headers ? new Headers(headers).get("authorization") : null;
    } catch {
      return null;
    }
  };
  const fetch = window.fetch;
  window.fetch = function (input, init) {
    const request = input instanceof Request ? input : null;
    const auth = authOf(init && init.headers) || (request && request.headers.get("authorization"));
    started(init && init.method || request && request.method || "GET", request ? request.url : input, auth);
    return fetch.apply(this, arguments);
  };
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__setchatStart = [method, url, null];
    return open.apply(this, arguments);
  };
  const header = XMLHttpRequest.prototype.setRequestHeader;
  XMLHttpRequest.prototype.setRequestHeader = function (name, value) {
    if (this.__setchatStart && String(name).toLowerCase() === "authorization") this.__setchatStart[2] = value;
    return header.apply(this, arguments);
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function () {
    if (this.__setchatStart) started(...this.__setchatStart);
    return send.apply(this, arguments);
  };
  const beacon = navigator.sendBeacon && navigator.sendBeacon.bind(navigator);
  if (beacon) navigator.sendBeacon = (url, data) => (started("POST", url, null), beacon(url, data));
  window.__setchatInitiated = () => Object.assign({}, initiated);
  // When another tab's change of the storage reached this page: a busy machine may deliver it late.
  const storageEvents = [];
  addEventListener("storage", () => storageEvents.push(now()), true);
  window.__setchatSample = (mark) => sample(mark);
  window.__setchatSamples = () => {
    sample();
    const out = {
      snapshots: snapshots.splice(0),
      now: now(),
      scriptRuns: window.__setchatScriptRuns || 0,
      storageEvents: storageEvents.splice(0),
    };
    window.__setchatScriptRuns = 0;
    return out;
  };
})();`;

/** What a host page's sampler and the host page itself recorded since last read. */
export interface PageSamples extends Samples {
  /** The page load they come from. */
  doc: string;
  /** Every widget event the host page saw in this page load. */
  events: HostEvent[];
}

/** Reads and empties a host page's samples; none when the page is closed, mid-navigation or no host page. */
export async function takeSamples(page: Page): Promise<PageSamples | null> {
  if (page.isClosed()) return null;
  try {
    return await page.evaluate(() => {
      const w = globalThis as unknown as {
        __setchatSamples?: () => Samples;
        host?: { doc: string; events: HostEvent[] };
      };
      if (!w.__setchatSamples || !w.host) return null;
      return { ...w.__setchatSamples(), doc: w.host.doc, events: w.host.events };
    });
  } catch {
    return null;
  }
}
