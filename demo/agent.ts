/**
 * The demo's agent console: the site's conversations, each with its visitor's
 * verified and non-verified data side by side, and a reply box. It talks to
 * the demo's backend, which holds the admin token.
 */
import type { AgentConversation, Visitor } from "../src/contract/agent.ts";
import type { Message } from "../src/contract/widget.ts";
import { byId as $, demoApi, el, shortTime } from "./dom.ts";

type Detail = { conversation: AgentConversation; messages: Message[]; visitor: Visitor };

let selected: string | null = null;
let lastRendered = "";
/** Each conversation's visitor, fetched once: the listing does not carry it. */
const visitors = new Map<string, Visitor>();

function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return demoApi<T>(method, `/agent${path}`, body);
}

const METHOD_NAMES: Record<string, string> = {
  visitor_token: "verified",
  client_user_data: "client data",
  prechat_form: "pre-chat form",
  anonymous: "anonymous",
};

/** Where a conversation stands for the agents: whose turn it is. */
export function statusOf(last: Message | null): { label: string; waiting: boolean } {
  if (!last) return { label: "No message yet", waiting: false };
  return last.author === "visitor"
    ? { label: "Waiting for a reply", waiting: true }
    : { label: "Answered", waiting: false };
}

/** Who the visitor is, as an agent would name them, and whether that is proven. */
function who(v: Visitor | undefined): { name: string; email: string | null; verified: boolean } {
  if (!v) return { name: "…", email: null, verified: false };
  if (v.verified) return { name: v.name ?? v.email ?? v.externalUserId ?? v.id, email: v.email, verified: true };
  const said = v.non_verified;
  if (said?.name || said?.email) {
    return { name: `${said.name ?? said.email} (not verified)`, email: said.name ? said.email : null, verified: false };
  }
  return { name: "Anonymous visitor", email: null, verified: false };
}

async function loadInbox() {
  const { conversations } = await api<{ conversations: AgentConversation[] }>("GET", "/conversations");
  const unknown = conversations.filter((c) => !visitors.has(c.id)).slice(0, 20);
  await Promise.all(unknown.map(async (c) => {
    const detail = await api<Detail>("GET", `/conversations/${c.id}`).catch(() => null);
    if (detail) visitors.set(c.id, detail.visitor);
  }));
  const list = $("inbox");
  list.replaceChildren();
  if (conversations.length === 0) list.append(el("li", "No conversations yet: write one from the Acme page."));
  for (const c of conversations) {
    const b = el("button", undefined, {
      type: "button",
      "data-testid": "agent-conversation",
      "aria-current": String(c.id === selected),
    });
    const person = who(visitors.get(c.id));
    const head = el("span", undefined, { class: "row" });
    const status = statusOf(c.lastMessage);
    head.append(
      el("strong", person.name),
      el("span", status.label, { class: `status${status.waiting ? " waiting" : ""}`, "data-testid": "agent-status" }),
      el("time", shortTime(c.lastMessage?.createdAt ?? c.updatedAt)),
    );
    const meta = [c.subject ?? c.kind, METHOD_NAMES[c.identityMethod], c.workspace?.externalId]
      .filter(Boolean).join(" · ");
    b.append(
      head,
      el("small", person.email ? `${person.email} · ${meta}` : meta),
      el("span", c.lastMessage?.text ?? "(no message yet)"),
    );
    b.addEventListener("click", () => {
      selected = c.id;
      lastRendered = "";
      void refresh();
    });
    const li = el("li");
    li.append(b);
    list.append(li);
  }
}

/** A value of custom data: text as it is, anything else as indented JSON. */
function value(v: unknown): HTMLElement {
  if (v === null || v === undefined) return el("span", "—");
  if (typeof v === "string") return el("span", v);
  return el("pre", JSON.stringify(v, null, 2));
}

function dataList(entries: [string, unknown][]): HTMLDListElement {
  const dl = el("dl");
  for (const [k, v] of entries) {
    const dd = el("dd");
    dd.append(value(v));
    dl.append(el("dt", k), dd);
  }
  return dl;
}

