/**
 * Screenshots of the demo for the README: starts the reference on a free
 * port with a temporary data directory, drives the demo with headless
 * Chromium, and writes PNGs to `docs/images/` (or `--out DIR`).
 * `deno task screenshots` builds the browser code first.
 */
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { launchChromium } from "../conformance/browser/chromium.ts";
import { TESTID } from "../src/contract/testids.ts";
import type { SetChatApi } from "../widget/widget.d.ts";
import { startServer } from "../src/server.ts";
import { loadFixtures } from "../conformance/fixtures.ts";
import { namedProfile } from "../conformance/levels.ts";
import { MUTANTS } from "../conformance/proof/mutants.ts";
import { toHtml } from "../conformance/reporters.ts";
import { runSuite } from "../conformance/runner.ts";
import { startInProcessTarget } from "../conformance/target.ts";

const WAIT = 10_000;

/** The viewports the screenshots are taken at, at a device scale of 1 to keep the files small. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;

async function visible(page: Page, testid: string): Promise<Locator> {
  const locator = page.getByTestId(testid).first();
  await locator.waitFor({ state: "visible", timeout: WAIT });
  return locator;
}

/** Waits for polling and fonts to settle, then writes `name.png`. */
async function shot(page: Page, outDir: string, name: string, written: string[]): Promise<void> {
  await page.waitForLoadState("networkidle").catch(() => {});
  await page.waitForTimeout(300);
  const path = join(outDir, `${name}.png`);
  await page.screenshot({ path });
  written.push(path);
}

async function signInAda(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByTestId("demo-sign-in-user-ada").click();
  await page.getByTestId("demo-user").waitFor({ timeout: WAIT });
  await page.locator(`[data-testid="${TESTID.identity}"][data-state="verified"]`)
    .waitFor({ state: "attached", timeout: WAIT });
}

/** Writes a message in the open conversation and waits to see it. */
async function write(page: Page, text: string): Promise<void> {
  await (await visible(page, TESTID.composerInput)).fill(text);
  await page.getByTestId(TESTID.composerSend).click();
  await page.getByTestId(TESTID.message).filter({ hasText: text }).waitFor({ timeout: WAIT });
}

async function desktop(browser: Browser, url: string, outDir: string): Promise<string[]> {
  const written: string[] = [];
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, deviceScaleFactor: 1, locale: "en-GB" });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await page.getByTestId("demo-mode-verified").waitFor({ timeout: WAIT });
    await page.getByTestId(TESTID.launcher).click();
    await page.getByTestId(TESTID.panel).getByText("Sign in to chat with us.").waitFor({ timeout: WAIT });
    await shot(page, outDir, "demo-signed-out", written);
    await page.getByTestId(TESTID.close).click();

    await signInAda(page, url);
    await shot(page, outDir, "demo-signed-in", written);

    await page.getByTestId(TESTID.launcher).click();
    await (await visible(page, TESTID.newChat)).click();
    await write(page, "Where is my invoice for March?");
    await page.getByTestId(TESTID.back).click();
    await (await visible(page, TESTID.newTicket)).click();
    await (await visible(page, TESTID.ticketSubject)).fill("Export to CSV fails");
    await page.getByTestId(TESTID.ticketSubmit).click();
    await write(page, "The export stops at 10,000 rows.");
    await page.getByTestId(TESTID.back).click();
    await page.getByTestId(TESTID.conversationItem).nth(1).waitFor({ timeout: WAIT });

    const agent = await context.newPage();
    await agent.goto(`${url}/demo/agent`);
    await agent.getByTestId("agent-conversation").filter({ hasText: "invoice" }).click();
    await agent.getByTestId("agent-reply-input").fill("Thanks Ada, it is on its way to your inbox.");
    await agent.getByTestId("agent-reply-send").click();
    await agent.getByTestId("agent-messages").filter({ hasText: "on its way" }).waitFor({ timeout: WAIT });
    await shot(agent, outDir, "agent-console", written);

    await page.bringToFront();
    await page.getByTestId(TESTID.conversationItem).filter({ hasText: "on its way" }).waitFor({ timeout: WAIT });
    await shot(page, outDir, "widget-history", written);

    // The same browser, not verified: what a visitor with an empty history reads.
    // The panel overlays the page: close it to reach the demo's controls, then open it again.
    await page.getByTestId(TESTID.close).click();
    await page.getByTestId("demo-mode-anonymous").click();
    await page.getByTestId(TESTID.launcher).click();
    await visible(page, TESTID.empty);
    await shot(page, outDir, "widget-not-verified", written);
    // Leave the demo as a new visitor finds it.
    await page.getByTestId(TESTID.close).click();
    await page.getByTestId("demo-mode-verified").click();
  } finally {
    await context.close();
  }
  return written;
}

async function phone(browser: Browser, url: string, outDir: string): Promise<string[]> {
  const written: string[] = [];
  const context = await browser.newContext({
    viewport: VIEWPORTS.phone,
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 1,
    locale: "en-GB",
  });
  try {
    const page = await context.newPage();
    await signInAda(page, url);
    await page.getByTestId(TESTID.launcher).click();
    await page.getByTestId(TESTID.conversationItem).first().waitFor({ timeout: WAIT });
    await shot(page, outDir, "phone-widget-open", written);
    const agent = await context.newPage();
    await agent.goto(`${url}/demo/agent`);
    await agent.getByTestId("agent-conversation").first().click();
    await agent.getByTestId("agent-messages").waitFor({ timeout: WAIT });
    await shot(agent, outDir, "phone-agent-console", written);
  } finally {
    await context.close();
  }
  return written;
}

