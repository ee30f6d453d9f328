/**
 * The SetChat widget: a launcher and a panel in a shadow root, driven by the
 * widget API. One rule above all: once identity is lost or reset, nothing of
 * the previous session stays on screen, and nothing still in flight may
 * bring it back (every async result is checked against an epoch).
 */
import { TESTID } from "../src/contract/testids.ts";
import type { Conversation, ConversationKind, Message, SessionCreated } from "../src/contract/widget.ts";
import { ApiError, WidgetApi } from "./api.ts";
import { type Locale, type Words, wordsFor } from "./i18n.ts";
import { localWidgetStorage, type WidgetStorage } from "./storage.ts";
import { STYLES } from "./styles.ts";

/** What the page passes to `SetChat.init()`. */
export interface SetChatConfig {
  /** The site's public API key. */
  siteApiKey: string;
  /** The SetChat server; defaults to the origin the widget script was loaded from. */
  apiUrl?: string;
  /** A visitor token minted by the page's backend: the only way to be verified. */
  visitorToken?: string;
  /** Fetches a fresh visitor token from the page's backend; `null` when the user is signed out. */
  getVisitorToken?: () => Promise<string | null | undefined> | string | null | undefined;
  /** What the page knows of the visitor: kept as non-verified data, never used to identify. */
  user?: { name?: string; email?: string; externalUserId?: string; customData?: Record<string, unknown> };
  /** Ask visitors who are not verified for their name and email before chatting. */
  collectUserData?: boolean;
  /** The workspace of the page's product the visitor is in. */
  workspace?: { externalId: string };
  /** `en` or `fr`; defaults to the browser's language. */
  locale?: Locale;
  /** Open the panel at once. */
  open?: boolean;
  /** How often an open panel looks for new messages, in ms (default 2000). */
  pollIntervalMs?: number;
}

/** The events `SetChat.on()` can listen to. */
export interface SetChatEvents {
  /** The first session of an `init()` is ready. */
  ready: { identity: SessionCreated["identity"] };
  /** The session's identity, at start and after each change or refresh. */
  identity: { identity: SessionCreated["identity"] };
  /**
   * The visitor is shown signed out: the page has no visitor token for them
   * (`no-token`), theirs expired with no replacement (`expired`), or the
   * server refused it (`refused`).
   */
  "identity-lost": { reason: "no-token" | "expired" | "refused" };
  /** A message from an agent or a bot arrived in the open conversation. */
  message: { message: Message };
  open: Record<never, never>;
  close: Record<never, never>;
  /** `reset()` finished: the session is ended and the device forgotten. */
  reset: Record<never, never>;
  error: { code: string; message: string };
}

type Phase = "idle" | "starting" | "prechat" | "ready" | "signed-out";
type View = "list" | "ticket" | "conversation";
type Listener<E extends keyof SetChatEvents> = (detail: SetChatEvents[E]) => void;

/** Seconds before expiry at which a verified session is renewed. */
const REFRESH_MARGIN_MS = 30_000;

const ICON =
  '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/** When a JWT's `exp` is, in ms, read without verifying (the server verifies). */
