/**
 * The reference widget's states, as a person meets them in Chromium: a start
 * that fails, a visitor who is not signed in, a page whose token callback
 * misbehaves, an agent's reply while the panel is closed, a chat that is not
 * created until it has a message. The host page is served by route, from an
 * origin of its own, and loads widget.js from the reference server.
 */
import assert from "node:assert/strict";
import type { Browser, ConsoleMessage, Page } from "playwright-core";
import { launchChromium } from "../../conformance/browser/chromium.ts";
import { TESTID } from "../../src/contract/testids.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { TEST_SERVER_CONFIG } from "../../src/test_utils.ts";

const WAIT = 10_000;

/** The host page the next navigation gets: its body and its own headers (a CSP). */
interface HostContent {
  body: string;
  headers: Record<string, string>;
  /** Scripts of the host's own origin, by path. */
  scripts: Record<string, string>;
}

interface Fixture {
  server: RunningServer;
  browser: Browser;
  site: string;
  /** The host's origin, apart from the SetChat server's, as a customer's site is. */
  host: string;
  content: HostContent;
  [Symbol.asyncDispose](): Promise<void>;
}

async function fixture(): Promise<Fixture> {
  const server = await startServer(TEST_SERVER_CONFIG);
  if (!server.deps.widgetScript) {
    await server.close();
    throw new Error("Cannot test the widget: dist/ is not built; run `deno task build` (the test task does)");
  }
  const browser = await launchChromium();
  const content: HostContent = { body: "", headers: {}, scripts: {} };
  const host = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    const script = content.scripts[path];
    if (script !== undefined) return new Response(script, { headers: { "content-type": "text/javascript" } });
    const page =
      `<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>${content.body}</body></html>`;
    return new Response(path === "/favicon.ico" ? null : page, {
      status: path === "/favicon.ico" ? 404 : 200,
      headers: { "content-type": "text/html; charset=utf-8", ...content.headers },
    });
  });
  return {
    server,
    browser,
    site: server.demo!.acme.sites[0]!.apiKey,
    host: `http://127.0.0.1:${host.addr.port}`,
    content,
    async [Symbol.asyncDispose]() {
      await browser.close();
      await host.shutdown();
      await server.close();
    },
  };
}

/** A page of the host that loads the widget; `headers` are the host page's own (a CSP). */
async function hostPage(
  f: Fixture,
  options: {
    headers?: Record<string, string>;
    body?: string;
    scripts?: Record<string, string>;
    locale?: string;
    viewport?: { width: number; height: number };
  } = {},
): Promise<{ page: Page; warnings: string[]; close(): Promise<void> }> {
  const context = await f.browser.newContext({
    locale: options.locale ?? "en-GB",
    viewport: options.viewport ?? { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const warnings: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "warning" && m.text().startsWith("SetChat")) warnings.push(m.text());
  });
  f.content.body = options.body ?? `<script src="${f.server.url}/widget.js"></script>`;
  f.content.headers = options.headers ?? {};
  f.content.scripts = options.scripts ?? {};
  await page.goto(`${f.host}/`);
  return { page, warnings, close: () => context.close() };
}

/** Calls `SetChat.init()` in the page with `config`, functions given as source text. */
async function init(page: Page, config: Record<string, unknown>, functions: Record<string, string> = {}) {
  await page.evaluate(async ([c, fns]) => {
    const full: Record<string, unknown> = { ...c };
    // deno-lint-ignore no-explicit-any
    for (const [k, src] of Object.entries(fns)) full[k] = (0, eval)(src as string) as any;
    // deno-lint-ignore no-explicit-any
    await (globalThis as any).SetChat.init(full);
  }, [config, functions] as const);
}

/** The widget's phase, from `SetChat.state()`. */
function phase(page: Page): Promise<string> {
  return page.evaluate(() =>
    (globalThis as unknown as { SetChat: { state(): { phase: string } } }).SetChat.state().phase
  );
}

