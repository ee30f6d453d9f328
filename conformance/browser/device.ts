/**
 * One tab of a browser: a page of the host in a browser context (its own
 * storage; tabs of one device share it). Drives the widget through the
 * contract's `data-testid` hooks and the `SetChat` API only, so it works
 * against any implementation of the widget; what it does is recorded in the
 * context's log, and what a logout must leave behind is checked as it
 * happens.
 */
import type { BrowserContext, Locator, Page, Request, Route } from "playwright-core";
import { TESTID } from "../../src/contract/testids.ts";
import type { Target } from "../target.ts";
import { ContractMismatch, isHostProblem } from "./contract.ts";
import { type HostOptions, PAGE_STORAGE } from "./host.ts";
import type { BrowserCheckId } from "./judge.ts";
import { type ContextLog, type HostEvent, jwtClaims, type Mark, sentBefore } from "./log.ts";
import { takeSamples } from "./sampler.ts";

/** How long a scenario waits for the widget to show something: long, for a busy machine; only a failure waits it out. */
export const WAIT_MS = 30_000;

/** A check of what is on screen failed. */
export class ScreenAssertion extends Error {
  override name = "ScreenAssertion";
}

/** A check failed and is recorded already: the step stops. */
export class CheckFailed extends Error {
  override name = "CheckFailed";
}

/** What a device needs of the scenario running it. */
export interface DeviceHooks {
  target: Target;
  hostUrl: string;
  /** Records a check, passed when `problems` is empty; false when a `must` check failed (the step must stop). */
  check(id: BrowserCheckId, problems: string[]): boolean;
  /** A new tab was opened: it is judged too. */
  opened(tab: Device): void;
}

/** A response held back until released: a race set up on purpose. */
export interface Hold {
  /** Resolves once a request matched and its answer is held. */
  caught: Promise<void>;
  /** Lets the held answers through, and stops holding. */
  release(): Promise<void>;
}

/** A tab of a device of a scenario. */
export class Device {
  readonly logs: string[] = [];
  readonly #pendingLogs: Promise<void>[] = [];

  constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly log: ContextLog,
    readonly hooks: DeviceHooks,
  ) {
    log.addTab(page, name);
    page.on("console", (m) => {
      const where = m.location();
      const at = where.url ? ` (${where.url}:${where.lineNumber + 1}:${where.columnNumber + 1})` : "";
      const line = this.logs.push(`[${m.type()}] ${m.text()}${at}`) - 1;
      if (m.type() !== "error" && m.type() !== "warning") return;
      // An error logged with its Error object: keep its stack.
      this.#pendingLogs.push(
        Promise.all(m.args().map((a) => a.evaluate((v) => v instanceof Error ? v.stack ?? "" : "").catch(() => "")))
          .then((stacks) => {
            const stack = stacks.filter((s) => s && !this.logs[line]!.includes(s)).join("\n");
            if (stack) this.logs[line] += `\n${stack.replace(/^/gm, "    ")}`;
          }),
      );
    });
  }

  /**
   * Logs the page's uncaught errors with their stacks. Through DevTools, not
   * Playwright's `pageerror`: a widget script from another origin has its
   * errors' stacks hidden from the page, not from DevTools.
   */
  async watchErrors(): Promise<this> {
    const cdp = await this.context.newCDPSession(this.page);
    cdp.on("Runtime.exceptionThrown", ({ exceptionDetails: e }) => {
      const first = (e.exception?.description ?? e.text).split("\n")[0];
      const frames = (e.stackTrace?.callFrames ?? []).map((f) =>
        `    at ${f.functionName || "<anonymous>"} (${f.url}:${f.lineNumber + 1}:${f.columnNumber + 1})`
      );
      this.logs.push([`[pageerror] ${first}`, ...frames].join("\n"));
    });
    await cdp.send("Runtime.enable");
    return this;
  }

  /** The console, every stack included. */
  async consoleLog(): Promise<string[]> {
    await Promise.all(this.#pendingLogs);
    return this.logs;
  }

  #id(key: keyof typeof TESTID): Locator {
    return this.page.getByTestId(TESTID[key]);
  }

  /** Another tab of this device: a new page in the same context, sharing its storage. */
  async newTab(name: string): Promise<Device> {
    const tab = await new Device(name, this.context, await this.context.newPage(), this.log, this.hooks).watchErrors();
    this.hooks.opened(tab);
    return tab;
  }

  /** Reads what this tab's sampler recorded into the log. */
  async collect(): Promise<void> {
    const samples = await takeSamples(this.page);
    if (samples) this.log.addSamples(this.name, samples);
  }

  /** Loads the host page and starts the widget with `options`. */
  async load(options: HostOptions): Promise<void> {
    await this.reload();
    await this.start(options);
  }

  /** Loads the host page, the widget not started. */
  async reload(): Promise<void> {
    await this.collect();
    await this.page.goto(this.hooks.hostUrl);
  }

  /** A visitor token for `user`, minted by the host page's backend as `getVisitorToken()` would get it. */
  async mintToken(user: NonNullable<HostOptions["user"]>, workspace?: string): Promise<string> {
    const res = await fetch(new URL("/token", this.hooks.hostUrl), {
      method: "POST",
      body: JSON.stringify({ user, ...(workspace ? { workspace } : {}) }),
    });
    const { token } = await res.json() as { token: string | null };
    if (!token) throw new Error(`The target minted no visitor token for ${user.id}`);
    return token;
  }

  /**
   * Starts the widget again in the page, without a reload (`SetChat.init()`):
   * a sign-in, a sign-out or an account switch as a single-page app does it.
   */
  async start(options: HostOptions): Promise<void> {
    const problem = await this.page.evaluate(
      (o) => (globalThis as unknown as { host: { start(o: unknown): Promise<unknown> } }).host.start(o),
      options,
    );
    if (isHostProblem(problem)) throw new ContractMismatch(problem.rule, problem.saw);
  }

  /** Waits until the history is empty and `text` is nowhere in the panel. */
  async historyEmpties(text: string): Promise<void> {
    try {
      await this.#id("empty").waitFor({ state: "visible", timeout: WAIT_MS });
    } catch {
      throw new ScreenAssertion(`${this.name}: the history is still shown`);
    }
    ensure(await this.#id("conversationItem").count() === 0, `${this.name}: conversations are still listed`);
    await this.doesNotShow(text);
  }

  /**
   * Opens the panel if it is closed: then `state().open` says so and the
   * `open` event came (docs/widget.md, "The API").
   */
  async open(): Promise<void> {
    if (await this.#id("panel").isVisible()) return;
    const before = (await this.events()).length;
    await this.#id("launcher").click();
    await this.#id("panel").waitFor({ state: "visible", timeout: WAIT_MS });
    const state = await this.state();
    ensure(state.open === true, `${this.name}: the panel is open, yet state().open is ${JSON.stringify(state.open)}`);
    const opened = (await this.events()).slice(before).some((e) => e.event === "open");
    ensure(opened, `${this.name}: the launcher opened the panel and no open event came`);
  }

  /** Waits until the history is shown (as a list, or as empty); returns its conversations' ids. */
  async history(): Promise<string[]> {
    await this.open();
    await this.page.locator(`[data-testid="${TESTID.conversationList}"], [data-testid="${TESTID.empty}"]`).first()
      .waitFor({ state: "visible", timeout: WAIT_MS });
    return await this.#id("conversationItem").evaluateAll((els) =>
      els.map((e) => e.getAttribute("data-conversation-id") ?? "")
    );
  }

  /** Fills and sends the pre-chat form. */
  async prechat(name: string, email: string): Promise<void> {
    await this.open();
    this.log.typedPrechat([name, email]);
    await this.#id("prechatName").fill(name);
    await this.#id("prechatEmail").fill(email);
    await this.#id("prechatSubmit").click();
  }

  /** Starts a chat with a first message; returns the conversation's id (from the history). */
  async startChat(text: string): Promise<string> {
    const before = await this.history();
    await this.#id("newChat").click();
    await this.send(text);
    await this.#id("back").click();
    // The history may show what it had before its next answer arrives: wait for the conversation it did not have.
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const fresh = (await this.history()).find((id) => !before.includes(id));
      if (fresh) return fresh;
      if (Date.now() > deadline) throw new ScreenAssertion("The new conversation is not in the history");
      await this.page.waitForTimeout(100);
    }
  }

  /** Opens a new chat and types `text` in its composer, unsent. */
  async typeDraft(text: string): Promise<void> {
    await this.history();
    await this.#id("newChat").click();
    await this.#id("composerInput").fill(text);
  }

  /** Opens a new chat from the history; returns what its composer holds. */
  async newChatComposer(): Promise<string> {
    await this.history();
    await this.#id("newChat").click();
    return await this.#id("composerInput").inputValue({ timeout: WAIT_MS });
  }

  /** Opens the ticket form, creates a ticket with `subject`, and writes `text` in it. */
  async startTicket(subject: string, text: string): Promise<void> {
    await this.history();
    await this.#id("newTicket").click();
    await this.#id("ticketSubject").fill(subject);
    await this.#id("ticketSubmit").click();
    await this.send(text);
    await this.#id("back").click();
    await this.history();
  }

  /** Sends a message in the open conversation and waits to see it. */
  async send(text: string): Promise<void> {
    await this.#id("composerInput").fill(text);
    await this.#id("composerSend").click();
    await this.seesMessage(text);
  }

  /** Opens a conversation of the history. */
  async openConversation(id: string): Promise<void> {
    await this.history();
    await this.page.locator(`[data-testid="${TESTID.conversationItem}"][data-conversation-id="${id}"]`).click();
    await this.#id("messageList").waitFor({ state: "visible", timeout: WAIT_MS });
  }

  /** Waits to see a message with `text`. */
  async seesMessage(text: string): Promise<void> {
    try {
      await this.#id("message").filter({ hasText: text }).first().waitFor({ state: "visible", timeout: WAIT_MS });
    } catch {
      throw new ScreenAssertion(`${this.name}: the message "${text}" does not appear`);
    }
  }

  /** Fails if `text` is anywhere in the widget's panel. */
  async doesNotShow(text: string): Promise<void> {
    const shown = await this.#id("panel").innerText().catch(() => "");
    if (shown.includes(text)) throw new ScreenAssertion(`${this.name}: the widget shows "${text}"`);
  }

  /** The panel's text as a person reads it. */
  async panelText(): Promise<string> {
    return await this.#id("panel").innerText().catch(() => "");
  }

  /** Waits until the panel offers **Try again** (a start that failed); false when it never does. */
  async offersRetry(): Promise<boolean> {
    await this.open();
    return await this.#id("retry").waitFor({ state: "visible", timeout: WAIT_MS }).then(() => true, () => false);
  }

  /** The console's warnings so far. */
  async warnings(): Promise<string[]> {
    return (await this.consoleLog()).filter((line) => line.startsWith("[warning]"));
  }

  /** The identity the widget shows: `verified`, `guest`, `anonymous`, `signed-out` or `none`. */
  async identity(): Promise<string> {
    return (await this.#id("identity").getAttribute("data-state")) ?? "none";
  }

  /** What `SetChat.state()` says. */
  async state(): Promise<{ phase: string; open: boolean; identity: { verified?: boolean } | null }> {
    return await this.page.evaluate(() =>
      (globalThis as unknown as { SetChat: { state(): { phase: string; open: boolean; identity: null } } }).SetChat
        .state()
    );
  }

  /** Waits until the widget shows the visitor signed out, with no history. */
  async seesSignedOut(): Promise<void> {
    await this.open();
    try {
      await this.#id("signedOut").waitFor({ state: "visible", timeout: WAIT_MS });
    } catch {
      throw new ScreenAssertion(`${this.name}: the widget does not show the visitor signed out`);
    }
    const items = await this.#id("conversationItem").count();
    const messages = await this.#id("message").count();
    if (items + messages > 0) {
      throw new ScreenAssertion(
        `${this.name}: signed out, yet ${items} conversations and ${messages} messages are shown`,
      );
    }
  }

  /** How many `data-testid` hooks named `key` are in the widget now. */
  async count(key: keyof typeof TESTID): Promise<number> {
    return await this.#id(key).count();
  }

  /**
   * The page's logout, `SetChat.reset()`, and what it must leave behind,
   * checked once its promise fulfilled: every session the browser had is
   * ended on the server, no storage holds a device credential of before,
   * and such a credential, replayed, sees none of its conversations.
   */
  async reset(): Promise<void> {
    const problem = await this.page.evaluate(() =>
      (globalThis as unknown as { host: { reset(): Promise<unknown> } }).host.reset()
    );
    const kept = [
      isHostProblem(problem)
        ? this.hooks.check(
          problem.rule.startsWith("reset") ? "reset-contract" : "widget-contract",
          [new ContractMismatch(problem.rule, problem.saw).message],
        )
        : true,
    ];
    await this.log.ledger.settled();
    const mark = this.log.marks().filter((m) => m.tab === this.name && m.kind === "reset").at(-1);
    if (!mark) throw new ScreenAssertion(`${this.name}: the host page's reset left no mark in the request log`);
    const before = this.log.credentialsBefore(mark);
    kept.push(
      this.hooks.check("reset-ends-session", await this.#sessionsStillOpen(mark)),
      this.hooks.check("reset-forgets-credential", await this.storageHolds(before, "once reset() fulfilled")),
      this.hooks.check("retired-credential-sees-nothing", await this.#replay(before)),
    );
    if (!kept.every(Boolean)) throw new CheckFailed(`${this.name}: reset() left the previous visitor behind`);
    const own = await this.page.evaluate((key) => {
      try {
        return localStorage.getItem(key);
      } catch {
        return undefined; // A browser that refuses storage kept nothing for the page either.
      }
    }, PAGE_STORAGE.key);
    ensure(
      own === undefined || own === PAGE_STORAGE.value,
      `${this.name}: reset() took away what the page keeps in localStorage`,
    );
  }

  async #sessionsStillOpen(mark: Mark): Promise<string[]> {
    const { apiUrl } = this.hooks.target;
    const open: string[] = [];
    await Promise.all(
      this.log.sessions().filter((s) => sentBefore(s, mark)).map(async (s) => {
        const res = await fetch(`${apiUrl}/api/widget/conversations`, {
          headers: { authorization: `Bearer ${s.token}` },
        });
        await res.body?.cancel();
        if (res.status !== 401) {
          open.push(
            `${this.name}: a session of ${
              s.verified ? "the verified visitor" : "this browser"
            } still answers ${res.status} after reset()`,
          );
        }
      }),
    );
    return open;
  }

  /** Problems when any storage of this browser (every tab) holds one of `values`. */
  async storageHolds(values: Set<string>, when: string): Promise<string[]> {
    if (values.size === 0) return [];
    const state = JSON.stringify(await this.context.storageState({ indexedDB: true }));
    const session = await Promise.all(
      this.context.pages().filter((p) => !p.isClosed()).map((p) =>
        p.evaluate(() => JSON.stringify(Object.entries(sessionStorage))).catch(() => "")
      ),
    );
    const all = state + session.join("");
    return [...values].filter((v) => all.includes(v)).map(() =>
      `${this.name}: the browser's storage still holds a device credential of before the reset, ${when}`
    );
  }

  /** Replays each credential through the API; problems when a session opened with it sees one of its conversations. */
  async #replay(credentials: Set<string>): Promise<string[]> {
    const { apiUrl, vars } = this.hooks.target;
    const workspaces = new Set(
      this.log.calls().filter((c) => c.method === "POST" && c.path === "/api/widget/sessions").map((c) =>
        (c.body as { workspace?: { externalId?: string } } | undefined)?.workspace?.externalId
      ),
    );
    const problems: string[] = [];
    for (const credential of credentials) {
      for (const ws of workspaces) {
        const res = await fetch(`${apiUrl}/api/widget/sessions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            siteApiKey: vars.siteApiKey,
            deviceCredential: credential,
            ...(ws ? { workspace: { externalId: ws } } : {}),
          }),
        });
        const created = await res.json().catch(() => null) as { sessionToken?: string } | null;
        if (!res.ok || !created?.sessionToken) continue;
        const list = await fetch(`${apiUrl}/api/widget/conversations`, {
          headers: { authorization: `Bearer ${created.sessionToken}` },
        });
        const ids = ((await list.json().catch(() => null))?.conversations ?? []).map((c: { id: string }) => c.id);
        const owner = `device:${credential}@${ws ?? ""}`;
        const seen = ids.filter((id: string) => this.log.ledger.conversations.get(id) === owner);
        if (seen.length) {
          problems.push(
            `${this.name}: the device credential of before the reset, replayed, opens a session that sees ${seen.length} of its conversations`,
          );
        }
      }
    }
    return problems;
  }

  /**
   * Holds the answers of the widget API requests that `match` selects (the
   * server has answered; the page does not see it yet) until released: a
   * slow network, on purpose.
   */
  async hold(match: (call: { method: string; path: string; bearer: string | undefined }) => boolean): Promise<Hold> {
    const api = new URL(this.hooks.target.apiUrl);
    return await this.#hold(
      (r) => r.url().startsWith(`${api.origin}`) && new URL(r.url()).pathname.includes("/api/widget/"),
      (r) => {
        const auth = r.headers()["authorization"];
        return match({
          method: r.method(),
          path: new URL(r.url()).pathname.replace(/^.*(?=\/api\/widget\/)/, ""),
          bearer: auth?.startsWith("Bearer ") ? auth.slice(7) : undefined,
        });
      },
    );
  }

  /**
   * Answers the widget API requests that `match` selects with a `200` whose
   * JSON breaks off (a connection cut mid-answer, a proxy's fault), until the
   * returned function is called.
   */
  async breakAnswers(match: (call: { method: string; path: string }) => boolean): Promise<() => Promise<void>> {
    const api = new URL(this.hooks.target.apiUrl);
    const handler = (route: Route) => {
      const r = route.request();
      const path = new URL(r.url()).pathname.replace(/^.*(?=\/api\/widget\/)/, "");
      if (!r.url().startsWith(api.origin) || !path.startsWith("/api/widget/") || !match({ method: r.method(), path })) {
        return route.fallback();
      }
      return route.fulfill({
        status: 200,
        headers: { "content-type": "application/json", "access-control-allow-origin": "*" },
        body: '{"conversations": [{"id": "cnv_',
      });
    };
    await this.context.route("**/*", handler);
    return async () => await this.context.unroute("**/*", handler);
  }

  /** Holds the host page's token endpoint: the customer's backend is slow. */
  async holdToken(): Promise<Hold> {
    return await this.#hold((r) => r.url() === new URL("/token", this.hooks.hostUrl).href, () => true);
  }

  async #hold(scope: (r: Request) => boolean, match: (r: Request) => boolean): Promise<Hold> {
    let caught!: () => void;
    const caughtPromise = new Promise<void>((resolve) => (caught = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: Promise<void>[] = [];
    const handler = (route: Route) => {
      const request = route.request();
      if (!scope(request) || !match(request)) return route.fallback();
      const done = (async () => {
        const response = await route.fetch().catch(() => null);
        caught();
        await released;
        if (response) await route.fulfill({ response }).catch(() => {});
        else await route.abort().catch(() => {});
      })();
      held.push(done);
      return done;
    };
    await this.context.route("**/*", handler);
    return {
      caught: caughtPromise,
      release: async () => {
        await this.context.unroute("**/*", handler);
        release();
        await Promise.all(held);
      },
    };
  }

  /**
   * The lifetime of the visitor token this tab's widget last sent to open a
   * session, in ms (its `exp` less its `iat`): how long that session may live.
   */
  tokenLifetimeMs(): number {
    const token = this.log.calls().filter((c) =>
      c.tab === this.name && c.method === "POST" && c.path === "/api/widget/sessions" &&
      typeof (c.body as { visitorToken?: unknown } | undefined)?.visitorToken === "string"
    ).map((c) => (c.body as { visitorToken: string }).visitorToken).at(-1);
    if (!token) throw new ScreenAssertion(`${this.name}: the widget sent no visitor token to open a session`);
    const claims = jwtClaims(token);
    if (typeof claims?.exp !== "number") throw new ScreenAssertion(`${this.name}: the visitor token sent has no exp`);
    return (claims.exp - (typeof claims.iat === "number" ? claims.iat : Date.now() / 1000)) * 1000;
  }

  /**
   * Jumps the page's clock (installed with the device's `clock` option) `ms`
   * ahead and holds it there: the timers due by then run once, none after
   * until {@linkcode resumeClock}. What a widget must have done by a moment
   * is then seen at that moment, however long the look takes.
   */
  async jumpAndHold(ms: number): Promise<void> {
    const now = await this.page.evaluate(() => Date.now());
    await this.page.clock.pauseAt(now + ms);
  }

  /** Lets the page's clock run again. */
  async resumeClock(): Promise<void> {
    await this.page.clock.resume();
  }

  /**
   * Waits, the page's clock held, until `test` holds of the page's events:
   * a few seconds of real time for what the widget started to finish (a
   * request, a promise), while no later timer of the page runs.
   */
  async eventsHeld(test: (events: HostEvent[]) => boolean, what: string): Promise<HostEvent[]> {
    const deadline = Date.now() + HELD_MS;
    for (;;) {
      const events = await this.events();
      if (test(events)) return events;
      if (Date.now() > deadline) throw new ScreenAssertion(`${this.name}: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Signs `user` in to the page (`null`: signs everyone out) without telling
   * the widget, as another tab of the page would: `getVisitorToken()` gives
   * their token from now on.
   */
  async signInOnPage(user: NonNullable<HostOptions["user"]> | null): Promise<void> {
    this.log.signedIn(this.name, user);
    await this.page.evaluate((u) => {
      (globalThis as unknown as { host: { signedIn: unknown } }).host.signedIn = u;
    }, user);
  }

  /** Writes `value` under every key of this page's `localStorage` but the page's own: what the widget kept there. */
  async overwriteWidgetStorage(value: string): Promise<number> {
    return await this.page.evaluate(({ own, value }) => {
      const keys = Object.keys(localStorage).filter((k) => k !== own);
      for (const k of keys) localStorage.setItem(k, value);
      return keys.length;
    }, { own: PAGE_STORAGE.key, value });
  }

  /** How many times the page's `getVisitorToken` ran. */
  async tokenCalls(): Promise<number> {
    return await this.page.evaluate(() => (globalThis as unknown as { host: { tokenCalls: number } }).host.tokenCalls);
  }

  /** The widget events the page saw. */
  /** How many `storage` listeners the page holds now. */
  async storageListeners(): Promise<number> {
    return await this.page.evaluate(() =>
      (globalThis as unknown as { __setchatStorageListeners: number }).__setchatStorageListeners
    );
  }

  async events(): Promise<HostEvent[]> {
    return await this.page.evaluate(() => (globalThis as unknown as { host: { events: HostEvent[] } }).host.events);
  }
}

/** How a scenario's device is made. */
export interface DeviceOptions {
  /** The page's clock is installed, for the scenario to move. */
  clock?: boolean;
  /** `refused`: the browser refuses `localStorage` to every page (it throws, as when a visitor blocks site data). */
  storage?: "refused";
}

/** Run before every page's scripts: `localStorage` throws, as Chromium's does when site data is blocked. */
export const REFUSED_STORAGE_SCRIPT = `Object.defineProperty(globalThis, "localStorage", {
  configurable: true,
  get() { throw new DOMException("Access is denied for this document.", "SecurityError"); },
});`;

/**
 * Run before every page's scripts: counts the page's live `storage` listeners (added, and not removed since), so that
 * a check can see listeners left behind by an earlier start.
 */
export const STORAGE_LISTENERS_SCRIPT = `(() => {
  const live = new Set();
  const add = window.addEventListener, remove = window.removeEventListener;
  window.addEventListener = function (type, listener, options) {
    if (this === window && type === "storage") live.add(listener);
    return add.call(this, type, listener, options);
  };
  window.removeEventListener = function (type, listener, options) {
    if (this === window && type === "storage") live.delete(listener);
    return remove.call(this, type, listener, options);
  };
  Object.defineProperty(window, "__setchatStorageListeners", { get: () => live.size });
})();`;

/** How long {@linkcode Device.eventsHeld} waits, in real time, with the page's clock held. */
export const HELD_MS = 10_000;

/** Fails with `message` unless `condition`. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ScreenAssertion(message);
}
