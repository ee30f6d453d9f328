/**
 * What a person sees, and what they cannot: each scenario drives the widget
 * on one or more devices (fresh browser contexts, several at once) and
 * asserts what is and is not on screen; every device is also judged after
 * each step on its requests, its storage and every instant of its screen
 * (`judge.ts`), so a leak that lasts a moment, or sits in storage, fails too.
 */
import * as jose from "jose";
import type { ClauseId } from "../clauses.ts";
import { type Level, type Surface, SURFACES } from "../levels.ts";
import type { Need } from "../fixture_schema.ts";
import type { Target } from "../target.ts";
import { type Device, type DeviceOptions, ensure, HELD_MS, ScreenAssertion, WAIT_MS } from "./device.ts";
import { type ApiCall, type HostEvent, jwtClaims, type Mark, sentBefore } from "./log.ts";
import type { HostOptions } from "./host.ts";
import type { BrowserCheckId } from "./judge.ts";

/** What a scenario gets to work with. */
export interface ScenarioContext {
  target: Target;
  /** Fresh for each scenario: users, emails and workspaces never collide; every text it writes carries it. */
  unique: string;
  /** A new device (its own browser context); `clock` lets the scenario move the page's time. */
  device(name: string, options?: DeviceOptions): Promise<Device>;
  /** Runs and records one step, at the scenario's level unless given; then judges every device. */
  step<T>(name: string, run: () => Promise<T>, options?: { level?: Level }): Promise<T>;
  /** Records one of the suite's checks (passed when `problems` is empty). */
  check(id: BrowserCheckId, problems: string[]): void;
  /** The agent API, with the tenant admin token. */
  agent(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** One browser scenario. */
export interface Scenario {
  id: string;
  title: string;
  clause: ClauseId;
  /** Its own level: the strongest of its steps. Only what docs/widget.md states is `must`. */
  level: Level;
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

/** New devices, made at once. */
function devices<N extends string[]>(ctx: ScenarioContext, ...names: N): Promise<{ [K in keyof N]: Device }> {
  return Promise.all(names.map((n) => ctx.device(n))) as Promise<{ [K in keyof N]: Device }>;
}

/** Where the widget opens its sessions. */
const SESSIONS = "/api/widget/sessions";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` now, to be awaited later: its failure waits to be awaited instead of going unhandled. */
function inBackground<T>(work: Promise<T>): Promise<T> {
  work.catch(() => {});
  return work;
}

/** Waits for a hold to catch its request; the widget must send it within `WAIT_MS` (docs/widget.md, `pollIntervalMs`). */
async function caught(hold: { caught: Promise<void> }, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ScreenAssertion(`the widget did not ${what} within ${WAIT_MS / 1000} s`)),
      WAIT_MS,
    );
  });
  try {
    await Promise.race([hold.caught, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The session the tab's widget opened last. */
function lastSession(d: Device): string {
  const s = d.log.sessions().filter((x) => x.tab === d.name).at(-1);
  if (!s) throw new ScreenAssertion(`${d.name}: the widget opened no session`);
  return s.token;
}

/** The sessions tab `d` asked the API for, those sent after `mark` only when one is given. */
function sessionRequests(d: Device, mark?: Mark): ApiCall[] {
  return d.log.calls().filter((c) =>
    c.tab === d.name && c.method === "POST" && c.path === SESSIONS && (mark === undefined || !sentBefore(c, mark))
  );
}

/** A conversation of the tenant, on the agent API. */
function conversationPath(ctx: ScenarioContext, id: string): string {
  return `/api/tenants/${ctx.target.vars.tenantId}/conversations/${id}`;
}

/** An agent replies `text` in conversation `id`, through the agent API. */
function agentReplies(ctx: ScenarioContext, id: string, text: string): Promise<unknown> {
  return ctx.agent("POST", `${conversationPath(ctx, id)}/messages`, { text });
}

/** Loads the page with `u` signed in, starts a chat with `text` and opens it; the conversation's id. */
async function opensConversation(d: Device, u: User, text: string): Promise<string> {
  await d.load({ mode: "verified", user: u });
  await d.startChat(text);
  const id = (await d.history())[0]!;
  await d.openConversation(id);
  return id;
}

/** The first of the keys {@linkcode fillStorage} writes: the page's own. */
const FILLER_KEY = "host-page:filler-0";

/**
 * Run in a page: fills its `localStorage` with the page's own keys until not one more character fits, as a page that
 * keeps much can; the number of keys written.
 */
function fillStorage(): number {
  let written = 0;
  for (let size = 1 << 20; size >= 1;) {
    try {
      localStorage.setItem(`host-page:filler-${written}`, "x".repeat(size));
      written++;
    } catch {
      size = Math.floor(size / 2);
    }
  }
  return written;
}

/** Markup and script a visitor could write: it must be shown as text, never run. */
function payload(ctx: ScenarioContext, where: string): string {
  return `<img src=x onerror="window.__setchatScriptRuns=(window.__setchatScriptRuns||0)+1"><b>${where} ${ctx.unique}</b>`;
}

/** `token` signed again with the target's own key, its times moved `seconds` back: one fault, its age. */
async function aged(target: Target, token: string, seconds: number): Promise<string> {
  const key = target.signingKey;
  if (!key) throw new Error("Cannot sign a token: the target's signing key is not known");
  const claims = jose.decodeJwt(token);
  for (const name of ["iat", "nbf", "exp"] as const) {
    const at = claims[name];
    if (typeof at === "number") claims[name] = at - seconds;
  }
  const header = { ...jose.decodeProtectedHeader(token), alg: key.alg, kid: key.kid } as jose.JWTHeaderParameters;
  return await new jose.SignJWT(claims).setProtectedHeader(header).sign(key.privateKey);
}

/** `token` with one character of its signature changed: a token the server must refuse. */
/**
 * Moves the page's clock through the token's lifetime and holds it there until `getVisitorToken` was called a second
 * time (once at start, once to renew), then lets the clock run again.
 */
async function renewsBeforeExpiry(d: Device): Promise<void> {
  await d.jumpAndHold(d.tokenLifetimeMs());
  try {
    const deadline = Date.now() + HELD_MS;
    while (await d.tokenCalls() < 2) {
      if (Date.now() > deadline) {
        throw new ScreenAssertion("getVisitorToken was not called again before the token expired");
      }
      await sleep(100);
    }
  } finally {
    await d.resumeClock();
  }
}

function forged(token: string): string {
  const [head, body, signature] = token.split(".");
  return `${head}.${body}.${signature![0] === "A" ? "B" : "A"}${signature!.slice(1)}`;
}

/** Waits until the page has seen an `identity` event that `test` accepts. */
async function identityEvent(d: Device, test: (identity: Record<string, unknown>) => boolean, what: string) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = (await d.events()).filter((e) => e.event === "identity").map((e) =>
      (e.detail as { identity?: Record<string, unknown> } | null)?.identity ?? {}
    ).find(test);
    if (found) return found;
    if (Date.now() > deadline) throw new ScreenAssertion(`${d.name}: ${what} within ${WAIT_MS / 1000} s`);
    await sleep(100);
  }
}

/** The scenarios, in the order they run. */
export const SCENARIOS: Scenario[] = [
  {
    id: "browser-verified-other-device",
    title: "A verified user's conversation and its messages are on their other device",
    clause: "VIS-VERIFIED",
    level: "must",
    tags: ["browser", "visibility"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const text = `Written on A ${ctx.unique}`;
      const [a, b] = await devices(ctx, "A", "B");
      const id = await ctx.step("U writes on device A", async () => {
        await a.load({ mode: "verified", user: u });
        return await a.startChat(text);
      });
      await ctx.step("U on device B sees the conversation and its message", async () => {
        await b.load({ mode: "verified", user: u });
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
    level: "must",
    tags: ["browser", "visibility", "no-merge"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const text = `U's secret ${ctx.unique}`;
      const [a, b, c] = await devices(ctx, "A", "B, pre-chat form", "C, client data");
      await ctx.step("U writes, verified", async () => {
        await a.load({ mode: "verified", user: u });
        await a.startChat(text);
      });
      await ctx.step(
        "on B someone types U's name and email in the pre-chat form; on C a page passes them",
        async () => {
          await Promise.all([
            (async () => {
              await b.load({ mode: "prechat" });
              await b.prechat(u.name!, u.email!);
              ensure((await b.history()).length === 0, "the pre-chat visitor sees conversations");
              await b.doesNotShow(text);
              ensure(await b.identity() !== "verified", "the pre-chat visitor is shown as verified");
            })(),
            (async () => {
              await c.load({ mode: "client", clientUser: { name: u.name!, email: u.email!, externalUserId: u.id } });
              ensure((await c.history()).length === 0, "the visitor with U's client data sees conversations");
              await c.doesNotShow(text);
              ensure(await c.identity() !== "verified", "client data made the visitor verified");
            })(),
          ]);
        },
      );
    },
  },
  {
    id: "browser-device-history",
    title: "Anonymous and pre-chat visitors see their conversations after a reload, and none on another device",
    clause: "VIS-DEVICE",
    level: "must",
    tags: ["browser", "visibility"],
    needs: ["siteApiKey"],
    async run(ctx) {
      const anonText = `Anonymous on A ${ctx.unique}`;
      const formText = `Pre-chat on C ${ctx.unique}`;
      const email = `ada-${ctx.unique}@example.com`;
      const [a, b, c] = await devices(ctx, "A", "B", "C");
      const [anon, fromForm] = await ctx.step(
        "an anonymous visitor writes on A, a pre-chat visitor on C",
        () =>
          Promise.all([
            (async () => {
              await a.load({ mode: "anonymous" });
              return await a.startChat(anonText);
            })(),
            (async () => {
              await c.load({ mode: "prechat" });
              await c.prechat("Ada", email);
              return await c.startChat(formText);
            })(),
          ]),
      );
      await ctx.step("after a reload, A and C still show theirs, C without asking again", () =>
        Promise.all([
          (async () => {
            await a.load({ mode: "anonymous" });
            ensure((await a.history()).includes(anon), "A lost its anonymous conversation on reload");
          })(),
          (async () => {
            await c.load({ mode: "prechat" });
            ensure((await c.history()).includes(fromForm), "C lost its pre-chat conversation on reload");
          })(),
        ]));
      await ctx.step("device B shows nothing of A's, nor, with C's name and email in its form, of C's", async () => {
        await b.load({ mode: "anonymous" });
        ensure((await b.history()).length === 0, "B sees another device's conversations");
        await b.doesNotShow(anonText);
        await b.load({ mode: "prechat" });
        await b.prechat("Ada", email);
        ensure((await b.history()).length === 0, "B sees C's pre-chat conversation");
        await b.doesNotShow(formText);
      });
    },
  },
  {
    id: "browser-shared-browser",
    title:
      "On a shared browser, after U signs out, the next anonymous visitor and V see nothing of U's; U sees it again",
    clause: "LOGOUT",
    level: "must",
    tags: ["browser", "logout"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const v = user(ctx, "v");
      const before = `Asked before signing in ${ctx.unique}`;
      const signedIn = `Asked as U ${ctx.unique}`;
      const browser = await ctx.device("shared browser");
      await ctx.step("U asks a question before signing in", async () => {
        await browser.load({ mode: "anonymous" });
        await browser.startChat(before);
      });
      const uConversation = await ctx.step(
        "U signs in and writes; the anonymous question is not mixed in",
        async () => {
          await browser.load({ mode: "verified", user: u });
          const id = await browser.startChat(signedIn);
          ensure((await browser.history()).length === 1, "U's verified history shows the anonymous conversation too");
          return id;
        },
      );
      const draft = `Unsent draft of U ${ctx.unique}`;
      await ctx.step("U signs out (SetChat.reset()), a draft left unsent", async () => {
        await browser.typeDraft(draft);
        await browser.reset();
      });
      await ctx.step("the next visitor's new chat holds nothing of U's draft", async () => {
        const composer = await browser.newChatComposer();
        ensure(composer === "", `the next visitor's new chat is not empty: its composer holds "${composer}"`);
        await browser.doesNotShow(draft);
      });
      await ctx.step("the next anonymous visitor sees nothing of U's", async () => {
        await browser.load({ mode: "anonymous" });
        ensure((await browser.history()).length === 0, "the next visitor sees the previous visitor's conversations");
        await browser.doesNotShow(before);
        await browser.doesNotShow(signedIn);
      });
      await ctx.step("V signs in on the same browser and sees nothing of U's", async () => {
        await browser.load({ mode: "verified", user: v });
        ensure((await browser.history()).length === 0, "V sees U's conversations");
        await browser.doesNotShow(signedIn);
      });
      await ctx.step("U signs in again and sees U's conversation", async () => {
        await browser.reset();
        await browser.load({ mode: "verified", user: u });
        ensure((await browser.history()).includes(uConversation), "U's history is gone");
      });
    },
  },
  {
    id: "browser-logout-other-tab",
    title: "A logout in one tab clears the other tabs of the browser within 2 s, without a reload",
    clause: "LOGOUT",
    level: "must",
    tags: ["browser", "logout"],
    needs: ["siteApiKey"],
    async run(ctx) {
      const text = `Seen in two tabs ${ctx.unique}`;
      const tab1 = await ctx.device("tab 1");
      await ctx.step("a visitor writes in tab 1", async () => {
        await tab1.load({ mode: "anonymous" });
        await tab1.startChat(text);
      });
      const tab2 = await tab1.newTab("tab 2");
      await ctx.step("tab 2 of the same browser shows the conversation", async () => {
        // Slow to poll: only noticing the other tab's logout clears it within 2 s.
        await tab2.load({ mode: "anonymous", pollIntervalMs: 10_000 });
        ensure((await tab2.history()).length === 1, "tab 2 does not show the device's conversation");
      });
      const before = (await tab2.events()).length;
      await ctx.step("the visitor logs out in tab 1", () => tab1.reset());
      await ctx.step("tab 2 no longer shows it, without a reload", () => tab2.historyEmpties(text));
      await ctx.step("tab 2 started again as a new device, and told the page", async () => {
        const mark = tab1.log.marks().filter((m) => m.tab === tab1.name && m.kind === "reset").at(-1);
        ensure(mark, "tab 1's logout left no mark in the request log");
        const retired = tab1.log.credentialsBefore(mark);
        const asked = sessionRequests(tab2, mark);
        ensure(asked.length > 0, "tab 2 asked for no new session after the logout");
        const old = asked.find((c) =>
          retired.has((c.body as { deviceCredential?: string } | undefined)?.deviceCredential ?? "")
        );
        ensure(!old, "tab 2 asked for a session with the device credential logged out");
        const identity = (await tab2.events()).slice(before).some((e) => e.event === "identity");
        ensure(identity, "tab 2 started again and no identity event came");
        ensure((await tab2.state()).phase === "ready", `tab 2's phase is "${(await tab2.state()).phase}"`);
      });
      const again = `Written after the logout ${ctx.unique}`;
      await ctx.step("the new visitor writes in tab 2; the page in tab 1 clears the site's storage", async () => {
        await tab2.startChat(again);
        await tab1.page.evaluate(() => localStorage.clear());
      });
      await ctx.step("tab 2 noticed the device forgotten: it no longer shows the conversation", async () => {
        await tab2.historyEmpties(again);
        await tab2.doesNotShow(again);
      });
    },
  },
  {
    id: "browser-workspaces",
    title: "One user in two workspaces has two histories, on both devices",
    clause: "WS-SCOPE",
    level: "must",
    tags: ["browser", "workspace"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const w1 = `w1-${ctx.unique}`;
      const w2 = `w2-${ctx.unique}`;
      const text = `In W1 ${ctx.unique}`;
      const [a, b] = await devices(ctx, "A", "B");
      const id = await ctx.step("U writes in W1 on A", async () => {
        await a.load({ mode: "verified", user: u, workspace: w1 });
        return await a.startChat(text);
      });
      await ctx.step("U in W2 sees nothing of W1, on A and on B", () =>
        Promise.all([
          (async () => {
            await a.load({ mode: "verified", user: u, workspace: w2 });
            ensure((await a.history()).length === 0, "W2 shows W1's conversation on A");
          })(),
          (async () => {
            await b.load({ mode: "verified", user: u, workspace: w2 });
            ensure((await b.history()).length === 0, "W2 shows W1's conversation on B");
            await b.doesNotShow(text);
          })(),
        ]));
      await ctx.step("U in W1 on B sees it", async () => {
        await b.load({ mode: "verified", user: u, workspace: w1 });
        ensure((await b.history()).includes(id), "W1's conversation is missing on B");
      });
      await ctx.step(
        "U signs out on B, the panel open: the next visitor's session starts at once, still in W1",
        async () => {
          await b.reset();
          const mark = b.log.marks().filter((m) => m.tab === b.name && m.kind === "reset").at(-1);
          ensure(mark, "the logout left no mark in the request log");
          ensure((await b.history()).length === 0, "the next visitor sees U's conversations");
          const asked = sessionRequests(b, mark);
          ensure(asked.length > 0, "no session was asked for after the logout, the panel open");
          const body = asked[0]!.body as { workspace?: { externalId?: unknown }; visitorToken?: unknown } | undefined;
          const ws = body?.workspace?.externalId;
          ensure(
            ws === w1,
            `the next visitor's session is asked for in workspace ${JSON.stringify(ws)}, not the page's`,
          );
          ensure(body?.visitorToken === undefined, "the next visitor's session carries a visitor token");
        },
      );
    },
  },
  {
    id: "browser-token-renewed",
    title: "When the visitor token is about to expire, the widget calls getVisitorToken and keeps the conversation",
    clause: "WIDGET-RENEW",
    level: "must",
    tags: ["browser", "token-expiry"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      // Runs of "~" and "?" put "-" and "_" in the token's base64url, as a widget reading its expiry must decode them.
      const u = user(ctx, "u", { name: "U ~~~~~ ?????" });
      const a = await ctx.device("A", { clock: true });
      await ctx.step("U opens a conversation", async () => {
        await opensConversation(a, u, `Before expiry ${ctx.unique}`);
        ensure(await a.tokenCalls() === 1, "getVisitorToken should have run once at start");
      });
      await ctx.step(
        "the token's lifetime passes: the widget has asked for a new token before it ran out",
        async () => {
          await renewsBeforeExpiry(a);
        },
      );
      await ctx.step("the conversation is still open, and writing still works", async () => {
        await a.seesMessage(`Before expiry ${ctx.unique}`);
        ensure(await a.identity() === "verified", `the widget shows "${await a.identity()}" after renewal`);
        await a.send(`After renewal ${ctx.unique}`);
      });
      await ctx.step(
        "the renewed session is told: one identity event more, no second ready, nothing lost",
        async () => {
          // getVisitorToken was called; the session it opens may still be on its way on a busy machine.
          const deadline = Date.now() + WAIT_MS;
          let events = await a.events();
          const count = (name: string) => events.filter((e) => e.event === name).length;
          while (count("identity") < 2 && Date.now() < deadline) {
            await sleep(100);
            events = await a.events();
          }
          ensure(count("identity") >= 2, `${count("identity")} identity event(s): the renewed session was not told`);
          ensure(count("ready") === 1, `${count("ready")} ready events: ready is for init()'s start only`);
          ensure(count("identity-lost") === 0, "identity-lost came though the token was renewed");
          const state = await a.state();
          ensure(state.phase === "ready", `the phase is "${state.phase}" after the renewal, not ready`);
          ensure(state.identity?.verified === true, "state() has no verified identity after the renewal");
        },
      );
      await ctx.step(
        "the page loads again giving a token that expires within 30 s, and getVisitorToken: a fresh one is asked for first",
        async () => {
          const given = await a.mintToken(u);
          await a.reload();
          const exp = jwtClaims(given)?.exp;
          ensure(typeof exp === "number", "the minted visitor token has no exp");
          const now = await a.page.evaluate(() => Date.now());
          if (now < exp * 1000 - 10_000) await a.page.clock.fastForward(exp * 1000 - 10_000 - now);
          await a.start({ mode: "verified", user: u, visitorToken: given });
          ensure(await a.tokenCalls() === 1, `getVisitorToken ran ${await a.tokenCalls()} times at start, not once`);
          const sent = sessionRequests(a).at(-1)?.body as { visitorToken?: unknown } | undefined;
          ensure(sent?.visitorToken !== given, "the session was opened with the token about to expire");
          ensure((await a.state()).identity?.verified === true, "the session opened is not verified");
        },
      );
    },
  },
  {
    id: "browser-renewal-rereads",
    title:
      "The reference widget renews near the expiry, not long before, and reads the open conversation again as the renewed session opens",
    clause: "WIDGET-RENEW",
    level: "reference",
    tags: ["browser", "token-expiry"],
    needs: ["serverToken", "siteApiKey", "adminToken", "tenantId"],
    async run(ctx) {
      const u = user(ctx, "u");
      const a = await ctx.device("A", { clock: true });
      const conversation = await ctx.step(
        "U opens a conversation",
        () => opensConversation(a, u, `Before renewal ${ctx.unique}`),
      );
      const half = a.tokenLifetimeMs() / 2;
      await ctx.step("half the token's lifetime passes, the clock held: no new token was asked for", async () => {
        await a.jumpAndHold(half);
        try {
          // Time for a renewal the jump set off to reach the page's getVisitorToken.
          await sleep(1000);
          ensure(await a.tokenCalls() === 1, `getVisitorToken ran ${await a.tokenCalls()} times, long before expiry`);
        } finally {
          await a.resumeClock();
        }
      });
      await ctx.step(
        "the rest of the lifetime passes, the clock held; an agent replies while the new token is on its way: the " +
          "reply shows as the renewed session opens, though no poll runs",
        async () => {
          const reply = `While renewing ${ctx.unique}`;
          const hold = await a.holdToken();
          await a.jumpAndHold(half);
          try {
            try {
              await caught(hold, "ask the page for a new token");
              // The clock's jump ran the panel's poll once: its answer comes before the reply is written.
              await sleep(500);
              await agentReplies(ctx, conversation, reply);
            } finally {
              await hold.release();
            }
            await a.seesMessage(reply);
          } finally {
            await a.resumeClock();
          }
        },
      );
    },
  },
  {
    id: "browser-token-lost",
    title: "Without a new token, the widget shows the visitor signed out and no verified history",
    clause: "WIDGET-IDENTITY-LOST",
    level: "must",
    tags: ["browser", "token-expiry"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const text = `Verified only ${ctx.unique}`;
      const a = await ctx.device("A", { clock: true });
      await ctx.step("U writes, with a token and no getVisitorToken", async () => {
        await a.load({ mode: "verified-once", user: u });
        await a.startChat(text);
      });
      await ctx.step("the token's lifetime passes: by then the visitor is signed out, expired", async () => {
        await a.jumpAndHold(a.tokenLifetimeMs());
        let lost: HostEvent[];
        try {
          lost = (await a.eventsHeld(
            (events) => events.some((e) => e.event === "identity-lost"),
            "no identity-lost event by the time the token expired",
          )).filter((e) => e.event === "identity-lost");
          const state = await a.state();
          ensure(state.phase === "signed-out", `the phase is "${state.phase}" once the token expired, not signed-out`);
          ensure(state.identity === null, `state() still gives an identity once signed out`);
        } finally {
          await a.resumeClock();
        }
        const reason = (lost[0]?.detail as { reason?: unknown } | null)?.reason;
        ensure(lost.length === 1, `${lost.length} identity-lost events for one expiry`);
        ensure(reason === "expired", `identity-lost came with reason ${JSON.stringify(reason)}, not "expired"`);
      });
      await ctx.step("nothing verified on screen", async () => {
        await a.seesSignedOut();
        await a.doesNotShow(text);
        ensure(await a.identity() === "signed-out", `the widget shows "${await a.identity()}"`);
      });
    },
  },
  {
    id: "browser-token-clocks-apart",
    title:
      "A token the server finds expired, though the browser's clock says it is not, is replaced through getVisitorToken; one it refuses signs the visitor out",
    clause: "WIDGET-RENEW",
    level: "must",
    tags: ["browser", "token-expiry"],
    needs: ["serverToken", "siteApiKey", "signingKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const a = await ctx.device("A", { clock: true });
      const stale = await ctx.step(
        "the browser's clock is behind by more than a token's lifetime: U's token, expired for the server, is fresh for the page",
        async () => {
          const minted = await a.mintToken(u);
          const claims = jwtClaims(minted);
          ensure(typeof claims?.exp === "number", "the minted visitor token has no exp");
          const lifetime = claims.exp - (typeof claims.iat === "number" ? claims.iat : Date.now() / 1000);
          // Past the 30 s of skew the server allows, by a margin a busy machine cannot eat.
          const behind = Math.ceil(lifetime) + 120;
          const token = await aged(ctx.target, minted, behind);
          await a.reload();
          await a.page.clock.setSystemTime(Date.now() - behind * 1000);
          return token;
        },
      );
      await ctx.step("the page gives it beside getVisitorToken: U is verified with a fresh token", async () => {
        await a.start({ mode: "verified", user: u, visitorToken: stale });
        const state = await a.state();
        ensure(state.phase === "ready", `the phase is "${state.phase}", not ready: the expired token was not replaced`);
        ensure(state.identity?.verified === true, "state() has no verified identity");
        ensure(await a.tokenCalls() >= 1, "getVisitorToken was never called for a token the server found expired");
        const lost = (await a.events()).filter((e) => e.event === "identity-lost");
        ensure(
          lost.length === 0,
          `identity-lost came (${JSON.stringify(lost[0]?.detail)}) though a new token was given`,
        );
        ensure(await a.identity() === "verified", `the widget shows identity "${await a.identity()}"`);
      });
      await ctx.step(
        "the page gives a token of U the server refuses, beside getVisitorToken: U is signed out, refused",
        async () => {
          const before = (await a.events()).length;
          await a.start({ mode: "verified", user: u, visitorToken: forged(await a.mintToken(u)) });
          // init() has settled: the phase is the one it led to.
          const state = await a.state();
          ensure(state.phase === "signed-out", `the phase is "${state.phase}", not signed-out`);
          const lost = (await a.events()).slice(before).filter((e) => e.event === "identity-lost");
          const reason = (lost.at(-1)?.detail as { reason?: string } | undefined)?.reason;
          ensure(reason === "refused", `identity-lost came with ${JSON.stringify(lost.at(-1)?.detail ?? null)}`);
          await a.seesSignedOut();
        },
      );
    },
  },
  {
    id: "browser-renewal-someone-else",
    title:
      "When the token a renewal brings names someone else (the page signed another person in), the next person sees nothing of the previous one",
    clause: "LOGOUT",
    level: "must",
    tags: ["browser", "token-expiry", "logout"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const v = user(ctx, "v");
      const text = `U's question ${ctx.unique}`;
      const a = await ctx.device("A", { clock: true });
      const id = await ctx.step("U writes and keeps the conversation open", async () => {
        await a.load({ mode: "verified", user: u });
        const id = await a.startChat(text);
        await a.openConversation(id);
        return id;
      });
      await ctx.step(
        "the page signs V in without telling the widget; the token's lifetime passes: the renewal brings V's token",
        async () => {
          await a.signInOnPage(v);
          await renewsBeforeExpiry(a);
          await identityEvent(a, (i) => i.externalUserId === v.id, "no identity event gave V's identity");
        },
      );
      await ctx.step("V sees nothing of U's", async () => {
        await a.doesNotShow(text);
        ensure(!(await a.history()).includes(id), "V's history shows U's conversation");
        await a.doesNotShow(text);
        const state = await a.state();
        ensure(
          (state.identity as { externalUserId?: unknown } | null)?.externalUserId === v.id,
          "state() does not give V's identity after the renewal brought V's token",
        );
      });
    },
  },
  {
    id: "browser-storage-refused",
    title:
      "A browser that refuses localStorage still chats: an init() again keeps the visitor's device, a reset() forgets it",
    clause: "VIS-DEVICE",
    level: "must",
    tags: ["browser", "visibility", "storage"],
    needs: ["siteApiKey"],
    async run(ctx) {
      const text = `Storage refused ${ctx.unique}`;
      const a = await ctx.device("A", { storage: "refused" });
      const id = await ctx.step("an anonymous visitor writes, the browser refusing storage", async () => {
        await a.load({ mode: "anonymous" });
        return await a.startChat(text);
      });
      await ctx.step(
        "the page starts the widget again (init()): the visitor's conversation is still there",
        async () => {
          await a.start({ mode: "anonymous" });
          ensure((await a.history()).includes(id), "init() again lost the device: the conversation is gone");
        },
      );
      await ctx.step("the visitor logs out: the next visitor sees nothing of it", async () => {
        await a.reset();
        await a.start({ mode: "anonymous" });
        ensure((await a.history()).length === 0, "the next visitor sees the previous visitor's conversation");
        await a.doesNotShow(text);
      });
    },
  },
  {
    id: "browser-storage-full",
    title:
      "A browser whose storage is full still chats as one device: another tab freeing room there leaves the visitor's conversation as it was",
    clause: "VIS-DEVICE",
    level: "must",
    tags: ["browser", "visibility", "storage"],
    needs: ["siteApiKey"],
    async run(ctx) {
      const text = `Storage full ${ctx.unique}`;
      const a = await ctx.device("A");
      const id = await ctx.step("the page fills its storage; an anonymous visitor writes", async () => {
        await a.reload();
        const filled = await a.page.evaluate(fillStorage);
        ensure(filled > 0, "the page could not fill its storage");
        await a.start({ mode: "anonymous" });
        return await a.startChat(text);
      });
      const b = await a.newTab("B");
      await ctx.step(
        "the page in tab B frees room, taking one of its own keys away: for 2 s tab A still shows the conversation, " +
          "and asks for no other session (the device credential is neither changed nor forgotten)",
        async () => {
          await b.reload();
          const asked = () => sessionRequests(a).length;
          const before = asked();
          await a.page.evaluate(() => {
            const seen: (string | null)[] = (globalThis as unknown as { __storageSeen: (string | null)[] })
              .__storageSeen = [];
            addEventListener("storage", (e) => seen.push((e as unknown as { key: string | null }).key));
          });
          await b.page.evaluate((key) => localStorage.removeItem(key), FILLER_KEY);
          const deadline = Date.now() + WAIT_MS;
          const seen = () =>
            a.page.evaluate(() => (globalThis as unknown as { __storageSeen: (string | null)[] }).__storageSeen);
          while (!(await seen()).includes(FILLER_KEY)) {
            if (Date.now() > deadline) throw new ScreenAssertion("tab A was not told of tab B's change");
            await sleep(100);
          }
          // The contract gives a tab 2 s to notice another's change: a widget that takes this one for its own has by then.
          await sleep(2000);
          ensure((await a.history()).includes(id), "tab A no longer shows the visitor's conversation");
          ensure(asked() === before, "tab A asked for another session, though its device credential did not change");
        },
      );
    },
  },
  {
    id: "browser-storage-foreign",
    title:
      "What the widget finds under its keys that it did not write (corrupt, or of another shape) counts as nothing kept: the pre-chat form asks again",
    clause: "VIS-DEVICE",
    level: "must",
    tags: ["browser", "storage"],
    needs: ["siteApiKey"],
    async run(ctx) {
      const a = await ctx.device("A");
      await ctx.step("a visitor fills the pre-chat form and writes", async () => {
        await a.load({ mode: "prechat" });
        await a.prechat(`Pat ${ctx.unique}`, `pat-${ctx.unique}@example.com`);
        await a.startChat(`Through the form ${ctx.unique}`);
      });
      const foreign: [string, string][] = [
        ["an email and no name", JSON.stringify({ email: `pat-${ctx.unique}@example.com` })],
        ["a name and no email", JSON.stringify({ name: `Pat ${ctx.unique}` })],
        ["text that is not JSON", "{"],
      ];
      for (const [what, value] of foreign) {
        await ctx.step(`the widget's storage holds ${what}: on the next load the form asks again`, async () => {
          ensure(await a.overwriteWidgetStorage(value) > 0, "the widget kept nothing in localStorage");
          await a.load({ mode: "prechat" });
          await a.open();
          const state = await a.state();
          ensure(state.phase === "prechat", `the phase is "${state.phase}", not prechat`);
          ensure(await a.count("prechat") === 1, "the pre-chat form is not shown");
        });
      }
    },
  },
  {
    id: "browser-agent-reply-live",
    title: "An agent's reply appears in U's open widget on both devices without a reload",
    clause: "WIDGET-LIVE",
    level: "must",
    tags: ["browser", "agent"],
    needs: ["serverToken", "siteApiKey", "adminToken", "tenantId"],
    async run(ctx) {
      const u = user(ctx, "u");
      const [a, b] = await devices(ctx, "A", "B");
      const id = await ctx.step("U writes on A and opens the conversation on A and B", async () => {
        const [id] = await Promise.all([
          (async () => {
            await a.load({ mode: "verified", user: u });
            const id = await a.startChat(`Help please ${ctx.unique}`);
            await a.openConversation(id);
            return id;
          })(),
          b.load({ mode: "verified", user: u }),
        ]);
        await b.openConversation(id);
        return id;
      });
      const reply = `Agent reply ${ctx.unique}`;
      await ctx.step(
        "an agent replies through the agent API",
        () => agentReplies(ctx, id, reply),
      );
      await ctx.step("the reply appears on A and on B", async () => {
        await Promise.all([a.seesMessage(reply), b.seesMessage(reply)]);
      });
    },
  },
  {
    id: "browser-broken-answer",
    title: "An answer that breaks off mid-body is an error event with one of the documented codes",
    clause: "WIDGET-API",
    level: "must",
    tags: ["browser"],
    needs: ["siteApiKey"],
    async run(ctx) {
      const a = await ctx.device("A");
      const text = `Before the fault ${ctx.unique}`;
      await ctx.step("a visitor writes", async () => {
        await a.load({ mode: "anonymous" });
        await a.startChat(text);
      });
      const mend = await a.breakAnswers((c) => c.method === "GET" && c.path === "/api/widget/conversations");
      let codes: unknown[] = [];
      try {
        await ctx.step("the history's answers break off: an error event says so", async () => {
          // The open panel asks for the history again within its poll interval.
          const before = (await a.events()).length;
          const events = await a.eventsHeld(
            (events) => events.slice(before).some((e) => e.event === "error"),
            "no error event came for an answer that broke off",
          );
          codes = events.slice(before).filter((e) => e.event === "error").map((e) =>
            (e.detail as { code?: unknown } | null)?.code
          );
          ensure(
            codes.every((c) => c === "network_error" || c === "widget_error"),
            `the error events gave ${JSON.stringify(codes)}: a broken answer is network_error or widget_error`,
          );
        });
      } finally {
        await mend();
      }
      await ctx.step(
        "the reference widget calls it a failure of its own, widget_error",
        () =>
          Promise.resolve().then(() =>
            ensure(codes.includes("widget_error"), `the error events gave ${JSON.stringify(codes)}`)
          ),
        { level: "reference" },
      );
    },
  },
  {
    id: "browser-custom-data",
    title: "Custom data from the page lands in non_verified_custom_data and never replaces verified metadata",
    clause: "CUSTOM-DATA",
    level: "must",
    tags: ["browser", "custom-data"],
    needs: ["serverToken", "siteApiKey", "adminToken", "tenantId"],
    async run(ctx) {
      const u = user(ctx, "u", { metadata: { plan: "pro" } });
      const a = await ctx.device("A");
      const id = await ctx.step("U writes from a page passing its own custom data", async () => {
        await a.load({
          mode: "verified",
          user: u,
          clientUser: { customData: { plan: "free", theme: "dark" } },
        });
        return await a.startChat(`Custom data ${ctx.unique}`);
      });
      await ctx.step("the agent sees verified and page data apart", async () => {
        const detail = await ctx.agent("GET", conversationPath(ctx, id)) as {
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
  {
    id: "browser-first-visit",
    title:
      "With nobody signed in, the widget waits for a sign-in: it asks nothing of the server, loses no identity, and offers the verified visitor no sign-out",
    clause: "WIDGET-IDENTITY-LOST",
    level: "must",
    tags: ["browser", "token-expiry", "sign-in"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const a = await ctx.device("A");
      await ctx.step("a first visit to a page that asks for a verified visitor, nobody signed in", async () => {
        await a.load({ mode: "verified", noToken: "undefined" });
        const state = await a.state();
        ensure(state.phase === "awaiting-sign-in", `the phase is "${state.phase}", not awaiting-sign-in`);
        ensure(state.identity === null, "state() gives an identity before anyone signed in");
        await a.open();
        ensure(
          await a.count("retry") === 0,
          "nobody is signed in, and the panel offers Try again as if the page failed",
        );
        ensure(await a.identity() === "none", `the widget shows identity "${await a.identity()}"`);
        ensure(await a.count("signedOut") === 0, "the widget shows a first visitor signed out");
        ensure(await a.count("conversationItem") === 0, "the widget lists conversations before a sign-in");
        const lost = (await a.events()).filter((e) => e.event === "identity-lost");
        ensure(lost.length === 0, `identity-lost came on a first visit (${JSON.stringify(lost[0]?.detail)})`);
      });
      await ctx.step("U signs in on the page: verified, and offered no sign-out", async () => {
        await a.start({ mode: "verified", user: u });
        await a.history();
        ensure(await a.identity() === "verified", `the widget shows identity "${await a.identity()}"`);
        ensure(await a.count("reset") === 0, 'a verified visitor is offered "Forget me"');
      });
      await ctx.step("the page starts the widget again with nobody signed in: identity-lost, no-token", async () => {
        await a.start({ mode: "verified" });
        await a.seesSignedOut();
        const lost = (await a.events()).filter((e) => e.event === "identity-lost");
        const reason = (lost.at(-1)?.detail as { reason?: string } | undefined)?.reason;
        ensure(reason === "no-token", `identity-lost came with ${JSON.stringify(lost.at(-1)?.detail ?? null)}`);
        const state = await a.state();
        ensure(state.phase === "signed-out", `the phase is "${state.phase}", not signed-out`);
        ensure(state.identity === null, "state() still gives an identity once signed out");
      });
      await ctx.step(
        "the page starts the widget again with a token of U the server refuses: identity-lost, refused",
        async () => {
          const before = (await a.events()).length;
          await a.start({ mode: "verified-once", user: u, visitorToken: forged(await a.mintToken(u)) });
          await a.seesSignedOut();
          const events = (await a.events()).slice(before);
          const lost = events.filter((e) => e.event === "identity-lost");
          const reason = (lost.at(-1)?.detail as { reason?: string } | undefined)?.reason;
          ensure(reason === "refused", `identity-lost came with ${JSON.stringify(lost.at(-1)?.detail ?? null)}`);
          const code = (events.find((e) => e.event === "error")?.detail as { code?: unknown } | undefined)?.code;
          ensure(code === "visitor_token_invalid", `the error event gave the code ${JSON.stringify(code)}`);
          const state = await a.state();
          ensure(state.phase === "signed-out", `the phase is "${state.phase}", not signed-out`);
        },
      );
      await ctx.step(
        "a page that logs out before it ever started the widget (SetChat.reset() before init()): the reset fulfils",
        async () => {
          await a.reload();
          const outcome = await a.page.evaluate(async () => {
            try {
              await (globalThis as unknown as { SetChat: { reset(): Promise<void> } }).SetChat.reset();
              return "fulfilled";
            } catch (error) {
              return `rejected: ${error}`;
            }
          });
          ensure(outcome === "fulfilled", `SetChat.reset() before init() was ${outcome}`);
        },
        { level: "should" },
      );
    },
  },
  {
    id: "browser-token-callback-mistakes",
    title:
      "A getVisitorToken() that throws, or gives the whole mint answer, verifies nobody and shows nothing of the user's; the reference widget offers Try again and says what to fix",
    clause: "WIDGET-API",
    level: "must",
    tags: ["browser", "sign-in"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const text = `U's own question ${ctx.unique}`;
      const a = await ctx.device("A");
      await ctx.step("U writes, verified", async () => {
        await a.load({ mode: "verified", user: u });
        await a.startChat(text);
      });
      const notVerified = async (what: string) => {
        const state = await a.state();
        ensure(state.identity?.verified !== true, `state() gives a verified identity from ${what}`);
        await a.open();
        await a.doesNotShow(text);
        ensure(await a.identity() !== "verified", `the widget shows the visitor verified by ${what}`);
      };
      let warned = 0;
      const advice = async (what: string, says: string) => {
        ensure(await a.offersRetry(), `the panel offers no Try again after ${what}`);
        const given = (await a.warnings()).slice(warned).filter((w) => w.includes("getVisitorToken()"));
        ensure(given.length === 1, `${given.length} console warnings about getVisitorToken() after ${what}, not one`);
        ensure(given[0]!.includes(says), `the console's advice does not say "${says}": ${given[0]}`);
      };
      await ctx.step(
        "the page's getVisitorToken() gives the whole mint answer, not its token: nobody is verified, nothing of U's shows",
        async () => {
          warned = (await a.warnings()).length;
          await a.load({ mode: "verified", user: u, tokenMistake: "whole-answer" });
          await notVerified("the whole mint answer");
        },
      );
      await ctx.step(
        "the reference widget takes that for a failure of the callback: Try again, and one warning naming the token field",
        () => advice("the whole mint answer", "return its `token` field"),
        { level: "reference" },
      );
      await ctx.step(
        "the page's getVisitorToken() throws: an error event get_visitor_token_failed, nobody verified, nothing of U's",
        async () => {
          warned = (await a.warnings()).length;
          await a.load({ mode: "verified", user: u, tokenMistake: "throws" });
          const errors = (await a.events()).filter((e) => e.event === "error");
          const codes = errors.map((e) => (e.detail as { code?: unknown } | null)?.code);
          ensure(codes.includes("get_visitor_token_failed"), `the error events gave ${JSON.stringify(codes)}`);
          await notVerified("a callback that threw");
        },
      );
      await ctx.step(
        "the reference widget offers Try again and one warning saying the callback failed",
        () => advice("a callback that threw", "getVisitorToken() failed (Error: the page's token service is down)"),
        { level: "reference" },
      );
    },
  },
  {
    id: "browser-account-switch",
    title:
      "Account switches in one page, with answers delayed and reordered on purpose, never show the next person anything of the previous one",
    clause: "LOGOUT",
    level: "must",
    tags: ["browser", "logout", "race"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const v = user(ctx, "v");
      const uText = `U's question ${ctx.unique}`;
      const anonText = `The next visitor's question ${ctx.unique}`;
      const vText = `V's question ${ctx.unique}`;
      const a = await ctx.device("A");
      const uConversation = await ctx.step("U signs in and writes", async () => {
        await a.load({ mode: "verified", user: u });
        return await a.startChat(uText);
      });
      await ctx.step(
        "U signs out (reset(), then init()) while U's history is on its way: the next visitor sees none of it",
        async () => {
          const uSession = lastSession(a);
          const hold = await a.hold((c) =>
            c.method === "GET" && c.path === "/api/widget/conversations" && c.bearer === uSession
          );
          try {
            await caught(hold, "ask for the open history again");
            await a.reset();
            await a.start({ mode: "client", clientUser: { name: `Next visitor ${ctx.unique}` } });
            ensure((await a.history()).length === 0, "the next visitor sees conversations");
          } finally {
            await hold.release();
          }
          await sleep(800);
          ensure((await a.history()).length === 0, "the next visitor sees conversations once U's late answer came");
          await a.doesNotShow(uText);
        },
      );
      await ctx.step("the next visitor writes; V signs in over them (init()) while V's token is slow", async () => {
        await a.startChat(anonText);
        const hold = await a.holdToken();
        let starting: Promise<void> | undefined;
        try {
          starting = inBackground(a.start({ mode: "verified", user: v }));
          await caught(hold, "ask the page for V's token");
          await sleep(300);
        } finally {
          await hold.release();
        }
        await starting;
        ensure((await a.history()).length === 0, "V sees the previous visitor's conversation");
        await a.doesNotShow(anonText);
      });
      await ctx.step(
        "V writes; U signs in over V (a second init() with another token), V's answer arriving last",
        async () => {
          await a.startChat(vText);
          const vSession = lastSession(a);
          const hold = await a.hold((c) =>
            c.method === "GET" && c.path === "/api/widget/conversations" && c.bearer === vSession
          );
          try {
            await caught(hold, "ask for the open history again");
            await a.start({ mode: "verified", user: u });
            ensure((await a.history()).includes(uConversation), "U's conversation is missing");
          } finally {
            await hold.release();
          }
          await sleep(800);
          await a.doesNotShow(vText);
          await a.doesNotShow(anonText);
        },
      );
      await ctx.step(
        "after four starts in one page, the widget listens to other tabs' storage once: each start took its listener off",
        async () => {
          const listeners = await a.storageListeners();
          ensure(listeners <= 1, `the page holds ${listeners} storage listeners after four starts`);
        },
        { level: "should" },
      );
    },
  },
  {
    id: "browser-reset-in-flight",
    title: "A logout while the widget's session is still on its way: its late answer shows nothing and keeps nothing",
    clause: "LOGOUT",
    level: "must",
    tags: ["browser", "logout", "race"],
    needs: ["siteApiKey"],
    async run(ctx) {
      const text = `Before the logout ${ctx.unique}`;
      const a = await ctx.device("A");
      await ctx.step("a visitor writes", async () => {
        await a.load({ mode: "anonymous" });
        await a.startChat(text);
      });
      await ctx.step("the page loads again and logs out before the widget's session answered", async () => {
        const hold = await a.hold((c) => c.method === "POST" && c.path === "/api/widget/sessions");
        let loading: Promise<void> | undefined;
        let resetting: Promise<void> | undefined;
        try {
          loading = inBackground(a.load({ mode: "anonymous" }));
          await caught(hold, "ask for a session");
          resetting = inBackground(a.reset());
          await sleep(300);
        } finally {
          await hold.release();
        }
        await resetting;
        await loading;
      });
      await ctx.step("the next visitor sees nothing of the previous one", async () => {
        ensure((await a.history()).length === 0, "the next visitor sees the previous visitor's conversation");
        await a.doesNotShow(text);
        ensure((await a.state()).identity?.verified !== true, "the next visitor is verified");
      });
    },
  },
  {
    id: "browser-markup-as-text",
    title:
      "Markup and script in names, custom data, subjects and messages are shown as text, in the widget and the agent console",
    clause: "WIDGET-TEXT",
    level: "must",
    tags: ["browser", "xss"],
    needs: ["serverToken", "siteApiKey", "adminToken", "tenantId"],
    async run(ctx) {
      const name = payload(ctx, "name");
      const subject = payload(ctx, "subject");
      const message = payload(ctx, "message");
      const ticketMessage = payload(ctx, "ticket message");
      const reply = payload(ctx, "reply");
      const u = user(ctx, "u", { name: payload(ctx, "verified") });
      const [a, b, c] = await devices(ctx, "A, client data", "B, verified", "C, pre-chat form");
      const [, conversation] = await ctx.step(
        "three visitors write markup: in a name, custom data, a subject, a message",
        () =>
          Promise.all([
            (async () => {
              await a.load({ mode: "client", clientUser: { name, customData: { note: payload(ctx, "custom") } } });
              await a.startTicket(subject, ticketMessage);
            })(),
            (async () => {
              await b.load({ mode: "verified", user: u });
              const id = await b.startChat(message);
              await b.openConversation(id);
              return id;
            })(),
            (async () => {
              await c.load({ mode: "prechat" });
              await c.prechat(name, `c-${ctx.unique}@example.com`);
              await c.history();
            })(),
          ]),
      );
      await ctx.step("an agent replies with markup", async () => {
        await agentReplies(ctx, conversation, reply);
        await b.seesMessage(`reply ${ctx.unique}`);
      });
      await ctx.step("the widget shows each as the text it is", async () => {
        const problems: string[] = [];
        const shows = async (d: Device, what: string, text: string) => {
          if (!(await d.panelText()).includes(text)) {
            problems.push(`${d.name}: the ${what} is not shown as the text it is`);
          }
        };
        await Promise.all([
          shows(a, "name", name),
          shows(a, "subject", subject),
          shows(b, "verified name", u.name!),
          shows(b, "message", message),
          shows(b, "reply", reply),
          shows(c, "pre-chat name", name),
        ]);
        ctx.check("text-shown-as-text", problems);
      });
      await ctx.step("the agent console shows them as text too", async () => {
        const page = await a.context.newPage();
        try {
          const res = await page.goto(`${ctx.target.apiUrl}/demo/agent`);
          if (!res || res.status() === 404) return;
          const marker = `ticket message ${ctx.unique}`;
          await page.getByTestId("agent-conversation").filter({ hasText: marker }).first().click({ timeout: WAIT_MS });
          await page.getByTestId("agent-messages").filter({ hasText: marker }).waitFor({ timeout: WAIT_MS });
          await page.getByTestId("agent-visitor").filter({ hasText: `custom ${ctx.unique}` }).waitFor({
            timeout: WAIT_MS,
          });
          const text = await page.locator("body").innerText();
          const ran = await page.evaluate(() =>
            (globalThis as { __setchatScriptRuns?: number }).__setchatScriptRuns ?? 0
          );
          // Custom data is shown as JSON: its quotes escaped, its markup still text.
          const custom = payload(ctx, "custom");
          const shown: [string, boolean][] = [
            ["name", text.includes(name)],
            ["subject", text.includes(subject)],
            ["message", text.includes(ticketMessage)],
            ["custom data", text.includes(custom) || text.includes(JSON.stringify(custom).slice(1, -1))],
          ];
          ctx.check("agent-console-text", [
            ...shown.filter(([, ok]) => !ok).map(([what]) => `the agent console does not show the ${what} as text`),
            ...(ran ? [`visitor-controlled text ran as script in the agent console (${ran} times)`] : []),
          ]);
        } finally {
          await page.close();
        }
      }, { level: "reference" });
    },
  },
  {
    id: "browser-prechat-then-sign-in",
    title:
      "A pre-chat visitor who signs in sends none of the form's data with the token and sees none of its conversations; after a logout the form asks again",
    clause: "VIS-NO-MERGE",
    level: "must",
    tags: ["browser", "no-merge", "logout"],
    needs: ["serverToken", "siteApiKey"],
    async run(ctx) {
      const u = user(ctx, "u");
      const text = `Asked through the form ${ctx.unique}`;
      const a = await ctx.device("A");
      await ctx.step("a visitor fills the pre-chat form and writes", async () => {
        await a.load({ mode: "prechat" });
        await a.prechat(`Pat ${ctx.unique}`, `pat-${ctx.unique}@example.com`);
        await a.startChat(text);
      });
      await ctx.step("they sign in on the page, then reload it: U's history holds none of it", async () => {
        await a.start({ mode: "verified", user: u });
        ensure((await a.history()).length === 0, "U's verified history shows the pre-chat conversation");
        await a.load({ mode: "verified", user: u });
        ensure((await a.history()).length === 0, "U's verified history shows the pre-chat conversation after a reload");
        await a.doesNotShow(text);
      });
      await ctx.step("U signs out: the next visitor gets the form again, with nothing of before", async () => {
        await a.reset();
        await a.load({ mode: "prechat" });
        await a.open();
        ensure((await a.state()).phase === "prechat", `the phase is "${(await a.state()).phase}", not prechat`);
        ensure(await a.count("prechat") === 1, "the pre-chat form is not shown");
        await a.doesNotShow(text);
      });
    },
  },
];
