/**
 * The SetChat widget: the public API of one widget on a page. It wires the
 * session (`session.ts`, no DOM) to the view (`view.ts`, the DOM), and keeps
 * what the panel shows: the history, the open conversation, polling.
 */
import type { Conversation, ConversationKind, Message, SessionCreated } from "../src/contract/widget.ts";
import { ApiError, WidgetApi } from "./api.ts";
import { type Words, wordsFor } from "./i18n.ts";
import { type Phase, phaseOf, type SetChatConfig, type SetChatEvents, WidgetSession } from "./session.ts";
import { localWidgetStorage, type WidgetStorage } from "./storage.ts";
import { type Screen, type ViewModel, WidgetView } from "./view.ts";

export type { SetChatConfig, SetChatEvents };

type Listener<E extends keyof SetChatEvents> = (detail: SetChatEvents[E]) => void;

/** Options for building a widget, for hosts that bring their own storage. */
export interface WidgetOptions {
  host?: HTMLElement;
  storage?: (siteApiKey: string) => WidgetStorage;
  defaultApiUrl?: string;
}

/** One widget on a page. */
export class ChatWidget {
  #api: WidgetApi | undefined;
  #storage: WidgetStorage | undefined;
  #words: Words = wordsFor("en").words;
  #screen: Screen = "list";
  #conversations: Conversation[] = [];
  #current: { conversation: Conversation; messages: Message[] } | null = null;
  /** The last message of each conversation the visitor has seen, by conversation id. */
  #seen = new Map<string, string | undefined>();
  /** Agents' messages that arrived while the panel was closed, newest first. */
  #unread: { conversationId: string; message: Message }[] = [];
  #open = false;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  #unwatchStorage: (() => void) | undefined;
  #view: WidgetView | undefined;
  readonly #listeners = new Map<keyof SetChatEvents, Set<(detail: never) => void>>();
  readonly #options: WidgetOptions;
  readonly #session: WidgetSession;

