/**
 * The demo's agent console: the site's conversations, each with its visitor's
 * verified and non-verified data side by side, and a reply box. It talks to
 * the demo's backend, which holds the admin token.
 */
import type { AgentConversation, Visitor } from "../src/contract/agent.ts";
import type { Message } from "../src/contract/widget.ts";

const $ = (id: string) => document.getElementById(id)!;
let selected: string | null = null;
let lastRendered = "";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attrs: Record<string, string> = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/demo/api/agent${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.detail ?? data.error ?? res.statusText);
  return data as T;
}

const METHOD_NAMES: Record<string, string> = {
  visitor_token: "verified",
  client_user_data: "client data",
  prechat_form: "pre-chat form",
  anonymous: "anonymous",
};

async function loadInbox() {
  const { conversations } = await api<{ conversations: AgentConversation[] }>("GET", "/conversations");
  const list = $("inbox");
  list.replaceChildren();
  if (conversations.length === 0) list.append(el("li", "No conversations yet: write one from the Acme page."));
  for (const c of conversations) {
    const b = el("button", undefined, {
      type: "button",
      "data-testid": "agent-conversation",
      "aria-current": String(c.id === selected),
    });
    const title = `${c.subject ?? c.kind} · ${METHOD_NAMES[c.identityMethod]}${
      c.workspace ? ` · ${c.workspace.externalId}` : ""
    }`;
    b.append(el("strong", title), el("span", c.lastMessage?.text ?? "(no message yet)"));
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

function dataList(entries: [string, unknown][]): HTMLDListElement {
  const dl = el("dl");
  for (const [k, v] of entries) {
    dl.append(
      el("dt", k),
      el("dd", v === null || v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v)),
    );
  }
  return dl;
}

function visitorCard(v: Visitor): HTMLElement {
  const card = el("div", undefined, { class: "visitor", "data-testid": "agent-visitor" });
  card.append(el("h3", "Verified (from the visitor token)"));
  const verified = el("div", undefined, { class: "box verified", "data-testid": "agent-verified" });
  verified.append(
    v.verified
      ? dataList([["user id", v.externalUserId], ["name", v.name], ["email", v.email], ["provider", v.provider], [
        "custom_data",
        v.custom_data,
      ]])
      : el("p", "Not verified: nothing here is proven."),
  );
  card.append(verified, el("h3", "Not verified (from the browser)"));
  const unverified = el("div", undefined, { class: "box unverified", "data-testid": "agent-unverified" });
  unverified.append(dataList([
    ["name", v.non_verified?.name],
    ["email", v.non_verified?.email],
    ["claimed user id", v.non_verified?.externalUserId],
    ["source", v.non_verified?.source],
    ["non_verified_custom_data", v.non_verified_custom_data],
  ]));
  card.append(unverified);
  return card;
}

async function loadThread() {
  const thread = $("thread");
  if (!selected) return;
  const detail = await api<{ conversation: AgentConversation; messages: Message[]; visitor: Visitor }>(
    "GET",
    `/conversations/${selected}`,
  );
  const signature = JSON.stringify([detail.messages.length, detail.visitor.updatedAt]);
  if (signature === lastRendered) return;
  lastRendered = signature;
  const msgs = el("ol", undefined, { class: "msgs", "data-testid": "agent-messages" });
  for (const m of detail.messages) {
    const li = el("li", undefined, { "data-author": m.author });
    li.append(el("small", `${m.authorName ?? m.author} · ${new Date(m.createdAt).toLocaleTimeString()}`), m.text);
    msgs.append(li);
  }
  const typed = (thread.querySelector("textarea") as HTMLTextAreaElement | null)?.value ?? "";
  const text = el("textarea", undefined, {
    "aria-label": "Reply",
    placeholder: "Reply as Acme support",
    "data-testid": "agent-reply-input",
  }) as HTMLTextAreaElement;
  text.value = typed;
  const form = el("form", undefined, { class: "reply" });
  form.append(text, el("button", "Send", { class: "primary", type: "submit", "data-testid": "agent-reply-send" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    await api("POST", `/conversations/${selected}/messages`, { text: text.value });
    text.value = "";
    lastRendered = "";
    await refresh();
  });
  const left = el("div");
  left.append(
    el("h2", detail.conversation.subject ?? `${detail.conversation.kind} ${detail.conversation.id}`),
    msgs,
    form,
  );
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
