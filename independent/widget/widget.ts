/**
 * The widget: one object holding the configuration, the session, what the
 * panel shows and the timers, drawn into an open shadow root. Every
 * asynchronous answer is checked against `#era`, which `init()`, `reset()`
 * and a lost identity move on, so nothing from before can land after.
 */
import {
  type ChatConversation,
  type ChatMessage,
  Client,
  type Identity,
  type OpenedSession,
  Refused,
} from "./client.ts";
import { type FormData, Keeper } from "./keeper.ts";
import { planted } from "./planted.ts";
import { CSS, draw, type Scene, speak } from "./ui.ts";

/** What a page passes to `SetChat.init()`. */
export interface Config {
  siteApiKey: string;
  apiUrl?: string;
  visitorToken?: string;
  getVisitorToken?: () => unknown;
  user?: { name?: string; email?: string; externalUserId?: string; customData?: Record<string, unknown> };
  collectUserData?: boolean;
  workspace?: { externalId: string };
  locale?: "en" | "fr";
  open?: boolean;
  pollIntervalMs?: number;
}

/** The phases `state()` reports. */
export type Phase = "idle" | "starting" | "prechat" | "awaiting-sign-in" | "ready" | "renewing" | "signed-out";

type Listener = (detail: unknown) => void;

/** How long before the end of a verified session its renewal starts, at most. */
const RENEW_AHEAD_MS = 60_000;