/**
 * The widget's states on the demo page, at one viewport: an agent's reply
 * while the panel is closed, a new chat's greeting, a start that failed, and
 * a page whose token callback gives the mint answer instead of its token.
 * Files are named `widget-<state>`, with `phone-` in front on a phone.
 */
async function states(browser: Browser, url: string, outDir: string, on: keyof typeof VIEWPORTS): Promise<string[]> {
  const written: string[] = [];
  const prefix = on === "phone" ? "phone-" : "";
  const context = await browser.newContext({
    viewport: VIEWPORTS[on],
    deviceScaleFactor: 1,
    locale: "en-GB",
    ...(on === "phone" ? { isMobile: true, hasTouch: true } : {}),
  });
  try {
    const page = await context.newPage();
    await signInAda(page, url);
    const agent = await context.newPage();
    await agent.goto(`${url}/demo/agent`);
    await agent.getByTestId("agent-conversation").first().click();
    await agent.getByTestId("agent-reply-input").fill("We fixed the export this morning: could you try again?");
    await agent.getByTestId("agent-reply-send").click();
    await agent.getByTestId("agent-messages").filter({ hasText: "try again" }).waitFor({ timeout: WAIT });
    await page.bringToFront();
    await visible(page, TESTID.launcherPreview);
    await shot(page, outDir, `${prefix}widget-unread`, written);

    await page.getByTestId(TESTID.launcher).click();
    await (await visible(page, TESTID.newChat)).click();
    await visible(page, TESTID.composerInput);
    await shot(page, outDir, `${prefix}widget-new-chat`, written);

    const site = await page.evaluate(async () => (await (await fetch("/demo/api/me")).json()).siteApiKey as string);
    await page.evaluate(() =>
      (globalThis as unknown as { SetChat: SetChatApi }).SetChat.init({ siteApiKey: "site_mistyped", open: true })
    );
    await visible(page, TESTID.retry);
    await shot(page, outDir, `${prefix}widget-start-failed`, written);

    await page.evaluate(
      (siteApiKey) =>
        (globalThis as unknown as { SetChat: SetChatApi }).SetChat.init({
          siteApiKey,
          open: true,
          // The usual mistake: the whole mint answer instead of its token.
          getVisitorToken: () => ({ token: "eyJ…", expiresIn: 300 }) as never,
        }),
      site,
    );
    await page.getByTestId(TESTID.panel).getByText("We could not confirm your account.").waitFor({ timeout: WAIT });
    await shot(page, outDir, `${prefix}widget-unconfirmed`, written);
  } finally {
    await context.close();
  }
  return written;
}

/**
 * The HTML report of a run that fails: the suite against a broken build of
 * the reference (one that merges contacts by a typed-in email), in process.
 */
async function report(browser: Browser, outDir: string): Promise<string[]> {
  const written: string[] = [];
  const mutant = MUTANTS.find((m) => m.name === "merges-by-email")!;
  const target = await startInProcessTarget(mutant.options());
  const dir = await Deno.makeTempDir({ prefix: "setchat-report-" });
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, deviceScaleFactor: 1, locale: "en-GB" });
  try {
    const run = await runSuite({
      target,
      cases: await loadFixtures(new URL("../fixtures", import.meta.url).pathname),
      profile: namedProfile("reference", "the default for the reference in process"),
    });
    const file = join(dir, "report.html");
    await Deno.writeTextFile(file, toHtml(run));
    const page = await context.newPage();
    await page.goto(`file://${file}`);
    await shot(page, outDir, "report-failure", written);
  } finally {
    await context.close();
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
  return written;
}

/** Takes every screenshot against a running demo at `url`; returns the files written. */
export async function takeScreenshots(url: string, outDir: string): Promise<string[]> {
  await Deno.mkdir(outDir, { recursive: true });
  const browser = await launchChromium();
  try {
    return [
      ...await desktop(browser, url, outDir),
      ...await phone(browser, url, outDir),
      ...await states(browser, url, outDir, "desktop"),
      ...await states(browser, url, outDir, "phone"),
      ...await report(browser, outDir),
    ];
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--out");
  const outDir = at >= 0 && Deno.args[at + 1]
    ? Deno.args[at + 1]!
    : new URL("../docs/images", import.meta.url).pathname;
  const dataDir = await Deno.makeTempDir({ prefix: "setchat-screenshots-" });
  try {
    await using server = await startServer({
      hostname: "127.0.0.1",
      port: 0,
      dataDir,
      issuer: "setchat-reference",
      visitorTokenLifetime: 300,
      publicUrl: undefined,
    });
    if (!server.deps.widgetScript) {
      throw new Error("Cannot take screenshots: dist/ is not built; run `deno task build`");
    }
    for (const file of await takeScreenshots(server.publicUrl, outDir)) console.log(file);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}