function visitorCard(v: Visitor): HTMLElement {
  const card = el("div", undefined, { class: "visitor", "data-testid": "agent-visitor" });
  card.append(el("h3", "Verified · visitor token"));
  // Green only for what a visitor token proved: an empty proof is no good news.
  const verified = el("div", undefined, {
    class: `box ${v.verified ? "verified" : "none"}`,
    "data-testid": "agent-verified",
  });
  verified.append(
    v.verified
      ? dataList([
        ["user id", v.externalUserId],
        ["name", v.name],
        ["email", v.email],
        ["provider", v.provider],
        ["custom data", v.custom_data],
      ])
      : el("p", "Not verified: nothing here is proven."),
  );
  card.append(verified, el("h3", "Not verified · from the browser"));
  const unverified = el("div", undefined, { class: "box unverified", "data-testid": "agent-unverified" });
  unverified.append(dataList([
    ["name", v.non_verified?.name],
    ["email", v.non_verified?.email],
    ["claimed user id", v.non_verified?.externalUserId],
    ["source", v.non_verified?.source],
    ["custom data", v.non_verified_custom_data],
  ]));
  card.append(unverified);
  return card;
}

async function loadThread() {
  const thread = $("thread");
  if (!selected) return;
  const detail = await api<Detail>("GET", `/conversations/${selected}`);
  visitors.set(detail.conversation.id, detail.visitor);
  const signature = JSON.stringify([detail.messages.length, detail.visitor.updatedAt]);
  if (signature === lastRendered) return;
  lastRendered = signature;
  const msgs = el("ol", undefined, { class: "msgs", "data-testid": "agent-messages" });
  for (const m of detail.messages) {
    const li = el("li", undefined, { "data-author": m.author });
    li.append(el("small", `${m.authorName ?? m.author} · ${shortTime(m.createdAt)}`), m.text);
    msgs.append(li);
  }
  const typed = (thread.querySelector("textarea") as HTMLTextAreaElement | null)?.value ?? "";
  const text = el("textarea", undefined, {
    "aria-label": "Reply",
    placeholder: "Reply as Acme support",
    "data-testid": "agent-reply-input",
  });
  text.value = typed;
  const form = el("form", undefined, { class: "reply" });
  const missing = el("p", "Write a reply first.", { class: "missing", role: "alert", hidden: "" });
  form.append(
    text,
    el("button", "Send", { class: "primary", type: "submit", "data-testid": "agent-reply-send" }),
    missing,
  );
  text.addEventListener("input", () => (missing.hidden = true));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    missing.hidden = text.value.trim() !== "";
    if (!missing.hidden) return text.focus();
    await api("POST", `/conversations/${selected}/messages`, { text: text.value });
    text.value = "";
    lastRendered = "";
    await refresh();
  });
  const c = detail.conversation;
  const person = who(detail.visitor);
  const heading = el("header", undefined, { class: "thread-head" });
  heading.append(
    el("h2", person.name, { "data-testid": "agent-thread-title" }),
    el(
      "small",
      [
        person.email,
        c.subject ?? c.kind,
        METHOD_NAMES[c.identityMethod],
        c.workspace?.externalId,
        statusOf(
          detail.messages.at(-1) ?? null,
        ).label,
      ].filter(Boolean).join(" · "),
    ),
  );
  const left = el("div", undefined, { class: "conversation" });
  left.append(heading, msgs, form);
  const grid = el("div", undefined, { class: "thread-grid" });
  grid.append(left, visitorCard(detail.visitor));
  thread.replaceChildren(grid);
  msgs.scrollTop = msgs.scrollHeight;
}

async function refresh() {
  try {
    await loadInbox();
    await loadThread();
  } catch (error) {
    $("thread").replaceChildren(el("p", String(error), { class: "sub" }));
  }
}

void refresh();
setInterval(() => void refresh(), 2000);