  constructor(options: WidgetOptions = {}) {
    this.#options = options;
    this.#session = new WidgetSession({
      emit: (event, detail) => this.#emit(event, detail),
      changed: () => this.#render(),
      clearData: () => this.#clearData(),
      load: async () => {
        if (this.#current) await this.#reloadCurrent();
        else await this.#loadList();
      },
      fail: (error) => this.#fail(error),
      warn: (text) => console.warn(text),
    });
  }

  /** Starts the widget for a visitor, replacing whatever it showed before. */
  async init(config: SetChatConfig): Promise<void> {
    if (!config || typeof config.siteApiKey !== "string" || config.siteApiKey === "") {
      throw new TypeError("Cannot start SetChat: init() needs a siteApiKey");
    }
    this.#stopPolling();
    this.#api = new WidgetApi(config.apiUrl ?? this.#options.defaultApiUrl ?? location.origin);
    this.#storage = (this.#options.storage ?? localWidgetStorage)(config.siteApiKey);
    this.#unwatchStorage?.();
    this.#unwatchStorage = this.#storage.onChange(() => void this.#session.deviceChangedElsewhere());
    const { locale, words } = wordsFor(config.locale);
    this.#words = words;
    if (this.#view) this.#view.setLocale(locale, words);
    else {
      const host = this.#options.host ?? document.body.appendChild(document.createElement("div"));
      if (!this.#options.host) host.id = "setchat-widget";
      this.#view = new WidgetView(host, locale, words, {
        toggle: () => (this.#open ? this.close() : this.open()),
        close: () => this.close(),
        forget: () => void this.reset(),
        prechat: (data) => void this.#session.submitPrechat(data),
        retry: () => void this.#session.start(true),
        signIn: () => this.#signIn(),
        openUnread: (id) => {
          this.open();
          void this.#openConversation(id);
        },
        newChat: () => this.#draftChat(),
        newFlow: () => void this.#create("flow"),
        showScreen: (screen) => {
          this.#screen = screen;
          this.#render();
        },
        createTicket: (subject) => void this.#create("ticket", subject),
        openConversation: (id) => void this.#openConversation(id),
        back: () => this.#back(),
        send: (text) => this.#send(text),
      });
    }
    this.#clearData();
    this.#session.configure(config, this.#api, this.#storage);
    // Started before the panel opens, so that opening it does not start a second session.
    const started = this.#session.start(true);
    if (config.open) this.open();
    else this.#startPolling();
    await started;
  }

  /** Logout: ends the server session, forgets the device credential, and clears the panel. */
  async reset(): Promise<void> {
    await this.#session.reset();
    if (this.#open) await this.#session.start(false);
  }

  /** Opens the panel, starting a session if none is running. */
  open(): void {
    if (!this.#view) return;
    this.#open = true;
    this.#unread = [];
    this.#markSeen();
    this.#render();
    this.#startPolling();
    this.#emit("open", {});
    this.#view.focusPanel();
    if (this.#session.state.name === "idle" && this.#session.config) void this.#session.start(false);
  }

  /** Closes the panel. */
  close(): void {
    if (!this.#view) return;
    this.#open = false;
    this.#markSeen();
    this.#render();
    this.#view.focusLauncher();
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
    return { phase: phaseOf(this.#session.state), open: this.#open, identity: this.#session.session?.identity ?? null };
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

  #model(): ViewModel {
    return {
      open: this.#open,
      state: this.#session.state,
      screen: this.#screen,
      conversations: this.#conversations,
      current: this.#current,
      unread: this.#unread,
      config: this.#session.config,
    };
  }

  #render(errorText?: string): void {
    this.#view?.render(this.#model(), errorText);
  }

  #renderMain(): void {
    this.#view?.renderMain(this.#model());
  }

  #fail(error: unknown): void {
    const code = error instanceof ApiError ? error.code : "widget_error";
    this.#emit("error", { code, message: error instanceof Error ? error.message : String(error) });
    this.#render(this.#words.error);
  }

  #clearData(): void {
    this.#conversations = [];
    this.#current = null;
    this.#seen = new Map();
    this.#unread = [];
    this.#screen = "list";
    if (this.#view) this.#view.draft = "";
  }

  /** Whether a session is there to load data for. */
  #live(): boolean {
    return this.#session.session !== null;
  }

  // Data -------------------------------------------------------------------

  async #loadList(): Promise<void> {
    const list = await this.#session.call(() => this.#api!.listConversations());
    if (!list) return;
    const first = this.#seen.size === 0 && this.#conversations.length === 0;
    this.#conversations = list;
    // What a session finds at its start is not news; only what arrives later is.
    if (first || this.#open) this.#markSeen();
    else this.#noteUnread();
  }

  /** Everything listed now counts as seen. */
  #markSeen(): void {
    for (const c of this.#conversations) this.#seen.set(c.id, c.lastMessage?.id);
    const current = this.#current;
    if (current && current.conversation.id) this.#seen.set(current.conversation.id, current.messages.at(-1)?.id);
  }

  /** Agents' messages the visitor has not seen: the launcher's badge and preview. */
  #noteUnread(): void {
    const fresh = this.#conversations.filter((c) =>
      c.lastMessage && c.lastMessage.author !== "visitor" && this.#seen.get(c.id) !== c.lastMessage.id
    );
    const unread = fresh.map((c) => ({ conversationId: c.id, message: c.lastMessage as Message }));
    const changed = unread.map((u) => u.message.id).join() !== this.#unread.map((u) => u.message.id).join();
    this.#unread = unread;
    if (changed) this.#render();
  }

  #signIn(): void {
    const config = this.#session.config;
    if (config?.onSignIn) {
      try {
        config.onSignIn();
      } catch (error) {
        console.error("SetChat onSignIn failed:", error);
      }
    } else if (config?.signInUrl) location.assign(config.signInUrl);
  }

  /** A new chat, not yet on the server: its first message creates it, so no empty chat is left behind. */
  #draftChat(): void {
    const now = new Date().toISOString();
    const conversation: Conversation = {
      id: "",
      kind: "chat",
      subject: null,
      flowId: null,
      verified: this.#session.session?.identity.verified ?? false,
      workspace: null,
      createdAt: now,
      updatedAt: now,
      lastMessage: null,
    };
    this.#current = { conversation, messages: [] };
    this.#screen = "conversation";
    this.#render();
    this.#view?.focus("textarea");
  }

  async #reloadCurrent(): Promise<void> {
    const id = this.#current?.conversation.id;
    if (!id) return;
    const detail = await this.#session.call(() => this.#api!.getConversation(id));
    if (detail) this.#current = detail;
    else if (this.#live()) this.#current = null;
  }

  async #create(kind: ConversationKind, subject?: string): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const detail = await this.#session.call(() =>
        this.#api!.createConversation(subject === undefined ? { kind } : { kind, subject })
      );
      if (!detail) return;
      this.#current = detail;
      this.#screen = "conversation";
      this.#conversations = [detail.conversation, ...this.#conversations];
      this.#render();
      this.#view?.focus("textarea");
    } finally {
      this.#busy = false;
    }
  }

  async #openConversation(id: string): Promise<void> {
    const detail = await this.#session.call(() => this.#api!.getConversation(id));
    if (!detail) return;
    this.#current = detail;
    this.#screen = "conversation";
    this.#render();
    this.#view?.focus("textarea");
  }

  #back(): void {
    const current = this.#current;
    if (current?.conversation.id) {
      // The list shows the conversation as just seen, before the server's list arrives.
      const seen = { ...current.conversation, lastMessage: current.messages.at(-1) ?? null };
      this.#conversations = [seen, ...this.#conversations.filter((c) => c.id !== seen.id)];
    }
    this.#screen = "list";
    this.#render();
    void this.#loadList().then(() => this.#live() && this.#screen === "list" && this.#renderMain());
  }

  async #send(text: string): Promise<boolean> {
    const current = this.#current;
    if (!current || text.trim() === "") return false;
    if (!current.conversation.id) {
      // A draft chat: created with its first message.
      if (this.#busy) return false;
      this.#busy = true;
      const detail = await this.#session.call(() => this.#api!.createConversation({ kind: "chat", text }));
      this.#busy = false;
      if (!detail || this.#current !== current) return false;
      current.conversation = detail.conversation;
      this.#conversations = [detail.conversation, ...this.#conversations];
      this.#append(detail.messages);
      return true;
    }
    const message = await this.#session.call(() => this.#api!.postMessage(current.conversation.id, text));
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
    this.#view?.renderMessages(current.messages);
    for (const m of fresh) if (m.author !== "visitor") this.#emit("message", { message: m });
  }

  #startPolling(): void {
    this.#stopPolling();
    const every = this.#session.config?.pollIntervalMs ?? 2000;
    this.#pollTimer = setInterval(() => void this.#poll(), every);
  }

  #stopPolling(): void {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  async #poll(): Promise<void> {
    if (this.#session.state.name !== "session") return;
    if (!this.#open) {
      // Closed: watch for agents' replies only for a visitor who has conversations, on a tab that is seen.
      if (this.#conversations.length > 0 && document.visibilityState !== "hidden") await this.#loadList();
      return;
    }
    const current = this.#current;
    if (current && this.#screen === "conversation") {
      if (!current.conversation.id) return;
      const after = current.messages.at(-1)?.id;
      const fresh = await this.#session.call(() => this.#api!.listMessages(current.conversation.id, after));
      if (fresh && this.#current === current) this.#append(fresh);
    } else if (this.#screen === "list") {
      await this.#loadList();
      if (this.#live() && this.#screen === "list") this.#renderMain();
    }
  }
}
