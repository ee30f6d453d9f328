/**
 * What a browser context did, in order: the host page's marks (each
 * `init()` and `reset()` it called, with the options) and every request the
 * widget sent to the widget API, with the answers that tell who is who
 * (sessions, conversations). Recorded from Playwright's request log, so it
 * sees what a person cannot: which data rides with which token, and which
 * session a request speaks for.
 */
import type { BrowserContext, Page, Request, Response } from "playwright-core";
import type { HostOptions } from "./host.ts";
import type { PageSamples, Snapshot } from "./sampler.ts";

/** The host page called `SetChat.init()` or `SetChat.reset()`. */
export interface Mark {
  type: "mark";
  seq: number;
  tab: string;
  /** The page load (document) it happened in. */
  doc: string;
  /** The mark's number in its document: the sampler's forced snapshot names it. */
  id: number;
  kind: "init" | "reset";
  /** The page's clock. */
  at: number;
  options?: HostOptions;
  /** The tab's page load, counted by the log (see {@linkcode ApiCall.nav}). */
  nav: number;
  /** How many requests of each kind (`METHOD url credential`) the page had started when it was made. */
  initiated?: Record<string, number>;
}

/** The page signed someone in, or out, without telling the widget: its `getVisitorToken()` names them from then on. */
export interface SignIn {
  /** The log's length then. */
  seq: number;
  tab: string;
  user: HostOptions["user"] | null;
}

/** Where a request stands among its tab's requests, to tell whether it was started before a mark. */
export interface CallOrder {
  tab: string;
  seq: number;
  /** When it was sent, by the browser's clock (known once answered): orders requests of different tabs. */
  at?: number;
  /** The tab's page load it belongs to: the log counts the tab's navigations. */
  nav: number;
  /** `METHOD url credential`, as the page's own count of started requests names it. */
  key: string;
  /** How many requests with the same key the same page load sent before it. */
  keyIndex: number;
}

/** A request to the widget API. */
export interface ApiCall extends CallOrder {
  type: "api";
  method: string;
  /** The path under the target's URL, without the query. */
  path: string;
  bearer?: string;
  body?: unknown;
  status?: number;
  json?: unknown;
  /** The log's length when the answer arrived: requests with a greater `seq` were sent after it. */
  answeredAt?: number;
}

/** One entry of a context's log. */
export type Entry = Mark | ApiCall;

/** A session the server opened for the widget: where its request stands, and who it is. */
export interface SessionSeen extends CallOrder {
  token: string;
  credential: string;
  verified: boolean;
  /** Who it is: `user:<id>@<workspace>` when verified, `device:<credential>@<workspace>` otherwise. */
  person: string;
  answeredAt: number;
  context: string;
}

/** A JWT's claims, read without verifying (the server verifies); `undefined` when it is not a JWT. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  try {
    const part = token.split(".")[1] ?? "";
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const claims = JSON.parse(json);
    return claims && typeof claims === "object" ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a request was started before a mark. The network shows a request
 * once its CORS preflight is done, so a request the page started before a
 * mark may come after it in the log: within a page load, the page's own
 * count of started requests, sent with each mark, decides. Between page
 * loads of a tab, the loads' order; between tabs, the browser's clock.
 */
export function sentBefore(e: CallOrder, m: Mark): boolean {
  if (e.tab !== m.tab) return e.at === undefined ? e.seq < m.seq : e.at < m.at;
  if (e.nav !== m.nav) return e.nav < m.nav;
  return m.initiated ? e.keyIndex < (m.initiated[e.key] ?? 0) : e.seq < m.seq;
}

/** Every device credential a context sent or was given before `mark` (none without a mark). */
export function credentialsBefore(
  context: { name: string; entries: readonly Entry[] },
  sessions: Iterable<SessionSeen>,
  mark: Mark | undefined,
): Set<string> {
  const out = new Set<string>();
  if (!mark) return out;
  for (const c of context.entries) {
    if (c.type !== "api" || !sentBefore(c, mark)) continue;
    const sent = (c.body as { deviceCredential?: unknown } | undefined)?.deviceCredential;
    if (typeof sent === "string") out.add(sent);
  }
  for (const s of sessions) if (s.context === context.name && sentBefore(s, mark)) out.add(s.credential);
  return out;
}

/** Who a session is, from the server's answer. */
export function personOf(
  json: {
    identity?: { verified?: boolean; externalUserId?: string | null };
    deviceCredential?: string;
    workspace?: { externalId?: string } | null;
  },
): string {
  const ws = json.workspace?.externalId ?? "";
  return json.identity?.verified
    ? `user:${json.identity.externalUserId}@${ws}`
    : `device:${json.deviceCredential}@${ws}`;
}

