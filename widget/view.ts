/**
 * The widget's DOM: a launcher and a panel in a shadow root. It shows a
 * {@linkcode ViewModel} and reports what the visitor does through
 * {@linkcode ViewActions}; it decides nothing about sessions.
 */
import { TESTID } from "../src/contract/testids.ts";
import type { Conversation, Message } from "../src/contract/widget.ts";
import type { Locale, Words } from "./i18n.ts";
import { identityState, offersForget, type SessionState, type SetChatConfig } from "./session.ts";
import { STYLES } from "./styles.ts";

/** Which screen of a session the panel shows. */
export type Screen = "list" | "ticket" | "conversation";

/** Everything the panel shows. */
export interface ViewModel {
  open: boolean;
  state: SessionState;
  screen: Screen;
  conversations: Conversation[];
  current: { conversation: Conversation; messages: Message[] } | null;
  /** Agents' messages that arrived while the panel was closed, newest first. */
  unread: { conversationId: string; message: Message }[];
  config: SetChatConfig | undefined;
}

/** What the visitor can do in the panel. */
export interface ViewActions {
  toggle(): void;
  close(): void;
  forget(): void;
  prechat(data: { name: string; email: string }): void;
  /** Starts again after a start that failed. */
  retry(): void;
  /** The page's sign-in: its `onSignIn`, else its `signInUrl`. */
  signIn(): void;
  /** Opens the panel on a conversation the launcher's preview shows. */
  openUnread(conversationId: string): void;
  newChat(): void;
  newFlow(): void;
  showScreen(screen: Screen): void;
  createTicket(subject: string): void;
  openConversation(id: string): void;
  back(): void;
  /** Sends a message; resolves to whether it was sent. */
  send(text: string): Promise<boolean>;
}

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

/** A short time for a list: the hour today, the day otherwise; in the browser's format if it speaks the widget's language. */
function when(iso: string, locale: Locale, withHour = false): string {
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  const browser = navigator.language ?? "";
  const options: Intl.DateTimeFormatOptions = today
    ? { hour: "2-digit", minute: "2-digit" }
    : withHour
    ? { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "short" };
  return new Intl.DateTimeFormat(browser.toLowerCase().startsWith(locale) ? browser : locale, options).format(date);
}

/**
 * Styles the shadow root through a constructed stylesheet: CSSOM, which a
 * page's `style-src` policy does not block as it does a `<style>` element. A
 * browser without constructed stylesheets gets the `<style>` element.
 */
function adoptStyles(shadow: ShadowRoot): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    shadow.adoptedStyleSheets = [sheet];
  } catch {
    shadow.append(h("style", {}, STYLES));
  }
}

/** The widget's DOM in one shadow root. */
export class WidgetView {
  readonly #shadow: ShadowRoot;
  readonly #root: HTMLElement;
  readonly #launcher: HTMLButtonElement;
  readonly #badge: HTMLElement;
  readonly #preview: HTMLButtonElement;
  readonly #panel: HTMLElement;
  readonly #identity: HTMLElement;
  readonly #title: HTMLElement;
  readonly #close: HTMLButtonElement;
  readonly #main: HTMLElement;
  readonly #footer: HTMLElement;
  readonly #actions: ViewActions;
  #words: Words;
  #locale: Locale;
  /** What the visitor is typing: kept across re-renders (a token renewal must not wipe it). */
  draft = "";

