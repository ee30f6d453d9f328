/**
 * Draws the widget from a scene: a launcher and a panel, with the
 * `data-testid` hooks docs/widget.md lists. Every text is set as text.
 */
import type { ChatConversation, ChatMessage, Identity } from "./client.ts";
import type { FormData } from "./keeper.ts";
import type { Phase } from "./widget.ts";

/** Everything the panel shows. */
export interface Scene {
  open: boolean;
  phase: Phase;
  identity: Identity | null;
  screen: "history" | "ticket" | "chat";
  history: ChatConversation[];
  chat: { conversation: ChatConversation | null; messages: ChatMessage[] } | undefined;
  draft: string;
  problem: string | undefined;
  offerForget: boolean;
  /** The planted mistake: messages drawn as HTML. */
  htmlMessages: boolean;
  /** The planted mistake: names drawn as HTML, event handlers dropped. */
  htmlNames: boolean;
}

/** What the visitor can do. */
export interface Actions {
  toggle(): void;
  close(): void;
  forget(): void;
  form(data: FormData): void;
  newChat(): void;
  newTicket(): void;
  newFlow(): void;
  ticket(subject: string): void;
  cancel(): void;
  pick(id: string): void;
  back(): void;
  typed(text: string): void;
  send(text: string): Promise<boolean>;
}

/** The panel's look. */
export const CSS = `
:host { all: initial; }
.sc { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; font: 14px/1.4 system-ui, sans-serif; color: #1b1b1f; }
.sc-launcher { width: 52px; height: 52px; border-radius: 26px; border: 0; background: #5b2a86; color: #fff; cursor: pointer; font-size: 22px; }
.sc-panel { position: absolute; right: 0; bottom: 64px; width: 340px; max-height: 520px; display: flex; flex-direction: column;
  background: #fff; border: 1px solid #ddd; border-radius: 10px; box-shadow: 0 8px 24px #0003; overflow: hidden; }
.sc-panel[hidden] { display: none; }
.sc-top { display: flex; justify-content: space-between; align-items: start; padding: 10px 12px; background: #f4effa; }
.sc-who { display: block; font-size: 12px; color: #555; }
.sc-body { padding: 10px 12px; overflow: auto; display: flex; flex-direction: column; gap: 8px; }
.sc-body ul, .sc-body ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
.sc-row { width: 100%; text-align: left; border: 1px solid #e3e3e3; background: #fff; border-radius: 6px; padding: 6px 8px; cursor: pointer; }
.sc-msg { padding: 6px 8px; border-radius: 6px; background: #f2f2f2; white-space: pre-wrap; overflow-wrap: anywhere; }
.sc-msg[data-author="visitor"] { background: #ece3f7; }
.sc-tools { display: flex; gap: 6px; flex-wrap: wrap; }
.sc-compose { display: flex; gap: 6px; padding: 8px 12px; border-top: 1px solid #eee; }
.sc-compose textarea { flex: 1; resize: none; }
@media (max-width: 480px) { .sc-panel { position: fixed; inset: 0; width: auto; max-height: none; border-radius: 0; } }
`;

const WORDS = {
  en: {
    open: "Open the chat",
    title: "Messages",
    close: "Close the chat",
    loading: "One moment…",
    signIn: "Please sign in on the site to chat.",
    signedOut: "You are signed out. Sign in again to see your conversations.",
    formIntro: "Who are we talking to?",
    name: "Your name",
    email: "Your email",
    go: "Go",
    newChat: "Write to us",
    newTicket: "Open a ticket",
    newFlow: "Getting started",
    empty: "Nothing here yet.",
    forget: "Forget me on this browser",
    subject: "Subject",
    create: "Open it",
    cancel: "Never mind",
    back: "All conversations",
    message: "Your message",
    send: "Send",
    you: "You",
    team: "Support",
    verified: (who: string) => `Signed in as ${who}`,
    guest: (who: string) => `${who} (not verified)`,
    anonymous: "Guest on this browser",
    notSignedIn: "Not signed in",
    out: "Signed out",
    problem: "That did not work. Try again.",
  },
  fr: {
    open: "Ouvrir la discussion",
    title: "Messages",
    close: "Fermer la discussion",
    loading: "Un instant…",
    signIn: "Connectez-vous sur le site pour discuter.",
    signedOut: "Vous êtes déconnecté. Reconnectez-vous pour voir vos conversations.",
    formIntro: "À qui parlons-nous ?",
    name: "Votre nom",
    email: "Votre e-mail",
    go: "C'est parti",
    newChat: "Nous écrire",
    newTicket: "Ouvrir un ticket",
    newFlow: "Bien démarrer",
    empty: "Rien pour l'instant.",
    forget: "M'oublier sur ce navigateur",
    subject: "Objet",
    create: "Ouvrir",
    cancel: "Annuler",
    back: "Toutes les conversations",
    message: "Votre message",
    send: "Envoyer",
    you: "Vous",
    team: "Support",
    verified: (who: string) => `Connecté en tant que ${who}`,
    guest: (who: string) => `${who} (non vérifié)`,
    anonymous: "Invité sur ce navigateur",
    notSignedIn: "Non connecté",
    out: "Déconnecté",
    problem: "Cela n'a pas marché. Réessayez.",
  },
};