function tokenExpiry(token: string): number | undefined {
  try {
    const payload = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
    const exp = JSON.parse(atob(payload + "===".slice((payload.length + 3) % 4))).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The SetChat widget of one page. */
export class Widget {
  #config: Config | undefined;
  #client: Client | undefined;
  #keeper: Keeper | undefined;
  #era = 0;
  #phase: Phase = "idle";
  #open = false;
  #session: OpenedSession | undefined;
  /** A session's token kept after its identity was lost: `reset()` still logs it out. */
  #endable: string | undefined;
  /** A session being asked for: `reset()` ends it when it answers. */
  #asking: Promise<OpenedSession | undefined> | undefined;
  #shownVerified = false;
  #history: ChatConversation[] = [];
  #chat: { conversation: ChatConversation | null; messages: ChatMessage[] } | undefined;
  #screen: "history" | "ticket" | "chat" = "history";
  #draft = "";
  #problem: string | undefined;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #root: ShadowRoot | undefined;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #defaultApi: string | undefined;

  constructor(defaultApi: string | undefined) {
    this.#defaultApi = defaultApi;
    addEventListener("storage", (e) => {
      if (!this.#keeper || (e.key !== null && e.key !== this.#keeper.key)) return;
      if (planted("other-tabs-debounced")) setTimeout(() => void this.#deviceMayHaveChanged(), 3000);
      else void this.#deviceMayHaveChanged();
    });
  }

  // The page's API ---------------------------------------------------------

  init(config: Config): Promise<void> {
    if (!config || typeof config.siteApiKey !== "string" || config.siteApiKey.length === 0) {
      return Promise.reject(new TypeError("SetChat.init() needs a siteApiKey"));
    }
    this.#config = planted("config-merged") ? { ...this.#config, ...config } : { ...config };
    const era = this.#newEra();
    this.#session = undefined;
    this.#endable = undefined;
    if (!planted("stale-list-on-switch")) this.#forgetScreen();
    this.#client = new Client(config.apiUrl ?? this.#defaultApi ?? location.origin);
    this.#keeper = new Keeper(config.siteApiKey);
    speak(config.locale);
    if (config.open) this.#open = true;
    this.#mount();
    const started = this.#start(era, true);
    return planted("init-returns-nothing") ? undefined as unknown as Promise<void> : started;
  }

  async reset(): Promise<void> {
    const era = this.#newEra();
    const client = this.#client;
    const ending = this.#session?.sessionToken ?? this.#endable;
    const asking = this.#asking;
    this.#asking = undefined;
    this.#session = undefined;
    this.#endable = undefined;
    this.#shownVerified = false;
    this.#forgetScreen();
    if (!planted("reset-keeps-device")) this.#keeper?.forgetDevice();
    if (!planted("reset-keeps-form")) this.#keeper?.forgetForm();
    if (this.#config) {
      // The next person keeps the site's settings, never the previous one's identity.
      const kept: Config = { siteApiKey: this.#config.siteApiKey };
      for (const key of ["apiUrl", "workspace", "locale", "collectUserData", "pollIntervalMs"] as const) {
        if (this.#config[key] !== undefined) Object.assign(kept, { [key]: this.#config[key] });
      }
      this.#config = kept;
    }
    this.#phase = "idle";
    this.#paint();
    if (client && !planted("reset-skips-logout")) {
      if (ending) await client.endSession(ending).catch(() => {});
      const late = asking ? await asking : undefined;
      if (late && late.sessionToken !== ending) await client.endSession(late.sessionToken).catch(() => {});
    }
    if (!planted("reset-without-event")) this.#tell("reset", {});
    if (this.#open && era === this.#era && this.#config) await this.#start(era, false);
  }

  open(): void {
    if (this.#open) return;
    this.#open = true;
    this.#paint();
    this.#tell("open", {});
    if (this.#phase === "idle" && this.#config) void this.#start(this.#era, false);
    else this.#poll(this.#era);
    this.#root?.querySelector<HTMLElement>("input, textarea, .sc-body button, .sc-x")?.focus();
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#paint();
    this.#tell("close", {});
    this.#root?.querySelector<HTMLElement>(".sc-launcher")?.focus();
  }

  on(event: string, listener: Listener): () => void {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event)!.add(listener);
    return () => this.off(event, listener);
  }

  off(event: string, listener: Listener): void {
    this.#listeners.get(event)?.delete(listener);
  }

  state(): { phase: Phase; open: boolean; identity: Identity | null } {
    return { phase: this.#phase, open: this.#open, identity: this.#session ? { ...this.#session.identity } : null };
  }

  // Sessions ---------------------------------------------------------------

  /** Starts a new era: whatever is in flight from before is moot. */
  #newEra(): number {
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#renewTimer);
    return ++this.#era;
  }

  #wantsVerified(): boolean {
    const c = this.#config;
    return !!c && (c.visitorToken !== undefined || typeof c.getVisitorToken === "function");
  }

  async #askToken(): Promise<string | undefined> {
    try {
      const token = await this.#config?.getVisitorToken?.();
      return typeof token === "string" && token ? token : undefined;
    } catch (error) {
      this.#tell("error", { code: "get_visitor_token_failed", message: String(error) });
      return undefined;
    }
  }

  async #start(era: number, first: boolean): Promise<void> {
    const config = this.#config!;
    this.#phase = "starting";
    this.#problem = undefined;
    this.#paint();
    if (planted("anonymous-before-exchange") && this.#wantsVerified()) void this.#peekAnonymously(era);
    let token = config.visitorToken;
    const soon = token === undefined ? true : (tokenExpiry(token) ?? Infinity) < Date.now() + 30_000;
    if (typeof config.getVisitorToken === "function" && soon) token = await this.#askToken() ?? token;
    if (era !== this.#era) return;
    if (this.#wantsVerified() && !token) {
      if (this.#shownVerified || planted("signed-out-first-visit")) return this.#lose(era, "no-token");
      this.#phase = "awaiting-sign-in";
      return this.#paint();
    }
    if (!token && config.collectUserData && !config.user && !this.#keeper!.form()) {
      this.#phase = "prechat";
      return this.#paint();
    }
    await this.#openSession(era, token, first);
  }

  /** The planted mistake: a session without the token, to show something while it comes. */
  async #peekAnonymously(era: number): Promise<void> {
    const device = this.#keeper!.device();
    const opened = await this.#client!.openSession({
      siteApiKey: this.#config!.siteApiKey,
      ...(device ? { deviceCredential: device } : {}),
      ...(this.#config!.workspace ? { workspace: this.#config!.workspace } : {}),
    }).catch(() => undefined);
    if (!opened || era !== this.#era || this.#session) return;
    this.#keeper!.keepDevice(opened.deviceCredential);
    this.#history = await this.#client!.history(opened.sessionToken).catch(() => []);
    if (era === this.#era && !this.#session) this.#paint();
  }

  #userFor(token: string | undefined): Record<string, unknown> | undefined {
    const config = this.#config!;
    const form = token && !planted("prechat-with-token") ? undefined : this.#keeper!.form();
    if (form) return { name: form.name, email: form.email, source: "prechat_form" };
    if (config.user) return { ...config.user, source: "page" };
    return undefined;
  }

  async #openSession(era: number, token: string | undefined, first: boolean, again = false): Promise<void> {
    const config = this.#config!;
    const client = this.#client!;
    const keeper = this.#keeper!;
    const device = keeper.device();
    const user = this.#userFor(token);
    const request = client.openSession({
      siteApiKey: config.siteApiKey,
      ...(device ? { deviceCredential: device } : {}),
      ...(token ? { visitorToken: token } : {}),
      ...(user ? { user } : {}),
      ...(config.workspace ? { workspace: config.workspace } : {}),
    });
    const asking = request.catch(() => undefined);
    this.#asking = asking;
    let opened: OpenedSession;
    try {
      opened = await request;
    } catch (error) {
      if (era !== this.#era) return;
      const refused = error instanceof Refused ? error : new Refused(0, "widget_error", String(error));
      if (token && refused.code === "visitor_token_expired" && !again && config.getVisitorToken) {
        const fresh = await this.#askToken();
        if (era !== this.#era) return;
        if (fresh) return await this.#openSession(era, fresh, first, true);
      }
      if (token && (refused.status === 401 || refused.code === "workspace_mismatch")) {
        this.#tell("error", { code: refused.code, message: refused.message });
        return this.#lose(era, refused.code === "visitor_token_expired" ? "expired" : "refused");
      }
      return this.#fail(refused);
    } finally {
      if (this.#asking === asking) this.#asking = undefined;
    }
    if (era !== this.#era) {
      if (planted("late-session-kept")) keeper.keepDevice(opened.deviceCredential);
      return;
    }
    const before = this.#session;
    const someoneElse = !before || before.identity.verified !== opened.identity.verified ||
      before.identity.externalUserId !== opened.identity.externalUserId ||
      before.deviceCredential !== opened.deviceCredential;
    this.#session = opened;
    keeper.keepDevice(opened.deviceCredential);
    if (opened.identity.verified) this.#shownVerified = true;
    if (someoneElse) this.#forgetScreen();
    this.#phase = "ready";
    this.#planRenewal(era);
    await this.#refresh(era, true);
    if (era !== this.#era) return;
    this.#paint();
    if (first) this.#tell("ready", { identity: { ...opened.identity } });
    this.#tell("identity", { identity: { ...opened.identity } });
    this.#poll(era);
  }

  #planRenewal(era: number): void {
    clearTimeout(this.#renewTimer);
    const session = this.#session;
    if (!session?.identity.verified) return;
    const left = session.expiresIn * 1000;
    const delay = Math.max(1000, left - Math.min(RENEW_AHEAD_MS, left / 5));
    this.#renewTimer = setTimeout(() => void this.#renew(era), delay);
  }

  async #renew(era: number): Promise<void> {
    if (era !== this.#era) return;
    if (typeof this.#config?.getVisitorToken !== "function") return this.#lose(era, "expired");
    this.#phase = "renewing";
    const token = await this.#askToken();
    if (era !== this.#era) return;
    if (!token) return this.#lose(era, "expired");
    await this.#openSession(era, token, false);
  }

  #lose(era: number, reason: "no-token" | "expired" | "refused"): void {
    if (era !== this.#era) return;
    this.#newEra();
    this.#endable = this.#session?.sessionToken ?? this.#endable;
    this.#session = undefined;
    this.#forgetScreen();
    this.#phase = "signed-out";
    this.#paint();
    this.#tell("identity-lost", { reason });
  }

  /** The session ended on the server (a logout elsewhere, an expiry): start again as the page says. */
  async #ended(era: number): Promise<void> {
    if (era !== this.#era) return;
    const next = this.#newEra();
    this.#session = undefined;
    this.#forgetScreen();
    await this.#start(next, false);
  }

  async #deviceMayHaveChanged(): Promise<void> {
    const session = this.#session;
    if (!session || !this.#keeper || this.#keeper.device() === session.deviceCredential) return;
    await this.#ended(this.#era);
  }

  #fail(error: Refused): void {
    this.#problem = error.message || error.code;
    this.#tell("error", { code: error.code, message: error.message });
    this.#paint();
  }

  /** Runs a call in the current session; an ended session starts again, a moot answer is dropped. */
  async #call<T>(
    era: number,
    call: (token: string) => Promise<T>,
    token = this.#session?.sessionToken,
  ): Promise<T | undefined> {
    if (!token) return undefined;
    try {
      const result = await call(token);
      return era === this.#era || planted("late-answer-applied") ? result : undefined;
    } catch (error) {
      if (era !== this.#era) return undefined;
      if (error instanceof Refused && (error.code === "session_invalid" || error.code === "session_expired")) {
        if (!planted("other-tabs-debounced")) void this.#ended(era);
        return undefined;
      }
      this.#fail(error instanceof Refused ? error : new Refused(0, "widget_error", String(error)));
      return undefined;
    }
  }

  // What the panel shows ---------------------------------------------------

  #forgetScreen(): void {
    this.#history = [];
    this.#chat = undefined;
    this.#screen = "history";
    this.#draft = "";
    this.#problem = undefined;
  }

  /** Loads what the screen needs: the history, and the open conversation. */
  async #refresh(era: number, whole = false): Promise<void> {
    const chat = this.#chat;
    if (chat?.conversation && (whole || this.#screen === "chat")) {
      const id = chat.conversation.id;
      if (whole) {
        const detail = await this.#call(era, (t) => this.#client!.conversation(t, id));
        if (detail && this.#chat === chat) chat.messages = detail.messages;
      } else {
        const fresh = await this.#call(era, (t) => this.#client!.newer(t, id, chat.messages.at(-1)?.id));
        if (fresh?.length && this.#chat === chat) this.#arrived(fresh);
        return;
      }
    }
    const list = await this.#call(era, (t) => this.#client!.history(t));
    if (!list) return;
    const changed = JSON.stringify(list) !== JSON.stringify(this.#history);
    this.#history = list;
    if (changed && this.#screen === "history") this.#paint();
  }

  #arrived(messages: ChatMessage[]): void {
    const chat = this.#chat!;
    const known = new Set(chat.messages.map((m) => m.id));
    const fresh = messages.filter((m) => !known.has(m.id));
    if (!fresh.length) return;
    chat.messages.push(...fresh);
    this.#paint();
    for (const m of fresh) if (m.author !== "visitor") this.#tell("message", { message: { ...m } });
  }

  /** Polls while the panel is open, one call at a time. */
  #poll(era: number): void {
    clearTimeout(this.#pollTimer);
    const session = this.#session;
    const every = this.#config?.pollIntervalMs ?? 2000;
    const tick = async () => {
      if (era !== this.#era && !planted("reset-leaves-polling")) return;
      if (this.#open && session && (era !== this.#era || this.#phase === "ready" || this.#phase === "renewing")) {
        if (era === this.#era) await this.#refresh(era);
        else await this.#client?.history(session.sessionToken).catch(() => undefined);
      }
      // The planted mistake: each loop keeps a timer of its own, which nothing stops.
      if (planted("reset-leaves-polling")) setTimeout(tick, every);
      else if (era === this.#era) this.#pollTimer = setTimeout(tick, every);
    };
    if (planted("reset-leaves-polling")) setTimeout(tick, every);
    else this.#pollTimer = setTimeout(tick, every);
  }

  async #createConversation(kind: "chat" | "ticket" | "flow", extra: { subject?: string; text?: string }) {
    const era = this.#era;
    const detail = await this.#call(era, (t) => this.#client!.create(t, { kind, ...extra }));
    if (!detail || era !== this.#era) return undefined;
    this.#chat = { conversation: detail.conversation, messages: detail.messages };
    this.#history = [detail.conversation, ...this.#history.filter((c) => c.id !== detail.conversation.id)];
    this.#screen = "chat";
    this.#paint();
    return detail;
  }

  async #send(text: string): Promise<boolean> {
    const chat = this.#chat;
    const era = this.#era;
    if (!chat || !text.trim()) return false;
    if (!chat.conversation) {
      // A new chat is created on the server with its first message.
      return (await this.#createConversation("chat", { text })) !== undefined;
    }
    const id = chat.conversation.id;
    const message = await this.#call(era, (t) => this.#client!.write(t, id, text));
    if (!message || this.#chat !== chat) return false;
    this.#arrived([message]);
    return true;
  }

  async #openConversation(id: string): Promise<void> {
    const era = this.#era;
    const detail = await this.#call(era, (t) => this.#client!.conversation(t, id));
    if (!detail || era !== this.#era) return;
    this.#chat = { conversation: detail.conversation, messages: detail.messages };
    this.#screen = "chat";
    this.#paint();
  }

  #scene(): Scene {
    return {
      open: this.#open,
      phase: this.#phase,
      identity: this.#session?.identity ?? null,
      screen: this.#screen,
      history: this.#history,
      chat: this.#chat,
      draft: this.#draft,
      problem: this.#problem,
      offerForget: !!this.#session && (!this.#session.identity.verified || planted("forget-for-verified")),
      htmlMessages: planted("html-text"),
      htmlNames: planted("names-as-html"),
    };
  }

  #mount(): void {
    if (this.#root) return;
    const host = document.createElement("div");
    host.setAttribute("data-setchat-independent", "");
    document.body.append(host);
    this.#root = host.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = CSS;
    this.#root.append(style);
    this.#paint();
  }

  #paint(): void {
    if (!this.#root) return;
    draw(this.#root, this.#scene(), {
      toggle: () => (this.#open ? this.close() : this.open()),
      close: () => this.close(),
      forget: () => void this.reset(),
      form: (data: FormData) => {
        this.#keeper!.keepForm(data);
        void this.#openSession(this.#era, undefined, false);
      },
      newChat: () => {
        this.#chat = { conversation: null, messages: [] };
        this.#screen = "chat";
        this.#paint();
      },
      newTicket: () => {
        this.#screen = "ticket";
        this.#paint();
      },
      newFlow: () => void this.#createConversation("flow", {}),
      ticket: (subject: string) => void this.#createConversation("ticket", { subject }),
      cancel: () => {
        this.#screen = "history";
        this.#paint();
      },
      pick: (id: string) => void this.#openConversation(id),
      back: () => {
        this.#screen = "history";
        this.#chat = undefined;
        this.#paint();
        void this.#refresh(this.#era);
      },
      typed: (text: string) => (this.#draft = text),
      send: (text: string) => this.#send(text),
    });
  }

  #tell(event: string, detail: unknown): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        listener(detail);
      } catch (error) {
        console.error("A SetChat listener failed", error);
      }
    }
  }
}