  constructor(host: HTMLElement, locale: Locale, words: Words, actions: ViewActions) {
    this.#actions = actions;
    this.#words = words;
    this.#locale = locale;
    this.#shadow = host.attachShadow({ mode: "open" });
    adoptStyles(this.#shadow);
    this.#launcher = h("button", {
      class: "launcher",
      type: "button",
      "data-testid": TESTID.launcher,
      "aria-controls": "setchat-panel",
      "aria-expanded": "false",
    });
    this.#launcher.innerHTML = ICON;
    this.#badge = h("span", {
      class: "badge",
      "data-testid": TESTID.launcherBadge,
      "aria-hidden": "true",
      hidden: true,
    });
    this.#launcher.append(this.#badge);
    this.#preview = h("button", {
      class: "preview",
      type: "button",
      "data-testid": TESTID.launcherPreview,
      hidden: true,
    });
    this.#identity = h("span", { class: "identity", "data-testid": TESTID.identity, role: "status" });
    this.#title = h("h2", { id: "setchat-title" });
    this.#close = h("button", { type: "button", "data-testid": TESTID.close }, "×");
    this.#main = h("main");
    this.#footer = h("div");
    this.#panel = h(
      "section",
      {
        class: "panel",
        id: "setchat-panel",
        role: "dialog",
        "aria-labelledby": "setchat-title",
        "data-testid": TESTID.panel,
        hidden: true,
      },
      h("header", {}, h("div", { class: "titles" }, this.#title, this.#identity), this.#close),
      this.#main,
      this.#footer,
    );
    this.#root = h("div", { class: "root", lang: locale }, this.#panel, this.#preview, this.#launcher);
    this.#shadow.append(this.#root);
    this.#launcher.addEventListener("click", () => actions.toggle());
    this.#preview.addEventListener("click", () => {
      const id = this.#preview.dataset.conversationId;
      if (id) actions.openUnread(id);
    });
    this.#close.addEventListener("click", () => actions.close());
    this.#panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") actions.close();
    });
  }

  /** Switches language. */
  setLocale(locale: Locale, words: Words): void {
    this.#locale = locale;
    this.#words = words;
    this.#root.lang = locale;
  }

  /** Moves focus into the panel's first field, or to its close button. */
  focusPanel(): void {
    const focusable = this.#panel.querySelector<HTMLElement>("input, textarea, main button");
    (focusable ?? this.#close).focus();
  }

  /** Moves focus back to the launcher. */
  focusLauncher(): void {
    this.#launcher.focus();
  }

  /** Focuses the first element of the panel that matches `selector`. */
  focus(selector: string): void {
    this.#panel.querySelector<HTMLElement>(selector)?.focus();
  }

  /** Shows the whole model; `errorText` above the panel's content. */
  render(model: ViewModel, errorText?: string): void {
    const w = this.#words;
    this.#panel.hidden = !model.open;
    this.#root.classList.toggle("open", model.open);
    this.#launcher.setAttribute("aria-expanded", String(model.open));
    const unread = model.open ? [] : model.unread;
    this.#launcher.setAttribute(
      "aria-label",
      model.open ? w.launcherClose : unread.length ? `${w.launcherOpen} (${w.unread(unread.length)})` : w.launcherOpen,
    );
    this.#badge.hidden = unread.length === 0;
    this.#badge.textContent = String(unread.length);
    const newest = unread[0];
    this.#preview.hidden = !newest;
    this.#preview.replaceChildren();
    if (newest) {
      this.#preview.dataset.conversationId = newest.conversationId;
      this.#preview.append(
        h("strong", {}, newest.message.authorName ?? w.agent),
        h("span", {}, newest.message.text.length > 90 ? newest.message.text.slice(0, 89) + "…" : newest.message.text),
      );
    }
    this.#title.textContent = w.title;
    this.#close.setAttribute("aria-label", w.close);
    const session = model.state.name === "session" || model.state.name === "renewing" ? model.state.session : null;
    const identity = session?.identity;
    const state = identityState(model.state);
    this.#identity.dataset.state = state;
    this.#identity.dataset.verified = String(identity?.verified ?? false);
    this.#identity.textContent = state === "verified"
      ? w.verifiedAs(identity!.name ?? identity!.email ?? identity!.externalUserId ?? "")
      : state === "guest"
      ? w.guest(identity!.name ?? identity!.email ?? "")
      : state === "anonymous"
      ? w.anonymous
      : state === "signed-out"
      ? (model.state.name === "identity-lost" && (model.state.unconfirmed || model.state.reason === "refused")
        ? w.unconfirmedShort
        : w.signedOutShort)
      : w.notSignedIn;
    this.renderMain(model, errorText);
  }

  /** Shows the panel's content only. */
  renderMain(model: ViewModel, errorText?: string): void {
    const w = this.#words;
    const composerFocused = this.#shadow.activeElement?.getAttribute("data-testid") === TESTID.composerInput;
    this.#main.replaceChildren();
    this.#footer.replaceChildren();
    if (errorText) this.#main.append(h("p", { class: "note", role: "alert", "data-testid": TESTID.error }, errorText));
    switch (model.state.name) {
      case "idle":
      case "starting":
        this.#main.append(h("p", { class: "note", "data-testid": TESTID.loading }, w.loading));
        return;
      case "failed":
        this.#main.append(
          h(
            "div",
            { class: "centered" },
            h("p", { role: "alert", "data-testid": TESTID.error }, w.startFailed(model.state.code)),
            this.#button(TESTID.retry, w.retry, true, () => this.#actions.retry()),
          ),
        );
        return;
      case "awaiting-sign-in":
        this.#main.append(
          model.state.unconfirmed
            ? h(
              "div",
              { class: "centered" },
              h("p", { role: "alert" }, w.unconfirmed),
              h("p", { class: "note" }, w.unconfirmedHint),
              this.#button(TESTID.retry, w.retry, true, () => this.#actions.retry()),
            )
            : h(
              "div",
              { class: "centered" },
              h("p", {}, w.signIn),
              h("p", { class: "note" }, w.signInHint),
              ...this.#ways(model.config),
            ),
        );
        return;
      case "identity-lost": {
        // A page that failed to give a token, or a token the server refused, is no sign-out: say what happened.
        const unconfirmed = model.state.unconfirmed || model.state.reason === "refused";
        this.#main.append(
          h(
            "div",
            { class: "centered", "data-testid": TESTID.signedOut },
            h("p", {}, unconfirmed ? w.unconfirmed : w.signedOut),
            h("p", { class: "note" }, unconfirmed ? w.unconfirmedReload : w.signedOutHint),
            ...(unconfirmed ? [] : this.#ways(model.config)),
          ),
        );
        return;
      }
      case "prechat":
        this.#main.append(this.#prechatForm());
        return;
      case "session":
      case "renewing":
        if (model.screen === "conversation" && model.current) this.#conversationView(model, composerFocused);
        else if (model.screen === "ticket") this.#main.append(this.#ticketForm());
        else this.#listView(model);
    }
  }

  #button(testid: string, label: string, primary: boolean, onClick: () => void): HTMLButtonElement {
    const b = h("button", { class: primary ? "primary" : "secondary", type: "button", "data-testid": testid }, label);
    b.addEventListener("click", onClick);
    return b;
  }

  /** The ways forward the page offers a visitor who is not signed in: its sign-in, and a contact. */
  #ways(config: SetChatConfig | undefined): HTMLElement[] {
    const w = this.#words;
    const ways: HTMLElement[] = [];
    if (config?.onSignIn || config?.signInUrl) {
      ways.push(this.#button(TESTID.signIn, w.signInAction, true, () => this.#actions.signIn()));
    }
    const contact = config?.contactUrl;
    if (contact && /^(https?|mailto):/i.test(contact)) {
      ways.push(
        h(
          "p",
          { class: "note" },
          w.cannotSignIn,
          " ",
          h("a", { href: contact, "data-testid": TESTID.contact, target: "_blank", rel: "noopener" }, w.contact),
        ),
      );
    }
    return ways;
  }

  #prechatForm(): HTMLFormElement {
    const w = this.#words;
    const name = h("input", { name: "name", required: true, autocomplete: "name", "data-testid": TESTID.prechatName });
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
      this.#actions.prechat({ name: name.value.trim(), email: email.value.trim() });
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
    const cancel = h("button", { class: "secondary", type: "button", "data-testid": TESTID.ticketCancel }, w.cancel);
    const missing = h("p", { class: "field-error", role: "alert", hidden: true }, w.subjectMissing);
    const form = h(
      "form",
      { class: "stack", "data-testid": TESTID.ticketForm, novalidate: true },
      h("label", {}, w.subject, subject),
      missing,
      h(
        "div",
        { class: "actions" },
        h("button", { class: "primary", type: "submit", "data-testid": TESTID.ticketSubmit }, w.createTicket),
        cancel,
      ),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      missing.hidden = subject.value.trim() !== "";
      subject.setAttribute("aria-invalid", String(!missing.hidden));
      if (missing.hidden) this.#actions.createTicket(subject.value.trim());
      else subject.focus();
    });
    cancel.addEventListener("click", () => this.#actions.showScreen("list"));
    queueMicrotask(() => subject.focus());
    return form;
  }

  #listView(model: ViewModel): void {
    const w = this.#words;
    const verified = identityState(model.state) === "verified";
    const button = (testid: string, label: string, primary: boolean, onClick: () => void) =>
      this.#button(testid, label, primary, onClick);
    const actions = h(
      "div",
      { class: "actions" },
      button(TESTID.newChat, w.newChat, true, () => this.#actions.newChat()),
      button(TESTID.newTicket, w.newTicket, false, () => this.#actions.showScreen("ticket")),
      button(TESTID.newFlow, w.newFlow, false, () => this.#actions.newFlow()),
    );
    const list = h("ul", {
      class: "list",
      "data-testid": TESTID.conversationList,
      "aria-labelledby": "setchat-history",
    });
    for (const c of model.conversations) {
      const label = c.subject ?? (c.kind === "ticket" ? w.ticket : c.kind === "flow" ? w.flow : w.chat);
      const last = c.lastMessage;
      const item = h(
        "button",
        { class: "item", type: "button", "data-testid": TESTID.conversationItem, "data-conversation-id": c.id },
        h(
          "span",
          { class: "row" },
          h("strong", {}, label),
          c.verified ? h("span", { class: "mark", title: w.verified }, `✔ ${w.verified}`) : null,
          h("time", { datetime: last?.createdAt ?? c.updatedAt }, when(last?.createdAt ?? c.updatedAt, this.#locale)),
        ),
        h(
          "span",
          { class: "last" },
          last ? `${last.author === "visitor" ? w.you : last.authorName ?? w.agent}: ${last.text}` : w.noMessage,
        ),
      );
      item.addEventListener("click", () => this.#actions.openConversation(c.id));
      list.append(h("li", {}, item));
    }
    this.#main.append(actions, h("h3", { id: "setchat-history" }, w.history));
    if (model.conversations.length) this.#main.append(list);
    else if (verified) this.#main.append(h("p", { class: "empty", "data-testid": TESTID.empty }, w.empty));
    else {
      this.#main.append(
        h(
          "div",
          { class: "empty", "data-testid": TESTID.empty },
          h("p", {}, w.emptyHere),
          h("p", {}, w.notVerifiedWhy),
        ),
      );
    }
    if (offersForget(model.state)) {
      const forget = h("button", { class: "link", type: "button", "data-testid": TESTID.reset }, w.forget);
      forget.addEventListener("click", () => this.#actions.forget());
      this.#main.append(forget);
    }
  }

  #conversationView(model: ViewModel, composerFocused: boolean): void {
    const w = this.#words;
    const back = h("button", { class: "back", type: "button", "data-testid": TESTID.back }, `← ${w.back}`);
    back.addEventListener("click", () => this.#actions.back());
    this.#main.append(back);
    if (!model.current?.conversation.id) this.#main.append(h("p", { class: "msg greeting" }, w.greeting));
    this.#main.append(h("ol", { class: "messages", "data-testid": TESTID.messageList, "aria-live": "polite" }));
    this.renderMessages(model.current?.messages ?? []);
    const input = h("textarea", {
      "aria-label": w.message,
      placeholder: w.message,
      maxlength: "4000",
      "data-testid": TESTID.composerInput,
    });
    input.value = this.draft;
    input.addEventListener("input", () => (this.draft = input.value));
    const send = h("button", { type: "submit", "data-testid": TESTID.composerSend }, w.send);
    const form = h("form", { class: "composer", "data-testid": TESTID.composer }, input, send);
    const submit = async () => {
      const text = input.value;
      input.value = "";
      this.draft = "";
      if (!(await this.#actions.send(text))) {
        input.value = text;
        this.draft = text;
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
    this.#footer.append(form);
    if (composerFocused) input.focus();
  }

  /** Shows the open conversation's messages, scrolled to the newest. */
  renderMessages(messages: Message[]): void {
    const list = this.#main.querySelector("ol.messages");
    if (!list) return;
    const w = this.#words;
    list.replaceChildren(
      ...messages.map((m) =>
        h(
          "li",
          { class: "msg", "data-testid": TESTID.message, "data-author": m.author, "data-message-id": m.id },
          h(
            "span",
            { class: "who" },
            m.author === "visitor" ? w.you : m.authorName ?? w.agent,
            " · ",
            h("time", { datetime: m.createdAt }, when(m.createdAt, this.#locale, true)),
          ),
          m.text,
        )
      ),
    );
    this.#main.scrollTop = this.#main.scrollHeight;
  }
}