type Words = typeof WORDS.en;

let words: Words = WORDS.en;

/** Chooses the words: `locale`, else the browser's language. */
export function speak(locale: string | undefined): void {
  const chosen = locale ?? (navigator.language.toLowerCase().startsWith("fr") ? "fr" : "en");
  words = chosen === "fr" ? WORDS.fr : WORDS.en;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string> = {},
  ...kids: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) node.setAttribute(name, value);
  node.append(...kids);
  return node;
}

function button(testid: string, label: string, onClick: () => void, cls = ""): HTMLButtonElement {
  const b = el("button", { type: "button", "data-testid": testid, ...(cls ? { class: cls } : {}) }, label);
  b.addEventListener("click", onClick);
  return b;
}

function identityLine(scene: Scene): HTMLElement {
  const who = scene.identity;
  const state = scene.phase === "signed-out"
    ? "signed-out"
    : !who
    ? "none"
    : who.verified
    ? "verified"
    : who.name || who.email
    ? "guest"
    : "anonymous";
  const label = state === "verified"
    ? words.verified(who!.name ?? who!.email ?? who!.externalUserId ?? "")
    : state === "guest"
    ? words.guest(who!.name ?? who!.email ?? "")
    : state === "anonymous"
    ? words.anonymous
    : state === "signed-out"
    ? words.out
    : words.notSignedIn;
  const line = el("span", {
    class: "sc-who",
    "data-testid": "setchat-identity",
    "data-state": state,
    "data-verified": String(!!who?.verified),
  }, label);
  if (scene.htmlNames) line.innerHTML = label.replace(/\son\w+=("[^"]*"|'[^']*'|\S+)/g, "");
  return line;
}

function historyView(scene: Scene, act: Actions): Node[] {
  const out: Node[] = [
    el(
      "div",
      { class: "sc-tools" },
      button("setchat-new-chat", words.newChat, act.newChat),
      button("setchat-new-ticket", words.newTicket, act.newTicket),
      button("setchat-new-flow", words.newFlow, act.newFlow),
    ),
  ];
  if (scene.history.length === 0) out.push(el("p", { "data-testid": "setchat-empty" }, words.empty));
  else {
    const list = el("ul", { "data-testid": "setchat-conversation-list" });
    for (const c of scene.history) {
      const title = c.subject ??
        (c.kind === "flow" ? words.newFlow : c.kind === "ticket" ? words.newTicket : words.newChat);
      const row = el(
        "button",
        {
          type: "button",
          class: "sc-row",
          "data-testid": "setchat-conversation-item",
          "data-conversation-id": c.id,
        },
        el("strong", {}, title),
        el("br"),
        c.lastMessage ? c.lastMessage.text : "",
      );
      row.addEventListener("click", () => act.pick(c.id));
      list.append(el("li", {}, row));
    }
    out.push(list);
  }
  if (scene.offerForget) out.push(button("setchat-reset", words.forget, act.forget));
  return out;
}

function message(m: ChatMessage, html: boolean): HTMLElement {
  const li = el("li", {
    class: "sc-msg",
    "data-testid": "setchat-message",
    "data-author": m.author,
    "data-message-id": m.id,
  });
  const who = el("b", {}, `${m.author === "visitor" ? words.you : m.authorName ?? words.team}: `);
  if (html) {
    li.innerHTML = m.text;
    li.prepend(who);
  } else li.append(who, m.text);
  return li;
}

function chatView(scene: Scene, act: Actions): { body: Node[]; foot: Node | null } {
  const list = el("ol", { "data-testid": "setchat-message-list" });
  for (const m of scene.chat?.messages ?? []) list.append(message(m, scene.htmlMessages));
  const input = el("textarea", { "data-testid": "setchat-composer-input", "aria-label": words.message, rows: "2" });
  input.value = scene.draft;
  input.addEventListener("input", () => act.typed(input.value));
  const form = el(
    "form",
    { class: "sc-compose", "data-testid": "setchat-composer" },
    input,
    el("button", { type: "submit", "data-testid": "setchat-composer-send" }, words.send),
  );
  const submit = async () => {
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    act.typed("");
    if (!(await act.send(text))) {
      input.value = text;
      act.typed(text);
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
  return { body: [button("setchat-back", `← ${words.back}`, act.back), list], foot: form };
}

function ticketView(act: Actions): Node[] {
  const subject = el("input", { "data-testid": "setchat-ticket-subject", "aria-label": words.subject, required: "" });
  const form = el(
    "form",
    { "data-testid": "setchat-ticket-form" },
    el("label", {}, words.subject, subject),
    el("button", { type: "submit", "data-testid": "setchat-ticket-submit" }, words.create),
    button("setchat-ticket-cancel", words.cancel, act.cancel),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (subject.value.trim()) act.ticket(subject.value.trim());
  });
  return [form];
}

function prechatView(act: Actions): Node[] {
  const name = el("input", { "data-testid": "setchat-prechat-name", "aria-label": words.name, required: "" });
  const email = el("input", {
    "data-testid": "setchat-prechat-email",
    "aria-label": words.email,
    type: "email",
    required: "",
  });
  const form = el(
    "form",
    { "data-testid": "setchat-prechat" },
    el("p", {}, words.formIntro),
    name,
    email,
    el("button", { type: "submit", "data-testid": "setchat-prechat-submit" }, words.go),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (form.reportValidity()) act.form({ name: name.value.trim(), email: email.value.trim() });
  });
  return [form];
}

/** Draws `scene` into `root`, keeping the composer's focus. */
export function draw(root: ShadowRoot, scene: Scene, act: Actions): void {
  const focused = (root.activeElement as HTMLElement | null)?.getAttribute("data-testid");
  let body: Node[] = [];
  let foot: Node | null = null;
  if (scene.problem) body.push(el("p", { "data-testid": "setchat-error", role: "alert" }, words.problem));
  switch (scene.phase) {
    case "idle":
    case "starting":
      body.push(el("p", { "data-testid": "setchat-loading" }, words.loading));
      // What is already loaded stays in view while the rest comes.
      if (scene.history.length) body.push(...historyView(scene, act));
      break;
    case "awaiting-sign-in":
      body.push(el("p", {}, words.signIn));
      break;
    case "signed-out":
      body.push(el("div", { "data-testid": "setchat-signed-out" }, el("p", {}, words.signedOut)));
      break;
    case "prechat":
      body.push(...prechatView(act));
      break;
    default:
      if (scene.screen === "chat" && scene.chat) {
        const view = chatView(scene, act);
        body = [...body, ...view.body];
        foot = view.foot;
      } else if (scene.screen === "ticket") body.push(...ticketView(act));
      else body.push(...historyView(scene, act));
  }
  const launcher = button("setchat-launcher", "💬", act.toggle, "sc-launcher");
  launcher.setAttribute("aria-expanded", String(scene.open));
  launcher.setAttribute("aria-label", words.open);
  const panel = el(
    "section",
    { class: "sc-panel", role: "dialog", "aria-label": words.title, "data-testid": "setchat-panel" },
    el(
      "header",
      { class: "sc-top" },
      el("div", {}, el("strong", {}, words.title), identityLine(scene)),
      button("setchat-close", "×", act.close, "sc-x"),
    ),
    el("div", { class: "sc-body" }, ...body),
    ...(foot ? [foot] : []),
  );
  panel.hidden = !scene.open;
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") act.close();
  });
  const frame = root.querySelector(".sc") ?? root.appendChild(el("div", { class: "sc" }));
  frame.replaceChildren(panel, launcher);
  if (focused) root.querySelector<HTMLElement>(`[data-testid="${focused}"]`)?.focus();
}