function expiryOf(token: string): number | undefined {
  try {
    const part = token.split(".")[1] ?? "";
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const exp = JSON.parse(json).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Options for building a widget, for hosts that bring their own storage. */
export interface WidgetOptions {
  host?: HTMLElement;
  storage?: (siteApiKey: string) => WidgetStorage;
  defaultApiUrl?: string;
}

/** One widget on a page. */
export class ChatWidget {
  #config: SetChatConfig | undefined;
  #api: WidgetApi | undefined;
  #storage: WidgetStorage | undefined;
  #words: Words = wordsFor("en").words;
  #session: SessionCreated | null = null;
  #phase: Phase = "idle";
  #view: View = "list";
  #conversations: Conversation[] = [];
  #current: { conversation: Conversation; messages: Message[] } | null = null;
  #open = false;
  #epoch = 0;
  #refreshTimer: number | undefined;
  #pollTimer: number | undefined;
  #busy = false;
  /** The last session's token, kept after identity loss so that `reset()` can still log it out. */
  #lastSessionToken: string | undefined;
  #unwatchStorage: (() => void) | undefined;
  /** What the visitor is typing: kept across re-renders (a token renewal must not wipe it). */
  #draft = "";
  readonly #listeners = new Map<keyof SetChatEvents, Set<(detail: never) => void>>();
  readonly #options: WidgetOptions;
  #dom: {
    shadow: ShadowRoot;
    root: HTMLElement;
    launcher: HTMLButtonElement;
    panel: HTMLElement;
    identity: HTMLElement;
    main: HTMLElement;
    footer: HTMLElement;
    title: HTMLElement;
    reset: HTMLButtonElement;
    close: HTMLButtonElement;
  } | undefined;

  constructor(options: WidgetOptions = {}) {
    this.#options = options;
  }

  /** Starts the widget for a visitor, replacing whatever it showed before. */
  async init(config: SetChatConfig): Promise<void> {
    if (!config || typeof config.siteApiKey !== "string" || config.siteApiKey === "") {
      throw new TypeError("Cannot start SetChat: init() needs a siteApiKey");
    }
    this.#stopTimers();
    this.#epoch++;
    this.#config = config;
    const apiUrl = config.apiUrl ?? this.#options.defaultApiUrl ?? location.origin;
    this.#api = new WidgetApi(apiUrl);
    this.#storage = (this.#options.storage ?? localWidgetStorage)(config.siteApiKey);
    this.#unwatchStorage?.();
    this.#unwatchStorage = this.#storage.onChange(() => void this.#deviceChangedElsewhere());
    const { locale, words } = wordsFor(config.locale);
    this.#words = words;
    this.#mount(locale);
    this.#clearData();
    this.#session = null;
    this.#phase = "idle";
    if (config.open) this.open();
    await this.#start(true);
  }

  /** Logout: ends the server session, forgets the device credential, and clears the panel. */
  async reset(): Promise<void> {
    this.#stopTimers();
    this.#epoch++;
    const api = this.#api;
    const toEnd = api?.sessionToken ?? this.#lastSessionToken;
    this.#lastSessionToken = undefined;
    this.#clearData();
    this.#session = null;
    this.#phase = "idle";
    this.#storage?.forget();
    if (this.#config) {
      // Whoever comes next starts as an anonymous visitor of the same site.
      const { siteApiKey, apiUrl, workspace, locale, collectUserData, pollIntervalMs } = this.#config;
      this.#config = { siteApiKey };
      if (apiUrl !== undefined) this.#config.apiUrl = apiUrl;
      if (workspace !== undefined) this.#config.workspace = workspace;
      if (locale !== undefined) this.#config.locale = locale;
      if (collectUserData !== undefined) this.#config.collectUserData = collectUserData;
      if (pollIntervalMs !== undefined) this.#config.pollIntervalMs = pollIntervalMs;
    }
    this.#render();
    if (api) api.sessionToken = undefined;
    // Ending the session retires the device on the server, for every tab of this browser.
    if (api && toEnd) await api.endSession(toEnd).catch(() => {});
    this.#emit("reset", {});
    if (this.#open) await this.#start(false);
  }

  /** Opens the panel, starting a session if none is running. */
  open(): void {
    if (!this.#dom) return;
    this.#open = true;
    this.#render();
    this.#startPolling();
    this.#emit("open", {});
    const focusable = this.#dom.panel.querySelector<HTMLElement>("input, textarea, main button");
    (focusable ?? this.#dom.close).focus();
    if (this.#phase === "idle" && this.#config) void this.#start(false);
  }

  /** Closes the panel. */
  close(): void {
    if (!this.#dom) return;
    this.#open = false;
    this.#stopPolling();
    this.#render();
    this.#dom.launcher.focus();
    this.#emit("close", {});
  }

  /** Listens to an event; returns the function that stops listening. */
  on<E extends keyof SetChatEvents>(event: E, listener: Listener<E>): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener as (detail: never) => void);
    this.#listeners.set(event, set);
    return () => this.off(event, listener);
  }

  /** Stops listening. */
  off<E extends keyof SetChatEvents>(event: E, listener: Listener<E>): void {
    this.#listeners.get(event)?.delete(listener as (detail: never) => void);
  }

  /** What the widget shows now. */
  state(): { phase: Phase; open: boolean; identity: SessionCreated["identity"] | null } {
    return { phase: this.#phase, open: this.#open, identity: this.#session?.identity ?? null };
  }

  #emit<E extends keyof SetChatEvents>(event: E, detail: SetChatEvents[E]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(detail);
      } catch (error) {
        console.error("SetChat listener failed:", error);
      }
    }
  }

  // Sessions ---------------------------------------------------------------

  async #start(first: boolean): Promise<void> {
    const config = this.#config!;
    const epoch = this.#epoch;
    this.#phase = "starting";
    this.#render();
    let token = config.visitorToken;
    const expiry = token === undefined ? undefined : expiryOf(token);
    if (
      (token === undefined || (expiry !== undefined && expiry < Date.now() + REFRESH_MARGIN_MS)) &&
      config.getVisitorToken
    ) {
      token = (await this.#fetchToken()) ?? undefined;
      if (epoch !== this.#epoch) return;
    }
    const wantedIdentity = config.visitorToken !== undefined || config.getVisitorToken !== undefined;
    if (token === undefined && wantedIdentity) {
      // The page asked for a verified visitor but has no token: never fall back to anonymous.
      return this.#identityLost(config.visitorToken === undefined ? "no-token" : "expired");
    }
    if (token === undefined && config.collectUserData && !config.user && !this.#storage!.prechat()) {
      this.#phase = "prechat";
      this.#render();
      return;
    }
    await this.#openSession(token, first);
  }

  async #fetchToken(): Promise<string | null> {
    try {
      const token = await this.#config?.getVisitorToken?.();
      return typeof token === "string" && token !== "" ? token : null;
    } catch (error) {
      this.#emit("error", { code: "get_visitor_token_failed", message: String(error) });
      return null;
    }
  }

  async #openSession(token: string | undefined, first: boolean, retried = false): Promise<void> {
    const config = this.#config!;
    const storage = this.#storage!;
    const epoch = this.#epoch;
    const prechat = storage.prechat();
    const user = prechat
      ? { name: prechat.name, email: prechat.email, source: "prechat_form" as const }
      : config.user
      ? { ...config.user, source: "page" as const }
      : undefined;
    const device = storage.device();
    let created: SessionCreated;
    try {
      created = await this.#api!.createSession({
        siteApiKey: config.siteApiKey,
        ...(device ? { deviceCredential: device } : {}),
        ...(token ? { visitorToken: token } : {}),
        ...(user ? { user: user as never } : {}),
        ...(config.workspace ? { workspace: config.workspace } : {}),
      });
    } catch (error) {
      if (epoch !== this.#epoch) return;
      if (error instanceof ApiError && error.code === "visitor_token_expired" && !retried && config.getVisitorToken) {
        const fresh = await this.#fetchToken();
        if (epoch !== this.#epoch) return;
        if (fresh) return this.#openSession(fresh, first, true);
      }
      if (error instanceof ApiError && token && (error.status === 401 || error.code === "workspace_mismatch")) {
        this.#emit("error", { code: error.code, message: error.message });
        return this.#identityLost(error.code === "visitor_token_expired" ? "expired" : "refused");
      }
      return this.#fail(error);
    }
    if (epoch !== this.#epoch) return;
    const previous = this.#session;
    storage.setDevice(created.deviceCredential);
    this.#api!.sessionToken = created.sessionToken;
    this.#lastSessionToken = created.sessionToken;
    this.#session = created;
    // Another identity, or another device (a logout retired the old one): nothing on screen may carry over.
    if (
      previous &&
      (previous.identity.verified !== created.identity.verified ||
        previous.identity.externalUserId !== created.identity.externalUserId ||
        previous.deviceCredential !== created.deviceCredential)
    ) {
      this.#clearData();
    }
    this.#phase = "ready";
    this.#scheduleRefresh();
    if (this.#current) await this.#reloadCurrent();
    else await this.#loadList();
    if (epoch !== this.#epoch) return;
    this.#render();
    if (first) this.#emit("ready", { identity: created.identity });
    this.#emit("identity", { identity: created.identity });
  }

  #scheduleRefresh(): void {
    clearTimeout(this.#refreshTimer);
    const session = this.#session;
    if (!session?.identity.verified) return;
    // From the server's count of seconds left: the browser's clock may be off by minutes.
    const delay = Math.max(1000, session.expiresIn * 1000 - REFRESH_MARGIN_MS);
    this.#refreshTimer = setTimeout(() => void this.#renew(), delay);
  }

  /** A verified session is about to end, or has: get a new token, or show the visitor signed out. */
  async #renew(): Promise<void> {
    const epoch = this.#epoch;
    if (!this.#config?.getVisitorToken) return this.#identityLost("expired");
    const token = await this.#fetchToken();
    if (epoch !== this.#epoch) return;
    if (!token) return this.#identityLost("expired");
    await this.#openSession(token, false);
  }

  /** Another tab logged out (or got a new device): drop what is on screen and start again. */
  async #deviceChangedElsewhere(): Promise<void> {
    if (!this.#session || this.#storage?.device() === this.#session.deviceCredential) return;
    this.#stopTimers();
    this.#epoch++;
    if (this.#api) this.#api.sessionToken = undefined;
    this.#session = null;
    this.#clearData();
    this.#phase = "idle";
    this.#render();
    if (this.#open) this.#startPolling();
    await this.#start(false);
  }

  #identityLost(reason: SetChatEvents["identity-lost"]["reason"]): void {
    this.#stopTimers();
    this.#epoch++;
    if (this.#api) this.#api.sessionToken = undefined;
    this.#session = null;
    this.#clearData();
    this.#phase = "signed-out";
    this.#render();
    this.#emit("identity-lost", { reason });
  }

  /** Runs a call against the session, handling a session that ended meanwhile. */
  async #withSession<T>(call: () => Promise<T>): Promise<T | undefined> {
    const epoch = this.#epoch;
    try {
      const result = await call();
      return epoch === this.#epoch ? result : undefined;
    } catch (error) {
      if (epoch !== this.#epoch) return undefined;
      if (error instanceof ApiError && (error.code === "session_expired" || error.code === "session_invalid")) {
        // A verified visitor needs a new token; anyone else starts afresh (a logout elsewhere means a new device).
        if (this.#session?.identity.verified) await this.#renew();
        else await this.#openSession(undefined, false);
        return undefined;
      }
      this.#fail(error);
      return undefined;
    }
  }

  #fail(error: unknown): void {
    const code = error instanceof ApiError ? error.code : "widget_error";
    this.#emit("error", { code, message: error instanceof Error ? error.message : String(error) });
    this.#render(this.#words.error);
  }

  #clearData(): void {
    this.#conversations = [];
    this.#current = null;
    this.#view = "list";
    this.#draft = "";
  }

  #stopTimers(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    this.#stopPolling();
  }

  // Data -------------------------------------------------------------------

  async #loadList(): Promise<void> {
    const list = await this.#withSession(() => this.#api!.listConversations());
    if (list) this.#conversations = list;
  }

  async #reloadCurrent(): Promise<void> {
    const id = this.#current?.conversation.id;
    if (!id) return;
    const detail = await this.#withSession(() => this.#api!.getConversation(id));
    if (detail) this.#current = detail;
    else if (this.#phase === "ready") this.#current = null;
  }

  async #create(kind: ConversationKind, subject?: string): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const detail = await this.#withSession(() =>
        this.#api!.createConversation(subject === undefined ? { kind } : { kind, subject })
      );
      if (!detail) return;
      this.#current = detail;
      this.#view = "conversation";
      this.#conversations = [detail.conversation, ...this.#conversations];
      this.#render();
      this.#focus("textarea");
    } finally {
      this.#busy = false;
    }
  }

  async #openConversation(id: string): Promise<void> {
    const detail = await this.#withSession(() => this.#api!.getConversation(id));
    if (!detail) return;
    this.#current = detail;
    this.#view = "conversation";
    this.#render();
    this.#focus("textarea");
  }

  async #send(text: string): Promise<boolean> {
    const current = this.#current;
    if (!current || text.trim() === "") return false;
    const message = await this.#withSession(() => this.#api!.postMessage(current.conversation.id, text));
    if (!message || this.#current?.conversation.id !== current.conversation.id) return false;
    this.#append([message]);
    return true;
  }

  #append(messages: Message[]): void {
    const current = this.#current;
    if (!current) return;
    const known = new Set(current.messages.map((m) => m.id));
    const fresh = messages.filter((m) => !known.has(m.id));
    if (fresh.length === 0) return;
    current.messages = [...current.messages, ...fresh];
    this.#renderMessages();
    for (const m of fresh) if (m.author !== "visitor") this.#emit("message", { message: m });
  }

  #startPolling(): void {
    this.#stopPolling();
    const every = this.#config?.pollIntervalMs ?? 2000;
    this.#pollTimer = setInterval(() => void this.#poll(), every);
  }

  #stopPolling(): void {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  async #poll(): Promise<void> {
    if (!this.#open || this.#phase !== "ready") return;
    const current = this.#current;
    if (current && this.#view === "conversation") {
      const after = current.messages.at(-1)?.id;
      const fresh = await this.#withSession(() => this.#api!.listMessages(current.conversation.id, after));
      if (fresh && this.#current === current) this.#append(fresh);
    } else if (this.#view === "list") {
      await this.#loadList();
      if (this.#phase === "ready" && this.#view === "list") this.#renderMain();
    }
  }

  // View -------------------------------------------------------------------

  #mount(locale: Locale): void {
    if (this.#dom) {
      this.#dom.root.lang = locale;
      return;
    }
    const host = this.#options.host ?? document.body.appendChild(h("div", { id: "setchat-widget" }));
    const shadow = host.attachShadow({ mode: "open" });
    shadow.append(h("style", {}, STYLES));
    const launcher = h("button", {
      class: "launcher",
      type: "button",
      "data-testid": TESTID.launcher,
      "aria-controls": "setchat-panel",
      "aria-expanded": "false",
    });
    launcher.innerHTML = ICON;
    const identity = h("span", { class: "identity", "data-testid": TESTID.identity, role: "status" });
    const title = h("h2", { id: "setchat-title" });
    const reset = h("button", { type: "button", "data-testid": TESTID.reset });
    const close = h("button", { type: "button", "data-testid": TESTID.close }, "×");
    const main = h("main");
    const footer = h("div");
    const panel = h(
      "section",
      {
        class: "panel",
        id: "setchat-panel",
        role: "dialog",
        "aria-labelledby": "setchat-title",
        "data-testid": TESTID.panel,
        hidden: true,
      },
      h("header", {}, h("div", { class: "titles" }, title, identity), reset, close),
      main,
      footer,
    );
    const root = h("div", { class: "root", lang: locale }, panel, launcher);
    shadow.append(root);
    launcher.addEventListener("click", () => (this.#open ? this.close() : this.open()));
    close.addEventListener("click", () => this.close());
    reset.addEventListener("click", () => void this.reset());
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.close();
    });
    this.#dom = { shadow, root, launcher, panel, identity, main, footer, title, reset, close };
  }

  #focus(selector: string): void {
    this.#dom?.panel.querySelector<HTMLElement>(selector)?.focus();
  }

  #render(errorText?: string): void {
    const dom = this.#dom;
    if (!dom) return;
    const w = this.#words;
    dom.panel.hidden = !this.#open;
    dom.launcher.setAttribute("aria-expanded", String(this.#open));
    dom.launcher.setAttribute("aria-label", this.#open ? w.launcherClose : w.launcherOpen);
    dom.title.textContent = w.title;
    dom.close.setAttribute("aria-label", w.close);
    dom.reset.textContent = w.resetShort;
    dom.reset.setAttribute("aria-label", w.reset);
    const identity = this.#session?.identity;
    const state = this.#phase === "signed-out"
      ? "signed-out"
      : identity?.verified
      ? "verified"
      : identity?.name || identity?.email
      ? "guest"
      : identity
      ? "anonymous"
      : "none";
    dom.identity.dataset.state = state;
    dom.identity.dataset.verified = String(identity?.verified ?? false);
    dom.identity.textContent = state === "verified"
      ? w.verifiedAs(identity!.name ?? identity!.email ?? identity!.externalUserId ?? "")
      : state === "guest"
      ? w.guest(identity!.name ?? identity!.email ?? "")
      : state === "signed-out"
      ? w.signedOutShort
      : w.notVerified;
    this.#renderMain(errorText);
  }

  #renderMain(errorText?: string): void {
    const dom = this.#dom!;
    const w = this.#words;
    const composerFocused = dom.shadow.activeElement?.getAttribute("data-testid") === TESTID.composerInput;
    dom.main.replaceChildren();
    dom.footer.replaceChildren();
    dom.footer.className = "";
    if (errorText) dom.main.append(h("p", { class: "note", role: "alert", "data-testid": TESTID.error }, errorText));
    switch (this.#phase) {
      case "idle":
      case "starting":
        dom.main.append(h("p", { class: "note", "data-testid": TESTID.loading }, w.loading));
        return;
      case "signed-out":
        dom.main.append(
          h(
            "div",
            { class: "signed-out", "data-testid": TESTID.signedOut },
            h("p", {}, w.signedOut),
            h("p", { class: "note" }, w.signedOutHint),
          ),
        );
        return;
      case "prechat":
        dom.main.append(this.#prechatForm());
        return;
      case "ready":
        if (this.#view === "conversation" && this.#current) this.#conversationView(composerFocused);
        else if (this.#view === "ticket") dom.main.append(this.#ticketForm());
        else this.#listView();
    }
  }

  #prechatForm(): HTMLFormElement {
    const w = this.#words;
    const name = h("input", {
      name: "name",
      required: true,
      autocomplete: "name",
      "data-testid": TESTID.prechatName,
    });
    const email = h("input", {
      name: "email",
      type: "email",
      required: true,
      autocomplete: "email",
      "data-testid": TESTID.prechatEmail,
    });
    const form = h(
      "form",
      { class: "stack", "data-testid": TESTID.prechat },
      h("p", { class: "note" }, w.prechatIntro),
      h("label", {}, w.name, name),
      h("label", {}, w.email, email),
      h("button", { class: "primary", type: "submit", "data-testid": TESTID.prechatSubmit }, w.start),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!form.reportValidity()) return;
      this.#storage!.setPrechat({ name: name.value.trim(), email: email.value.trim() });
      void this.#openSession(undefined, false);
    });
    return form;
  }

  #ticketForm(): HTMLFormElement {
    const w = this.#words;
    const subject = h("input", {
      name: "subject",
      required: true,
      maxlength: "200",
      "data-testid": TESTID.ticketSubject,
    });
    const cancel = h(
      "button",
      { class: "secondary", type: "button", "data-testid": TESTID.ticketCancel },
      w.cancel,
    );
    const form = h(
      "form",
      { class: "stack", "data-testid": TESTID.ticketForm },
      h("label", {}, w.subject, subject),
      h(
        "div",
        { class: "actions" },
        h("button", { class: "primary", type: "submit", "data-testid": TESTID.ticketSubmit }, w.createTicket),
        cancel,
      ),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (subject.value.trim()) void this.#create("ticket", subject.value.trim());
    });
    cancel.addEventListener("click", () => {
      this.#view = "list";
      this.#render();
    });
    queueMicrotask(() => subject.focus());
    return form;
  }

  #listView(): void {
    const w = this.#words;
    const button = (testid: string, label: string, primary: boolean, onClick: () => void) => {
      const b = h("button", { class: primary ? "primary" : "secondary", type: "button", "data-testid": testid }, label);
      b.addEventListener("click", onClick);
      return b;
    };
    const actions = h(
      "div",
      { class: "actions" },
      button(TESTID.newChat, w.newChat, true, () => void this.#create("chat")),
      button(TESTID.newTicket, w.newTicket, false, () => {
        this.#view = "ticket";
        this.#render();
      }),
      button(TESTID.newFlow, w.newFlow, false, () => void this.#create("flow")),
    );
    const list = h("ul", {
      class: "list",
      "data-testid": TESTID.conversationList,
      "aria-labelledby": "setchat-history",
    });
    for (const c of this.#conversations) {
      const label = c.subject ?? (c.kind === "ticket" ? w.ticket : c.kind === "flow" ? w.flow : w.chat);
      const item = h(
        "button",
        { class: "item", type: "button", "data-testid": TESTID.conversationItem, "data-conversation-id": c.id },
        h("strong", {}, label),
        h("span", {}, c.lastMessage?.text ?? ""),
      );
      item.addEventListener("click", () => void this.#openConversation(c.id));
      list.append(h("li", {}, item));
    }
    this.#dom!.main.append(
      actions,
      h("h3", { id: "setchat-history" }, w.history),
      this.#conversations.length ? list : h("p", { class: "empty", "data-testid": TESTID.empty }, w.empty),
    );
  }

  #conversationView(composerFocused: boolean): void {
    const w = this.#words;
    const dom = this.#dom!;
    const back = h("button", { class: "back", type: "button", "data-testid": TESTID.back }, `← ${w.back}`);
    back.addEventListener("click", () => {
      const current = this.#current;
      if (current) {
        // The list shows the conversation as just seen, before the server's list arrives.
        const seen = { ...current.conversation, lastMessage: current.messages.at(-1) ?? null };
        this.#conversations = [seen, ...this.#conversations.filter((c) => c.id !== seen.id)];
      }
      this.#view = "list";
      this.#render();
      void this.#loadList().then(() => this.#phase === "ready" && this.#view === "list" && this.#renderMain());
    });
    dom.main.append(
      back,
      h("ol", { class: "messages", "data-testid": TESTID.messageList, "aria-live": "polite" }),
    );
    this.#renderMessages();
    const input = h("textarea", {
      "aria-label": w.message,
      placeholder: w.message,
      maxlength: "4000",
      "data-testid": TESTID.composerInput,
    });
    input.value = this.#draft;
    input.addEventListener("input", () => (this.#draft = input.value));
    const send = h("button", { type: "submit", "data-testid": TESTID.composerSend }, w.send);
    const form = h("form", { class: "composer", "data-testid": TESTID.composer }, input, send);
    const submit = async () => {
      const text = input.value;
      input.value = "";
      this.#draft = "";
      if (!(await this.#send(text))) {
        input.value = text;
        this.#draft = text;
      }
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void submit();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        void submit();
      }
    });
    dom.footer.append(form);
    if (composerFocused) input.focus();
  }

  #renderMessages(): void {
    const list = this.#dom?.main.querySelector("ol.messages");
    if (!list || !this.#current) return;
    const w = this.#words;
    list.replaceChildren(
      ...this.#current.messages.map((m) =>
        h(
          "li",
          { class: "msg", "data-testid": TESTID.message, "data-author": m.author, "data-message-id": m.id },
          h("span", { class: "who" }, m.author === "visitor" ? w.you : m.authorName ?? w.agent),
          m.text,
        )
      ),
    );
    this.#dom!.main.scrollTop = this.#dom!.main.scrollHeight;
  }
}
