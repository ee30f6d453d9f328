/**
 * The Acme demo page: a customer's product embedding the SetChat widget in
 * one of the four identity modes. Acme's "backend" is the demo's server side
 * (`/demo/api/*`): it signs people in and mints their visitor tokens.
 */
import type { SetChatApi, SetChatConfig } from "../widget/mod.ts";
import { byId as $, demoApi as api, el } from "./dom.ts";

declare const SetChat: SetChatApi;

interface DemoUser {
  id: string;
  name: string;
  email: string;
  plan: string;
  role: string;
}
interface Me {
  user: DemoUser | null;
  users: DemoUser[];
  workspaces: { id: string; name: string }[];
  siteApiKey: string | null;
}
type Mode = "verified" | "client" | "prechat" | "anonymous";

const MODES: { id: Mode; title: string; detail: string; verified: boolean }[] = [
  {
    id: "verified",
    title: "Verified (visitor token)",
    detail: "Acme's backend mints a visitor token server to server.",
    verified: true,
  },
  {
    id: "client",
    title: "Client-side user data",
    detail: "The page passes user: { name, email, customData }.",
    verified: false,
  },
  { id: "prechat", title: "Pre-chat form", detail: "The visitor types a name and an email.", verified: false },
  {
    id: "anonymous",
    title: "Anonymous",
    detail: "The page gives no identity: a device credential, and a pre-chat form's answers if this browser gave some.",
    verified: false,
  },
];

let me: Me;
let mode: Mode = (localStorage.getItem("acme-demo-mode") as Mode | null) ?? "verified";
let workspace = localStorage.getItem("acme-demo-workspace") ?? "acme-eu";

function log(text: string, className = "") {
  const item = el("li", `${new Date().toLocaleTimeString()} ${text}`, className ? { class: className } : {});
  $("events").prepend(item);
}

/** The widget configuration for the chosen mode, as an Acme developer would write it. */
function widgetConfig(): SetChatConfig {
  const base: SetChatConfig = { siteApiKey: me.siteApiKey!, workspace: { externalId: workspace } };
  const user = me.user;
  switch (mode) {
    case "verified":
      return {
        ...base,
        // Called at start and whenever the token is about to expire; null when signed out.
        getVisitorToken: async () => {
          if (!me.user) return null;
          const { token } = await api<{ token: string }>("POST", "/visitor-token", { workspace });
          return token;
        },
        user: { customData: { theme: "dark", page: location.pathname } },
        // A visitor who is not signed in is shown the page's own sign-in, and a way to reach a person without one.
        onSignIn: () => document.querySelector<HTMLButtonElement>("#account button")?.focus(),
        contactUrl: "mailto:support@acme.example",
      };
    case "client":
      return user
        ? {
          ...base,
          user: { name: user.name, email: user.email, externalUserId: user.id, customData: { plan: user.plan } },
        }
        : base;
    case "prechat":
      return { ...base, collectUserData: true };
    case "anonymous":
      return base;
  }
}

function renderAccount() {
  const box = $("account");
  box.replaceChildren();
  $("greeting").textContent = me.user ? `, ${me.user.name.split(" ")[0]}` : "";
  if (me.user) {
    const avatar = el("span", me.user.name.split(" ").map((p) => p[0]).join(""), {
      class: "avatar",
      "aria-hidden": "true",
    });
    const out = el("button", "Sign out", { type: "button", "data-testid": "demo-sign-out" });
    out.addEventListener("click", () => void signOut());
    box.append(avatar, el("span", me.user.name, { "data-testid": "demo-user" }), out);
    return;
  }
  box.append(el("span", "Sign in as"));
  for (const u of me.users) {
    const b = el("button", u.name.split(" ")[0], { type: "button", "data-testid": `demo-sign-in-${u.id}` });
    b.addEventListener("click", () => void signIn(u.id));
    box.append(b);
  }
}