/** The person a page's options name, when they name a verified one. */
export function verifiedPersonOf(options: HostOptions | undefined): string | undefined {
  if (!options || (options.mode !== "verified" && options.mode !== "verified-once") || !options.user) return undefined;
  return `user:${options.user.id}@${options.workspace ?? ""}`;
}

/**
 * What the scenario's people own, across every context: conversations (by
 * id) and the texts written in them. Only texts carrying the scenario's
 * marker count, so that common words never match.
 */
export class Ledger {
  readonly sessions = new Map<string, SessionSeen>();
  readonly conversations = new Map<string, string>();
  readonly texts = new Map<string, string>();
  readonly #marker: string;
  #queue: Promise<void> = Promise.resolve();

  /** Runs `work` after every earlier one: answers are noted in the order they arrived. */
  inOrder(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work).catch(() => {});
  }

  /** Waits until every answer that arrived is noted. */
  async settled(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.#queue;
      await seen;
    } while (seen !== this.#queue);
  }

  constructor(marker: string) {
    this.#marker = marker;
  }

  /** Notes a text as written by `person`, when it carries the marker. */
  wrote(text: unknown, person: string | undefined): void {
    if (typeof text === "string" && person && text.includes(this.#marker) && !this.texts.has(text)) {
      this.texts.set(text, person);
    }
  }

  /** Notes an answer of the widget API. */
  answered(call: ApiCall, context: string): void {
    const json = call.json as Record<string, unknown> | undefined;
    const speaker = call.bearer ? this.sessions.get(call.bearer)?.person : undefined;
    if (
      call.method === "POST" && call.path === "/api/widget/sessions" && json && typeof json.sessionToken === "string"
    ) {
      this.sessions.set(json.sessionToken, {
        token: json.sessionToken,
        credential: String(json.deviceCredential),
        verified: (json.identity as { verified?: boolean } | undefined)?.verified === true,
        person: personOf(json),
        seq: call.seq,
        nav: call.nav,
        key: call.key,
        keyIndex: call.keyIndex,
        answeredAt: call.answeredAt ?? call.seq,
        ...(call.at === undefined ? {} : { at: call.at }),
        tab: call.tab,
        context,
      });
      return;
    }
    if (!speaker || !call.status || call.status >= 300) return;
    const body = call.body as Record<string, unknown> | undefined;
    if (call.method === "POST" && call.path === "/api/widget/conversations") {
      const id = (json?.conversation as { id?: string } | undefined)?.id;
      if (id) this.conversations.set(id, speaker);
      this.wrote(body?.subject, speaker);
      this.wrote(body?.text, speaker);
    } else if (call.method === "GET" && call.path === "/api/widget/conversations") {
      for (const c of (json?.conversations as { id?: string }[] | undefined) ?? []) {
        if (c.id && !this.conversations.has(c.id)) this.conversations.set(c.id, speaker);
      }
    } else if (call.method === "POST" && /^\/api\/widget\/conversations\/[^/]+\/messages$/.test(call.path)) {
      this.wrote(body?.text, speaker);
    }
  }

  /** An agent answered a conversation: the text is its owner's. */
  agentWrote(conversationId: string, text: string): void {
    this.wrote(text, this.conversations.get(conversationId));
  }
}

/** What a page load's sampler recorded. */
export interface DocSamples {
  tab: string;
  doc: string;
  snapshots: Snapshot[];
  /** Until when the last snapshot held. */
  until: number;
  /** Events the host page saw, in order. */
  events: HostEvent[];
  /** When another tab's change of the storage reached the page. */
  storageEvents: number[];
}

/** A widget event as the host page saw it. */
export interface HostEvent {
  event: string;
  detail: unknown;
  at: number;
  /** The mark in force when it came. */
  mark: number;
}

/** One browser context's log: every tab's marks and widget API calls, in order. */
export class ContextLog {
  readonly entries: Entry[] = [];
  /** Page loads, by document id, with what their samplers recorded. */
  readonly docs = new Map<string, DocSamples>();
  /** What was typed in the pre-chat form of this context, and when (the log's length then). */
  readonly typed: { seq: number; values: string[] }[] = [];
  /** Who the page signed in without telling the widget (`getVisitorToken()` gives their token), and when. */
  readonly signIns: SignIn[] = [];
  /** How many times visitor-controlled text ran as script. */
  scriptRuns = 0;
  readonly #tabs = new Map<Page, string>();

  constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly ledger: Ledger,
    readonly apiUrl: string,
  ) {
    context.on("request", (r) => this.#request(r));
    context.on("response", (r) => this.#response(r));
  }

  readonly #navs = new Map<string, number>();
  readonly #keys = new Map<string, number>();

  /** Names a page of this context (a tab), and counts its page loads. */
  addTab(page: Page, name: string): void {
    this.#tabs.set(page, name);
    this.#navs.set(name, 0);
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) this.#navs.set(name, (this.#navs.get(name) ?? 0) + 1);
    });
  }

  #tabOf(request: Request): string | undefined {
    try {
      return this.#tabs.get(request.frame().page());
    } catch {
      return undefined;
    }
  }

  readonly #calls = new Map<Request, ApiCall>();

  #request(request: Request): void {
    const tab = this.#tabOf(request);
    if (tab === undefined) return;
    const url = new URL(request.url());
    if (url.pathname === "/mark" && request.method() === "POST") {
      const mark = parseJson(request.postData()) as Omit<Mark, "type" | "seq" | "tab" | "nav"> | undefined;
      const nav = this.#navs.get(tab) ?? 0;
      if (mark) this.entries.push({ ...mark, type: "mark", seq: this.entries.length, tab, nav });
      return;
    }
    const api = new URL(this.apiUrl);
    const prefix = `${api.pathname.replace(/\/+$/, "")}/api/widget/`;
    if (url.origin !== api.origin || !url.pathname.startsWith(prefix)) return;
    // A CORS preflight is the browser's, not the widget's (Playwright shows some while a route is set).
    if (request.method() === "OPTIONS") return;
    const auth = request.headers()["authorization"];
    const body = parseJson(request.postData());
    const nav = this.#navs.get(tab) ?? 0;
    const key = `${request.method()} ${request.url().split("#")[0]} ${request.headers()["authorization"] ?? ""}`;
    const keyIndex = this.#keys.get(`${tab}|${nav}|${key}`) ?? 0;
    this.#keys.set(`${tab}|${nav}|${key}`, keyIndex + 1);
    const call: ApiCall = {
      type: "api",
      seq: this.entries.length,
      tab,
      nav,
      key,
      keyIndex,
      method: request.method(),
      path: url.pathname.slice(prefix.length - "/api/widget/".length),
      ...(auth?.startsWith("Bearer ") ? { bearer: auth.slice(7) } : {}),
      ...(body === undefined ? {} : { body }),
    };
    this.entries.push(call);
    this.#calls.set(request, call);
  }

  #response(response: Response): void {
    const call = this.#calls.get(response.request());
    if (!call) return;
    call.status = response.status();
    call.answeredAt = this.entries.length;
    const started = response.request().timing().startTime;
    if (started > 0) call.at = started;
    const text = response.text().catch(() => "");
    this.ledger.inOrder(async () => {
      call.json = parseJson(await text);
      this.ledger.answered(call, this.name);
    });
  }

  /** Adds what a page's sampler recorded. */
  addSamples(tab: string, samples: PageSamples): void {
    const doc = this.docs.get(samples.doc) ??
      { tab, doc: samples.doc, snapshots: [], until: samples.now, events: [], storageEvents: [] };
    doc.snapshots.push(...samples.snapshots);
    doc.storageEvents.push(...samples.storageEvents);
    doc.until = samples.now;
    doc.events = samples.events;
    this.docs.set(samples.doc, doc);
    this.scriptRuns += samples.scriptRuns;
  }

  /** Notes that the page of `tab` signed `user` in (`null`: out) without telling the widget. */
  signedIn(tab: string, user: HostOptions["user"] | null): void {
    this.signIns.push({ seq: this.entries.length, tab, user });
  }

  /** Notes what the visitor typed in the pre-chat form. */
  typedPrechat(values: string[]): void {
    this.typed.push({ seq: this.entries.length, values: values.filter((v) => v.length >= 3) });
  }

  /** The marks, in order. */
  marks(): Mark[] {
    return this.entries.filter((e): e is Mark => e.type === "mark");
  }

  /** The calls, in order. */
  calls(): ApiCall[] {
    return this.entries.filter((e): e is ApiCall => e.type === "api");
  }

  /** The sessions the server opened for this context, in the order they were asked for. */
  sessions(): SessionSeen[] {
    return [...this.ledger.sessions.values()].filter((s) => s.context === this.name).sort((a, b) => a.seq - b.seq);
  }

  /** Every device credential this context sent or was given before `mark`. */
  credentialsBefore(mark: Mark | undefined): Set<string> {
    return credentialsBefore(this, this.ledger.sessions.values(), mark);
  }
}

function parseJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