async function agentReply(f: Fixture, conversationId: string, text: string): Promise<void> {
  const acme = f.server.demo!.acme;
  const res = await fetch(`${f.server.url}/api/tenants/${acme.tenant.id}/conversations/${conversationId}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${acme.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ text, authorName: "Grace" }),
  });
  assert.equal(res.status, 201, await res.text());
}

async function conversationsOf(f: Fixture): Promise<unknown[]> {
  const acme = f.server.demo!.acme;
  const res = await fetch(`${f.server.url}/api/tenants/${acme.tenant.id}/conversations`, {
    headers: { authorization: `Bearer ${acme.adminToken}` },
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.conversations;
}

Deno.test("a widget that cannot start shows a translated error with a retry, and warns the developer once", async () => {
  await using f = await fixture();
  const fr = await hostPage(f, { locale: "fr-FR" });
  try {
    await init(fr.page, { siteApiKey: "site_typo", open: true, locale: "fr" });
    const error = fr.page.getByTestId(TESTID.error);
    await error.waitFor({ timeout: WAIT });
    assert.match(await error.innerText(), /pas disponible/);
    await fr.page.getByTestId(TESTID.retry).waitFor({ timeout: WAIT });
    assert.equal(await fr.page.getByTestId(TESTID.loading).count(), 0, "no endless Loading…");
    assert.equal(fr.warnings.length, 1, fr.warnings.join("\n"));
    assert.match(fr.warnings[0]!, /site_not_found/);
    assert.match(fr.warnings[0]!, /"site_typo"/);
    assert.match(fr.warnings[0]!, /Fix: pass the site API key/);
    assert.equal(await phase(fr.page), "idle");
  } finally {
    await fr.close();
  }
  // A network failure, then the visitor's retry works.
  const en = await hostPage(f);
  try {
    let refused = 0;
    await en.page.route(`${f.server.url}/api/widget/sessions`, (route) => {
      if (refused++ === 0) return route.abort("connectionrefused");
      return route.fallback();
    });
    await init(en.page, { siteApiKey: f.site, open: true });
    await en.page.getByTestId(TESTID.error).filter({ hasText: "cannot reach the chat" }).waitFor({ timeout: WAIT });
    assert.equal(en.warnings.length, 1);
    assert.match(en.warnings[0]!, /network_error.*Fix: check `apiUrl`/);
    await en.page.getByTestId(TESTID.retry).click();
    await en.page.getByTestId(TESTID.empty).waitFor({ timeout: WAIT });
    assert.equal(await en.page.getByTestId(TESTID.error).count(), 0);
    assert.equal(en.warnings.length, 1);
  } finally {
    await en.close();
  }
});

Deno.test("a visitor who is not signed in on a verified-only site gets the page's sign-in and a contact", async () => {
  await using f = await fixture();
  const h = await hostPage(f);
  try {
    await init(h.page, { siteApiKey: f.site, open: true, contactUrl: "mailto:help@shop.test" }, {
      getVisitorToken: "() => null",
      onSignIn: "() => { globalThis.signInClicked = (globalThis.signInClicked ?? 0) + 1; }",
    });
    await h.page.getByTestId(TESTID.signIn).click({ timeout: WAIT });
    assert.equal(await h.page.evaluate(() => (globalThis as unknown as { signInClicked?: number }).signInClicked), 1);
    const contact = h.page.getByTestId(TESTID.contact);
    assert.equal(await contact.getAttribute("href"), "mailto:help@shop.test");
    assert.equal(await phase(h.page), "awaiting-sign-in");
    // A script URL is not a way to contact anyone: it is not offered.
    await init(h.page, { siteApiKey: f.site, open: true, contactUrl: "javascript:alert(1)", signInUrl: "/login" }, {
      getVisitorToken: "() => null",
    });
    await h.page.getByTestId(TESTID.signIn).waitFor({ timeout: WAIT });
    assert.equal(await h.page.getByTestId(TESTID.contact).count(), 0, "a javascript: contact was offered");
    await h.page.getByTestId(TESTID.signIn).click();
    await h.page.waitForURL(`${f.host}/login`, { timeout: WAIT });
  } finally {
    await h.close();
  }
});

Deno.test("a getVisitorToken that gives the whole mint answer warns the developer and never tells the visitor they signed out", async () => {
  await using f = await fixture();
  const h = await hostPage(f);
  try {
    await init(h.page, { siteApiKey: f.site, open: true }, {
      getVisitorToken: '() => ({ token: "eyJhbGciOiJFZERTQSJ9.e30.c2ln", expiresIn: 300 })',
    });
    await h.page.getByTestId(TESTID.panel).getByText("We could not confirm your account.").waitFor({ timeout: WAIT });
    assert.equal(await h.page.getByTestId(TESTID.panel).getByText(/signed out/i).count(), 0);
    assert.equal(h.warnings.length, 1, h.warnings.join("\n"));
    assert.match(h.warnings[0]!, /getVisitorToken\(\) gave an object .*return its `token` field/);
    assert.ok(!h.warnings[0]!.includes("eyJhbGciOiJFZERTQSJ9"), "the warning never prints a token");
  } finally {
    await h.close();
  }
});

Deno.test("a verified visitor whose page fails to give a new token reads that their account could not be confirmed, not that they signed out", async () => {
  await using f = await fixture();
  const acme = f.server.demo!.acme;
  const res = await fetch(`${f.server.url}/api/widget/visitor-token`, {
    method: "POST",
    headers: { authorization: `Bearer ${acme.serverToken}`, "content-type": "application/json" },
    body: JSON.stringify({ siteApiKey: f.site, externalUserId: "user-ada", name: "Ada" }),
  });
  const { token } = await res.json();
  const h = await hostPage(f);
  try {
    await init(h.page, { siteApiKey: f.site, open: true }, { getVisitorToken: `() => ${JSON.stringify(token)}` });
    await h.page.locator(`[data-testid="${TESTID.identity}"][data-state="verified"]`).waitFor({ timeout: WAIT });
    // The page starts the widget again, and its token endpoint fails (a 503 of the page's backend).
    await init(h.page, { siteApiKey: f.site, open: true }, {
      getVisitorToken: '() => Promise.reject(new Error("the token endpoint answered 503"))',
    });
    const lost = h.page.getByTestId(TESTID.signedOut);
    await lost.waitFor({ timeout: WAIT });
    assert.match(await lost.innerText(), /We could not confirm your account\./);
    assert.doesNotMatch(await h.page.getByTestId(TESTID.panel).innerText(), /signed out/i);
    assert.equal(await phase(h.page), "signed-out");
    assert.equal(h.warnings.length, 1, h.warnings.join("\n"));
    assert.match(h.warnings[0]!, /getVisitorToken\(\) failed \(Error: the token endpoint answered 503\)/);
  } finally {
    await h.close();
  }
});

Deno.test("a new chat is created with its first message, under a greeting, and titled by it; messages show their author and time", async () => {
  await using f = await fixture();
  const h = await hostPage(f);
  try {
    await init(h.page, { siteApiKey: f.site, open: true, pollIntervalMs: 300 });
    await h.page.getByTestId(TESTID.newChat).click({ timeout: WAIT });
    await h.page.getByText("Hi! How can we help?").waitFor({ timeout: WAIT });
    await h.page.getByTestId(TESTID.back).click();
    await h.page.getByTestId(TESTID.empty).waitFor({ timeout: WAIT });
    assert.deepEqual(await conversationsOf(f), [], "an abandoned new chat left a conversation behind");
    await h.page.getByTestId(TESTID.newChat).click();
    await h.page.getByTestId(TESTID.composerInput).fill("Where is my parcel?");
    await h.page.getByTestId(TESTID.composerSend).click();
    const mine = h.page.getByTestId(TESTID.message).filter({ hasText: "Where is my parcel?" });
    await mine.waitFor({ timeout: WAIT });
    assert.equal((await conversationsOf(f)).length, 1);
    assert.match(await mine.locator("time").getAttribute("datetime") ?? "", /^\d{4}-\d\d-\d\dT/);
    const [conversation] = await conversationsOf(f) as { id: string }[];
    await agentReply(f, conversation!.id, "It left the warehouse this morning.");
    const reply = h.page.getByTestId(TESTID.message).filter({ hasText: "warehouse" });
    await reply.waitFor({ timeout: WAIT });
    assert.match(await reply.innerText(), /^Grace · \d/);
    // Back in the history, the chat is titled by its first message, not "Chat".
    await h.page.getByTestId(TESTID.back).click();
    const item = h.page.getByTestId(TESTID.conversationItem).first();
    await item.waitFor({ timeout: WAIT });
    assert.match(await item.innerText(), /^Where is my parcel\?/);
  } finally {
    await h.close();
  }
});

Deno.test("an agent's reply while the panel is closed shows a badge and a preview on the launcher, which open it", async () => {
  await using f = await fixture();
  const h = await hostPage(f);
  try {
    await init(h.page, { siteApiKey: f.site, open: true, pollIntervalMs: 300 });
    await h.page.getByTestId(TESTID.newChat).click({ timeout: WAIT });
    await h.page.getByTestId(TESTID.composerInput).fill("Can I change my plan?");
    await h.page.getByTestId(TESTID.composerSend).click();
    await h.page.getByTestId(TESTID.message).first().waitFor({ timeout: WAIT });
    await h.page.getByTestId(TESTID.close).click();
    const badge = h.page.getByTestId(TESTID.launcherBadge);
    assert.equal(await badge.isVisible(), false, "no badge before any reply");
    const [conversation] = await conversationsOf(f) as { id: string }[];
    await agentReply(f, conversation!.id, "Yes, from your billing page.");
    await badge.waitFor({ state: "visible", timeout: WAIT });
    assert.equal(await badge.innerText(), "1");
    assert.match(await h.page.getByTestId(TESTID.launcher).getAttribute("aria-label") ?? "", /1 new message/);
    const preview = h.page.getByTestId(TESTID.launcherPreview);
    assert.match(await preview.innerText(), /Grace[\s\S]*Yes, from your billing page\./);
    await preview.click();
    await h.page.getByTestId(TESTID.message).filter({ hasText: "billing page" }).waitFor({ timeout: WAIT });
    assert.equal(await badge.isVisible(), false, "the badge is gone once the panel opens");
    assert.equal(await preview.isVisible(), false);
  } finally {
    await h.close();
  }
});

Deno.test("the ticket form says what is missing when sent empty", async () => {
  await using f = await fixture();
  const h = await hostPage(f);
  try {
    await init(h.page, { siteApiKey: f.site, open: true });
    await h.page.getByTestId(TESTID.newTicket).click({ timeout: WAIT });
    await h.page.getByTestId(TESTID.ticketSubmit).click();
    await h.page.getByTestId(TESTID.ticketForm).getByText("Give your ticket a subject.").waitFor({ timeout: WAIT });
    assert.deepEqual(await conversationsOf(f), []);
  } finally {
    await h.close();
  }
});

Deno.test("under a strict Content-Security-Policy (style-src 'self', no inline script) the widget is styled and works", async () => {
  await using f = await fixture();
  const csp = `default-src 'none'; script-src 'self' ${f.server.url}; connect-src ${f.server.url}; style-src 'self'`;
  const h = await hostPage(f, {
    headers: { "content-security-policy": csp },
    body: `<script src="${f.server.url}/widget.js"></script><script src="/app.js"></script>`,
    scripts: {
      "/app.js":
        `addEventListener("securitypolicyviolation", (e) => (globalThis.violations ??= []).push(e.violatedDirective));
        SetChat.init({ siteApiKey: ${JSON.stringify(f.site)}, open: true });`,
    },
  });
  try {
    await h.page.getByTestId(TESTID.empty).waitFor({ timeout: WAIT });
    const launcher = await h.page.getByTestId(TESTID.launcher).evaluate((el) => {
      const { getComputedStyle } = globalThis as unknown as {
        getComputedStyle(e: unknown): { position: string; backgroundColor: string };
      };
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      return { position: getComputedStyle(el.parentElement!).position, background: style.backgroundColor, box };
    });
    assert.equal(launcher.position, "fixed", "the widget is laid out inline in the page: its styles were blocked");
    assert.equal(launcher.background, "rgb(47, 91, 234)");
    assert.ok(launcher.box.right > 1200 && launcher.box.bottom > 850, JSON.stringify(launcher.box));
    await h.page.getByTestId(TESTID.newChat).click();
    await h.page.getByTestId(TESTID.composerInput).fill("Hello under a strict policy");
    await h.page.getByTestId(TESTID.composerSend).click();
    await h.page.getByTestId(TESTID.message).filter({ hasText: "strict policy" }).waitFor({ timeout: WAIT });
    const violations = await h.page.evaluate(() => (globalThis as unknown as { violations?: string[] }).violations);
    assert.equal(violations, undefined, `the policy was violated: ${violations}`);
  } finally {
    await h.close();
  }
});

/** The asynchronous loader snippet exactly as docs/widget.md shows it. */
async function documentedLoader(): Promise<string> {
  const doc = await Deno.readTextFile(new URL("../../docs/widget.md", import.meta.url));
  const section = doc.slice(doc.indexOf("### Loading the script asynchronously"));
  const snippet = /```html\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(snippet, "docs/widget.md shows no loader snippet");
  return snippet;
}

Deno.test("the documented asynchronous loader queues SetChat.init() until the script arrives", async () => {
  await using f = await fixture();
  const loader = (await documentedLoader())
    .replace("https://chat.example.com/widget.js", `${f.server.url}/widget.js`)
    .replace('siteApiKey: "site_…"', `siteApiKey: ${JSON.stringify(f.site)}, open: true`);
  assert.ok(loader.includes(f.site), "the snippet's init call was not found");
  // The widget's script is held back until the page has called init() on the stub.
  const h = await hostPage(f, { body: "" });
  try {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await h.page.route(`${f.server.url}/widget.js`, async (route) => {
      await held;
      await route.fallback();
    });
    await h.page.setContent(`<!doctype html><html><head></head><body><h1>Shop</h1>${loader}</body></html>`, {
      waitUntil: "domcontentloaded",
    });
    const early = await h.page.evaluate(() =>
      (globalThis as unknown as { SetChat: { q: unknown[]; version?: string } }).SetChat
    );
    assert.equal(early.version, undefined, "the script arrived early: the test proves nothing");
    assert.equal(early.q.length, 1, "init() was not queued");
    release();
    await h.page.getByTestId(TESTID.empty).waitFor({ timeout: WAIT });
    assert.equal(await phase(h.page), "ready");
  } finally {
    await h.close();
  }
});
