/**
 * One device: a fresh browser context (its own storage) with one page of the
 * host. Drives the widget through the contract's `data-testid` hooks and the
 * `SetChat` API only, so it works against any implementation of the widget.
 */
import type { BrowserContext, Locator, Page } from "playwright-core";
import { TESTID } from "../../src/contract/testids.ts";
import type { HostOptions, HostPage } from "./host.ts";

/** How long a scenario waits for the widget to show something. */
export const WAIT_MS = 8000;

/** A check of what is on screen failed. */
export class ScreenAssertion extends Error {
  override name = "ScreenAssertion";
}

/** A device of a scenario. */
export class Device {
  readonly logs: string[] = [];

  constructor(readonly name: string, readonly context: BrowserContext, readonly page: Page) {
    page.on("console", (m) => this.logs.push(`[${m.type()}] ${m.text()}`));
    page.on("pageerror", (e) => this.logs.push(`[pageerror] ${e.message}`));
  }

  #id(key: keyof typeof TESTID): Locator {
    return this.page.getByTestId(TESTID[key]);
  }

  /** Another tab of this device: a new page in the same context, sharing its storage. */
  async newTab(name: string): Promise<Device> {
    return new Device(name, this.context, await this.context.newPage());
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

  /** Loads the host page with `options`, and waits for the widget's `init()` to settle. */
  async load(host: HostPage, options: HostOptions): Promise<void> {
    await this.page.goto(host.url(options));
    await this.page.waitForFunction(() => (globalThis as { hostReady?: unknown }).hostReady !== undefined, null, {
      timeout: WAIT_MS,
    });
    await this.page.evaluate(() => (globalThis as unknown as { hostReady: Promise<string> }).hostReady);
  }

  /** Opens the panel if it is closed. */
  async open(): Promise<void> {
    if (!(await this.#id("panel").isVisible())) await this.#id("launcher").click();
    await this.#id("panel").waitFor({ state: "visible", timeout: WAIT_MS });
  }

  /** Waits until the history is shown (as a list, or as empty). */
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
    await this.#id("prechatName").fill(name);
    await this.#id("prechatEmail").fill(email);
    await this.#id("prechatSubmit").click();
  }

  /** Starts a chat with a first message; returns the conversation's id (from the history). */
  async startChat(text: string): Promise<string> {
    await this.history();
    await this.#id("newChat").click();
    await this.send(text);
    await this.#id("back").click();
    const items = await this.history();
    if (!items[0]) throw new ScreenAssertion("The new conversation is not in the history");
    return items[0];
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

  /** The identity the widget shows: `verified`, `guest`, `anonymous`, `signed-out` or `none`. */
  async identity(): Promise<string> {
    return (await this.#id("identity").getAttribute("data-state")) ?? "none";
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

  /** The page's logout: `SetChat.reset()`. */
  async reset(): Promise<void> {
    await this.page.evaluate(() => (globalThis as unknown as { SetChat: { reset(): Promise<void> } }).SetChat.reset());
  }

  /** How many times the page's `getVisitorToken` ran. */
  async tokenCalls(): Promise<number> {
    return await this.page.evaluate(() => (globalThis as unknown as { tokenCalls: number }).tokenCalls);
  }

  /** The widget events the page saw. */
  async events(): Promise<{ event: string; detail: unknown }[]> {
    return await this.page.evaluate(() =>
      (globalThis as unknown as { hostEvents: { event: string; detail: unknown }[] }).hostEvents
    );
  }
}

/** Fails with `message` unless `condition`. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ScreenAssertion(message);
}
