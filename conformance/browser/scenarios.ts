/**
 * What a person sees: each scenario drives the widget on one or more devices
 * (fresh browser contexts) and asserts what is and is not on screen.
 */
import type { ClauseId } from "../clauses.ts";
import { type Surface, SURFACES } from "../levels.ts";
import type { Need } from "../fixture_schema.ts";
import type { Target } from "../target.ts";
import { type Device, ensure } from "./device.ts";
import type { HostOptions, HostPage } from "./host.ts";

/** What a scenario gets to work with. */
export interface ScenarioContext {
  target: Target;
  host: HostPage;
  /** Fresh for each scenario: users, emails and workspaces never collide. */
  unique: string;
  /** A new device; `clock` lets the scenario move the page's time. */
  device(name: string, options?: { clock?: boolean }): Promise<Device>;
  /** Runs and records one step. */
  step<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** The agent API, with the tenant admin token. */
  agent(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** One browser scenario. */
export interface Scenario {
  id: string;
  title: string;
  clause: ClauseId;
  tags: string[];
  needs: Need[];
  run(ctx: ScenarioContext): Promise<void>;
}

/** The surfaces a scenario needs: the widget, the browser, and the agent API when it acts as an agent. */
export function scenarioSurfaces(s: Scenario): Surface[] {
  const used = new Set<Surface>(["widget", "browser"]);
  if (s.needs.includes("adminToken")) used.add("agent");
  return SURFACES.filter((x) => used.has(x));
}

type User = NonNullable<HostOptions["user"]>;

function user(ctx: ScenarioContext, name: string, extra: Partial<User> = {}): User {
  return {
    id: `user-${name}-${ctx.unique}`,
    email: `${name}-${ctx.unique}@example.com`,
    name: name.toUpperCase(),
    ...extra,
  };
}

/** The scenarios, in the order they run. */
export const SCENARIOS: Scenario[] = [
  {
    id: "browser-verified-other-device",
    title: "A verified user's conversation and its messages are on their other device",
    clause: "VIS-VERIFIED",
    tags: ["browser", "visibility"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const text = `Written on A ${ctx.unique}`;
      const a = await ctx.device("A");
      const id = await ctx.step("U writes on device A", async () => {
        await a.load(ctx.host, { mode: "verified", user: u });
        return await a.startChat(text);
      });
      const b = await ctx.device("B");
      await ctx.step("U on device B sees the conversation and its message", async () => {
        await b.load(ctx.host, { mode: "verified", user: u });
        ensure(await b.identity() === "verified", `B shows identity "${await b.identity()}", not verified`);
        ensure((await b.history()).includes(id), "B's history lacks U's conversation");
        await b.openConversation(id);
        await b.seesMessage(text);
      });
    },
  },
  {
    id: "browser-no-impersonation",
    title: "Typing or passing a verified user's email or id shows none of their conversations",
    clause: "VIS-NO-MERGE",
    tags: ["browser", "visibility", "no-merge"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const text = `U's secret ${ctx.unique}`;
      const a = await ctx.device("A");
      await ctx.step("U writes, verified", async () => {
        await a.load(ctx.host, { mode: "verified", user: u });
        await a.startChat(text);
      });
      const b = await ctx.device("B, pre-chat form");
      await ctx.step("someone types U's name and email in the pre-chat form", async () => {
        await b.load(ctx.host, { mode: "prechat" });
        await b.prechat(u.name!, u.email!);
        ensure((await b.history()).length === 0, "the pre-chat visitor sees conversations");
        await b.doesNotShow(text);
        ensure(await b.identity() !== "verified", "the pre-chat visitor is shown as verified");
      });
      const c = await ctx.device("C, client data");
      await ctx.step("a page passes U's email and user id as client data", async () => {
        await c.load(ctx.host, {
          mode: "client",
          clientUser: { name: u.name!, email: u.email!, externalUserId: u.id },
        });
        ensure((await c.history()).length === 0, "the visitor with U's client data sees conversations");
        await c.doesNotShow(text);
        ensure(await c.identity() !== "verified", "client data made the visitor verified");
      });
    },
  },
  {
    id: "browser-device-history",
    title: "Anonymous and pre-chat visitors see their conversations after a reload, and none on another device",
    clause: "VIS-DEVICE",
    tags: ["browser", "visibility"],
    needs: ["siteApiKey"],
    async run(ctx) {
      const anonText = `Anonymous on A ${ctx.unique}`;
      const a = await ctx.device("A");
      const anon = await ctx.step("an anonymous visitor writes on A", async () => {
        await a.load(ctx.host, { mode: "anonymous" });
        return await a.startChat(anonText);
      });
      await ctx.step("after a reload, A still shows it", async () => {
        await a.load(ctx.host, { mode: "anonymous" });
        ensure((await a.history()).includes(anon), "A lost its anonymous conversation on reload");
      });
      const b = await ctx.device("B");
      await ctx.step("device B shows nothing of it", async () => {
        await b.load(ctx.host, { mode: "anonymous" });
        ensure((await b.history()).length === 0, "B sees another device's conversations");
        await b.doesNotShow(anonText);
      });
      const formText = `Pre-chat on C ${ctx.unique}`;
      const email = `ada-${ctx.unique}@example.com`;
      const c = await ctx.device("C");
      const fromForm = await ctx.step("a pre-chat visitor writes on C", async () => {
        await c.load(ctx.host, { mode: "prechat" });
        await c.prechat("Ada", email);
        return await c.startChat(formText);
      });
      await ctx.step("after a reload, C shows it without asking again", async () => {
        await c.load(ctx.host, { mode: "prechat" });
        ensure((await c.history()).includes(fromForm), "C lost its pre-chat conversation on reload");
      });
      const d = await ctx.device("D");
      await ctx.step("device D, with the same name and email, shows nothing of it", async () => {
        await d.load(ctx.host, { mode: "prechat" });
        await d.prechat("Ada", email);
        ensure((await d.history()).length === 0, "D sees C's pre-chat conversation");
        await d.doesNotShow(formText);
      });
    },
  },
  {
    id: "browser-shared-browser",
    title:
      "On a shared browser, after U signs out, the next anonymous visitor and V see nothing of U's; U sees it again",
    clause: "LOGOUT",
    tags: ["browser", "logout"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const v = user(ctx, "v");
      const before = `Asked before signing in ${ctx.unique}`;
      const signedIn = `Asked as U ${ctx.unique}`;
      const browser = await ctx.device("shared browser");
      await ctx.step("U asks a question before signing in", async () => {
        await browser.load(ctx.host, { mode: "anonymous" });
        await browser.startChat(before);
      });
      const uConversation = await ctx.step(
        "U signs in and writes; the anonymous question is not mixed in",
        async () => {
          await browser.load(ctx.host, { mode: "verified", user: u });
          const id = await browser.startChat(signedIn);
          ensure((await browser.history()).length === 1, "U's verified history shows the anonymous conversation too");
          return id;
        },
      );
      await ctx.step("U signs out (SetChat.reset())", () => browser.reset());
      await ctx.step("the next anonymous visitor sees nothing of U's", async () => {
        await browser.load(ctx.host, { mode: "anonymous" });
        ensure((await browser.history()).length === 0, "the next visitor sees the previous visitor's conversations");
        await browser.doesNotShow(before);
        await browser.doesNotShow(signedIn);
      });
      await ctx.step("V signs in on the same browser and sees nothing of U's", async () => {
        await browser.load(ctx.host, { mode: "verified", user: v });
        ensure((await browser.history()).length === 0, "V sees U's conversations");
        await browser.doesNotShow(signedIn);
      });
      await ctx.step("U signs in again and sees U's conversation", async () => {
        await browser.reset();
        await browser.load(ctx.host, { mode: "verified", user: u });
        ensure((await browser.history()).includes(uConversation), "U's history is gone");
      });
    },
  },
  {
    id: "browser-logout-other-tab",
    title: "A logout in one tab clears the other tabs of the browser, without a reload",
    clause: "LOGOUT",
    tags: ["browser", "logout"],
    needs: ["siteApiKey"],
    async run(ctx) {
      const text = `Seen in two tabs ${ctx.unique}`;
      const tab1 = await ctx.device("tab 1");
      await ctx.step("a visitor writes in tab 1", async () => {
        await tab1.load(ctx.host, { mode: "anonymous" });
        await tab1.startChat(text);
      });
      const tab2 = await tab1.newTab("tab 2");
      await ctx.step("tab 2 of the same browser shows the conversation", async () => {
        await tab2.load(ctx.host, { mode: "anonymous" });
        ensure((await tab2.history()).length === 1, "tab 2 does not show the device's conversation");
      });
      await ctx.step("the visitor logs out in tab 1", () => tab1.reset());
      await ctx.step("tab 2 no longer shows it, without a reload", () => tab2.historyEmpties(text));
    },
  },
  {
    id: "browser-workspaces",
    title: "One user in two workspaces has two histories, on both devices",
    clause: "WS-SCOPE",
    tags: ["browser", "workspace"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const w1 = `w1-${ctx.unique}`;
      const w2 = `w2-${ctx.unique}`;
      const text = `In W1 ${ctx.unique}`;
      const a = await ctx.device("A");
      const id = await ctx.step("U writes in W1 on A", async () => {
        await a.load(ctx.host, { mode: "verified", user: u, workspace: w1 });
        return await a.startChat(text);
      });
      await ctx.step("U in W2 on A sees nothing of W1", async () => {
        await a.load(ctx.host, { mode: "verified", user: u, workspace: w2 });
        ensure((await a.history()).length === 0, "W2 shows W1's conversation on A");
      });
      const b = await ctx.device("B");
      await ctx.step("U in W2 on B sees nothing of W1", async () => {
        await b.load(ctx.host, { mode: "verified", user: u, workspace: w2 });
        ensure((await b.history()).length === 0, "W2 shows W1's conversation on B");
        await b.doesNotShow(text);
      });
      await ctx.step("U in W1 on B sees it", async () => {
        await b.load(ctx.host, { mode: "verified", user: u, workspace: w1 });
        ensure((await b.history()).includes(id), "W1's conversation is missing on B");
      });
    },
  },
  {
    id: "browser-token-renewed",
    title: "When the visitor token is about to expire, the widget calls getVisitorToken and keeps the conversation",
    clause: "WIDGET-RENEW",
    tags: ["browser", "token-expiry"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const a = await ctx.device("A", { clock: true });
      await ctx.step("U opens a conversation", async () => {
        await a.load(ctx.host, { mode: "verified", user: u });
        await a.startChat(`Before expiry ${ctx.unique}`);
        await a.openConversation((await a.history())[0]!);
        ensure(await a.tokenCalls() === 1, "getVisitorToken should have run once at start");
      });
      await ctx.step("five minutes pass: the widget asks for a new token", async () => {
        await a.page.clock.fastForward("05:00");
        await a.page.waitForFunction(() => (globalThis as unknown as { tokenCalls: number }).tokenCalls >= 2, null, {
          timeout: 8000,
        }).catch(() => {
          throw new Error("getVisitorToken was not called again before the token expired");
        });
      });
      await ctx.step("the conversation is still open, and writing still works", async () => {
        await a.seesMessage(`Before expiry ${ctx.unique}`);
        ensure(await a.identity() === "verified", `the widget shows "${await a.identity()}" after renewal`);
        await a.send(`After renewal ${ctx.unique}`);
      });
    },
  },
  {
    id: "browser-token-lost",
    title: "Without a new token, the widget shows the visitor signed out and no verified history",
    clause: "WIDGET-IDENTITY-LOST",
    tags: ["browser", "token-expiry"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const text = `Verified only ${ctx.unique}`;
      const a = await ctx.device("A", { clock: true });
      await ctx.step("U writes, with a token and no getVisitorToken", async () => {
        await a.load(ctx.host, { mode: "verified-once", user: u });
        await a.startChat(text);
      });
      await ctx.step("the token expires: signed out, nothing verified on screen", async () => {
        await a.page.clock.fastForward("05:30");
        await a.seesSignedOut();
        await a.doesNotShow(text);
        const lost = (await a.events()).filter((e) => e.event === "identity-lost");
        ensure(lost.length > 0, "no identity-lost event");
        ensure(await a.identity() === "signed-out", `the widget shows "${await a.identity()}"`);
      });
    },
  },
  {
    id: "browser-agent-reply-live",
    title: "An agent's reply appears in U's open widget on both devices without a reload",
    clause: "WIDGET-LIVE",
    tags: ["browser", "agent"],
    needs: ["serverToken", "siteApiKey", "adminToken", "tenantId"],
    async run(ctx) {
      const u = user(ctx, "u");
      const a = await ctx.device("A");
      const b = await ctx.device("B");
      const id = await ctx.step("U writes on A and opens the conversation on A and B", async () => {
        await a.load(ctx.host, { mode: "verified", user: u });
        const id = await a.startChat(`Help please ${ctx.unique}`);
        await a.openConversation(id);
        await b.load(ctx.host, { mode: "verified", user: u });
        await b.openConversation(id);
        return id;
      });
      const reply = `Agent reply ${ctx.unique}`;
      await ctx.step(
        "an agent replies through the agent API",
        () =>
          ctx.agent("POST", `/api/tenants/${ctx.target.vars.tenantId}/conversations/${id}/messages`, { text: reply }),
      );
      await ctx.step("the reply appears on A and on B", async () => {
        await a.seesMessage(reply);
        await b.seesMessage(reply);
      });
    },
  },
  {
    id: "browser-custom-data",
    title: "Custom data from the page lands in non_verified_custom_data and never replaces verified metadata",
    clause: "CUSTOM-DATA",
    tags: ["browser", "custom-data"],
    needs: ["serverToken", "siteApiKey", "adminToken", "tenantId"],
    async run(ctx) {
      const u = user(ctx, "u", { metadata: { plan: "pro" } });
      const a = await ctx.device("A");
      const id = await ctx.step("U writes from a page passing its own custom data", async () => {
        await a.load(ctx.host, {
          mode: "verified",
          user: u,
          clientUser: { customData: { plan: "free", theme: "dark" } },
        });
        return await a.startChat(`Custom data ${ctx.unique}`);
      });
      await ctx.step("the agent sees verified and page data apart", async () => {
        const detail = await ctx.agent("GET", `/api/tenants/${ctx.target.vars.tenantId}/conversations/${id}`) as {
          visitor: { custom_data: Record<string, unknown>; non_verified_custom_data: Record<string, unknown> };
        };
        ensure(
          detail.visitor.custom_data.plan === "pro",
          `verified plan is ${JSON.stringify(detail.visitor.custom_data.plan)}`,
        );
        ensure(
          detail.visitor.non_verified_custom_data.plan === "free",
          "the page's plan is not kept as non-verified data",
        );
        ensure(
          detail.visitor.non_verified_custom_data.theme === "dark",
          "the page's theme is not kept as non-verified data",
        );
      });
    },
  },
];