function renderModes() {
  const set = $("modes");
  set.replaceChildren(el("legend", "How the page identifies the visitor", { class: "sr-only" }));
  for (const m of MODES) {
    const input = el("input", undefined, {
      type: "radio",
      name: "mode",
      value: m.id,
      "data-testid": `demo-mode-${m.id}`,
    });
    (input as HTMLInputElement).checked = m.id === mode;
    input.addEventListener("change", () => void changeMode(m.id));
    const text = el("span");
    const title = el("strong", m.title);
    title.append(el("span", m.verified ? "verified" : "not verified", { class: `badge ${m.verified ? "yes" : "no"}` }));
    text.append(title, el("small", m.detail));
    const label = el("label", undefined, { class: "mode" });
    label.append(input, text);
    set.append(label);
  }
  const explain = $("explain");
  explain.replaceChildren();
  const ws = me.workspaces.find((w) => w.id === workspace)?.name ?? workspace;
  const who = me.user?.name ?? "nobody";
  const lines: Record<Mode, string[]> = {
    verified: me.user
      ? [
        `The widget is verified as ${who} in ${ws}.`,
        `It shows ${who}'s conversations started through a verified session in ${ws}, on any device.`,
      ]
      : [
        "Nobody is signed in to Acme: getVisitorToken() returns null, so the widget asks the visitor to sign in and shows no conversation.",
      ],
    client: [
      me.user ? `The page tells the widget it is ${who}, but a page can say anything.` : "Nobody is signed in.",
      `The widget is not verified: it shows only conversations started on this device in ${ws}, and none of the verified ones.`,
    ],
    prechat: [
      "The visitor types a name and an email; they are kept as non-verified data.",
      `The widget shows only this device's conversations in ${ws}, never a verified user's, whatever email is typed.`,
    ],
    anonymous: [
      `The page gives the widget no identity. It knows this browser's device credential, and the name and email typed in a pre-chat form on this browser, if any (kept until "Forget me"): never verified either way.`,
      `It shows this device's conversations in ${ws} only.`,
    ],
  };
  for (const line of lines[mode]) explain.append(el("p", line));
}

function renderWorkspaces() {
  const select = $("workspace") as HTMLSelectElement;
  select.replaceChildren(...me.workspaces.map((w) => el("option", w.name, { value: w.id })));
  select.value = workspace;
}

async function applyWidget() {
  renderModes();
  if (!me.siteApiKey) {
    log("The demo cannot find the tenant's credentials: see the server's output.", "lost");
    return;
  }
  await SetChat.init(widgetConfig());
  // Nobody signed in yet is not a loss of identity: say so plainly.
  if (SetChat.state().phase === "awaiting-sign-in") log("widget: waiting for an Acme sign-in (no visitor token yet)");
}

async function signIn(userId: string) {
  // Switching user on a shared browser: the previous person is signed out of the chat first.
  if (me.user) await SetChat.reset();
  me.user = (await api<{ user: DemoUser }>("POST", "/login", { userId })).user;
  log(`Acme: signed in as ${me.user.name}`);
  renderAccount();
  await applyWidget();
}

async function signOut() {
  await api("POST", "/logout", {});
  // Logout: the widget ends its session and forgets this browser's device credential.
  await SetChat.reset();
  log(`Acme: signed out ${me.user?.name ?? ""}`);
  me.user = null;
  renderAccount();
  await applyWidget();
}

async function changeMode(next: Mode) {
  mode = next;
  localStorage.setItem("acme-demo-mode", mode);
  await applyWidget();
}

async function main() {
  me = await api<Me>("GET", "/me");
  if (!me.workspaces.some((w) => w.id === workspace)) workspace = me.workspaces[0]!.id;
  SetChat.on("identity", ({ identity }) =>
    log(
      identity.verified
        ? `identity: verified as ${identity.externalUserId}`
        : `identity: ${identity.method.replace(/_/g, " ")}, not verified`,
    ));
  SetChat.on("identity-lost", ({ reason }) => log(`identity-lost: ${reason}`, "lost"));
  SetChat.on("reset", () => log("reset: session ended, device forgotten"));
  SetChat.on("message", ({ message }) => log(`message from ${message.authorName ?? message.author}`));
  SetChat.on("error", ({ code }) => log(`error: ${code}`, "lost"));
  ($("workspace") as HTMLSelectElement).addEventListener("change", (e) => {
    workspace = (e.target as HTMLSelectElement).value;
    localStorage.setItem("acme-demo-workspace", workspace);
    void applyWidget();
  });
  renderAccount();
  renderWorkspaces();
  await applyWidget();
}

void main();
