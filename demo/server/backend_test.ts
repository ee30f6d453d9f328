import assert from "node:assert/strict";
import * as jose from "jose";
import { launchChromium } from "../../conformance/browser/chromium.ts";
import { TESTID } from "../../src/contract/testids.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { rawRequest, TEST_SERVER_CONFIG } from "../../src/test_utils.ts";

/** How long the browser test waits for any one thing on screen. */
const WAIT = 8000;

async function server(): Promise<RunningServer> {
  const s = await startServer(TEST_SERVER_CONFIG);
  if (!s.deps.widgetScript) {
    await s.close();
    throw new Error("Cannot test the demo: dist/ is not built; run `deno task build` (the test task does)");
  }
  return s;
}

Deno.test("the demo serves its pages, its scripts and the widget", async () => {
  await using s = await server();
  for (
    const [path, type, marker] of [
      ["/", "text/html", 'src="/widget.js"'],
      ["/demo/agent", "text/html", "agent.js"],
      ["/demo/demo.css", "text/css", ".topbar"],
      ["/demo/acme.js", "text/javascript", "visitor-token"],
      ["/widget.js", "text/javascript", "SetChat"],
      ["/widget.d.ts", "application/typescript", "interface SetChatApi"],
    ]
  ) {
    const res = await fetch(`${s.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type")!, new RegExp(type!));
    assert.ok((await res.text()).includes(marker!), `${path} lacks ${marker}`);
  }
});

Deno.test("the demo's backend mints visitor tokens for the signed-in Acme user only, server to server", async () => {
  await using s = await server();
  const anonymous = await fetch(`${s.url}/demo/api/visitor-token`, {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json" },
  });
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
  const login = await fetch(`${s.url}/demo/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: "user-ada" }),
  });
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  assert.match(login.headers.get("set-cookie")!, /HttpOnly/);
  await login.body?.cancel();
  const res = await fetch(`${s.url}/demo/api/visitor-token`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ workspace: "acme-eu" }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const claims = jose.decodeJwt(JSON.parse(text).token);
  assert.equal(claims.sub, "user-ada");
  assert.equal(claims.workspace, "acme-eu");
  assert.deepEqual(claims.metadata, { plan: "enterprise", role: "Admin" });
  const me = await (await fetch(`${s.url}/demo/api/me`, { headers: { cookie } })).json();
  assert.equal(me.user.id, "user-ada");
  assert.equal(me.siteApiKey, s.demo!.acme.sites[0]!.apiKey);
  const forged = await fetch(`${s.url}/demo/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: "user-root" }),
  });
  assert.equal(forged.status, 400);
  await forged.body?.cancel();
});

Deno.test("the demo's agent console reads and answers through the agent API, tokens never in a response", async () => {
  await using s = await server();
  const { acme } = s.demo!;
  const session = await (await fetch(`${s.url}/api/widget/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ siteApiKey: acme.sites[0]!.apiKey }),
  })).json();
  await (await fetch(`${s.url}/api/widget/conversations`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${session.sessionToken}` },
    body: JSON.stringify({ kind: "chat", text: "Hi" }),
  })).json();
  const seen: string[] = [];
  const list = await (await fetch(`${s.url}/demo/api/agent/conversations`)).text();
  seen.push(list);
  const [conversation] = JSON.parse(list).conversations;
  const detail = await (await fetch(`${s.url}/demo/api/agent/conversations/${conversation.id}`)).text();
  seen.push(detail);
  assert.equal(JSON.parse(detail).messages[0].text, "Hi");
  const reply = await fetch(`${s.url}/demo/api/agent/conversations/${conversation.id}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: "Hello from support" }),
  });
  assert.equal(reply.status, 201);
  seen.push(await reply.text());
  seen.push(await (await fetch(`${s.url}/demo/api/me`)).text());
  for (const page of ["/", "/demo/acme.js", "/demo/agent.js"]) seen.push(await (await fetch(`${s.url}${page}`)).text());
  for (const secret of [acme.serverToken, acme.adminToken]) {
    assert.ok(!seen.join("\n").includes(secret.slice(12)), "a tenant token reached the browser");
  }
});

Deno.test("the demo's backend answers this machine only, whatever address the server listens on", async () => {
  await using s = await server();
  const from = (hostname: string) =>
    s.handler(new Request(`${s.url}/demo/api/agent/conversations`), {
      remoteAddr: { hostname, port: 40000, transport: "tcp" },
      completed: Promise.resolve(),
    } as Deno.ServeHandlerInfo<Deno.NetAddr>);
  const outside = await from("203.0.113.7");
  assert.equal(outside.status, 403);
  await outside.body?.cancel();
  const inside = await from("127.0.0.1");
  assert.equal(inside.status, 200);
  await inside.body?.cancel();
  const page = await s.handler(new Request(`${s.url}/`), {
    remoteAddr: { hostname: "203.0.113.7", port: 40000, transport: "tcp" },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo<Deno.NetAddr>);
  assert.equal(page.status, 200, "the pages themselves are public");
  await page.body?.cancel();
});

Deno.test("the demo's backend answers loopback Host names only: a DNS-rebound name is refused", async () => {
  await using s = await server();
  const port = new URL(s.url).port;
  const list = (host: string) =>
    rawRequest(s.url, { method: "GET", path: "/demo/api/agent/conversations", headers: { host } });
  for (
    const host of [`attacker.example:${port}`, "attacker.example", `127.0.0.1.nip.io:${port}`, `evil@127.0.0.1:${port}`]
  ) {
    const refused = await list(host);
    assert.equal(refused.status, 403, host);
    assert.ok(!refused.body.includes('conversations"'), `${host}: the listing leaked`);
  }
  for (
    const host of [`localhost:${port}`, `LOCALHOST:${port}`, `127.0.0.1:${port}`, `127.9.9.9:${port}`, `[::1]:${port}`]
  ) {
    assert.equal((await list(host)).status, 200, host);
  }
  const page = await rawRequest(s.url, { method: "GET", path: "/", headers: { host: `attacker.example:${port}` } });
  assert.equal(page.status, 200, "the pages themselves are public");
});

Deno.test("the demo's backend refuses a foreign Origin and writes that are not JSON (CSRF)", async () => {
  await using s = await server();
  const port = new URL(s.url).port;
  const reply = (headers: Record<string, string>, body = JSON.stringify({ text: "Posted as the agent" })) =>
    rawRequest(s.url, {
      method: "POST",
      path: "/demo/api/agent/conversations/cnv_x/messages",
      headers: { host: `127.0.0.1:${port}`, ...headers },
      body,
    });
  const refusals: [number, Record<string, string>][] = [
    [403, { origin: "https://evil.example", "content-type": "text/plain" }],
    [403, { origin: "https://evil.example", "content-type": "application/json" }],
    [403, { origin: `http://localhost:${Number(port) + 1}`, "content-type": "application/json" }],
    [403, { origin: `https://127.0.0.1:${port}`, "content-type": "application/json" }],
    [403, { origin: "null", "content-type": "application/json" }],
    [403, { "sec-fetch-site": "cross-site", "content-type": "application/json" }],
    [403, { "sec-fetch-site": "same-site", "content-type": "application/json" }],
    [415, { "content-type": "text/plain" }],
    [415, { "content-type": "application/x-www-form-urlencoded" }],
    [415, {}],
  ];
  for (const [status, headers] of refusals) {
    const res = await reply(headers);
    assert.equal(res.status, status, JSON.stringify(headers));
    assert.match(res.body, /"error":"The demo's backend/);
  }
  const login = await rawRequest(s.url, {
    method: "POST",
    path: "/demo/api/login",
    headers: { host: `localhost:${port}`, origin: "https://evil.example", "content-type": "text/plain" },
    body: JSON.stringify({ userId: "user-ada" }),
  });
  assert.equal(login.status, 403);
  assert.equal(login.headers.get("set-cookie"), null, "no sign-in for a foreign page");
  // The demo's own pages: same origin, under either loopback name.
  for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
    const own = await rawRequest(s.url, {
      method: "POST",
      path: "/demo/api/login",
      headers: {
        host: new URL(origin).host,
        origin,
        "sec-fetch-site": "same-origin",
        "content-type": "application/json",
      },
      body: JSON.stringify({ userId: "user-ada" }),
    });
    assert.equal(own.status, 200, origin);
  }
});

Deno.test("the demo works in a real browser: sign in, a verified chat, the agent's reply, sign out", async () => {
  await using s = await server();
  const browser = await launchChromium();
  try {
    const refused: string[] = [];
    const context = await browser.newContext();
    context.on("response", (r) => {
      if (r.url().includes("/demo/api/") && r.status() >= 400) refused.push(`${r.status()} ${r.url()}`);
    });
    const acme = await context.newPage();
    await acme.goto(`${s.publicUrl}/`); // http://localhost:<port>, as the README says
    await acme.getByTestId("demo-sign-in-user-ada").click();
    await acme.getByTestId("demo-user").waitFor({ timeout: WAIT });
    await acme.locator(`[data-testid="${TESTID.identity}"][data-state="verified"]`)
      .waitFor({ state: "attached", timeout: WAIT });
    await acme.getByTestId(TESTID.launcher).click();
    await acme.getByTestId(TESTID.newChat).click();
    await acme.getByTestId(TESTID.composerInput).fill("Where is my invoice?");
    await acme.getByTestId(TESTID.composerSend).click();
    await acme.getByTestId(TESTID.message).filter({ hasText: "Where is my invoice?" }).waitFor({ timeout: WAIT });

    const agent = await context.newPage();
    await agent.goto(`${s.publicUrl}/demo/agent`);
    await agent.getByTestId("agent-conversation").first().click();
    await agent.getByTestId("agent-reply-input").fill("It is on its way");
    await agent.getByTestId("agent-reply-send").click();
    await agent.getByTestId("agent-messages").filter({ hasText: "It is on its way" }).waitFor({ timeout: WAIT });
    await acme.locator(`[data-testid="${TESTID.message}"][data-author="agent"]`).filter({ hasText: "It is on its way" })
      .waitFor({ timeout: WAIT });

    await acme.getByTestId("demo-sign-out").click();
    await acme.getByTestId("demo-sign-in-user-grace").waitFor({ timeout: WAIT });
    assert.deepEqual(refused, [], "the demo's own pages were refused by its backend");
  } finally {
    await browser.close();
  }
});

type Box = { x: number; y: number; width: number; height: number };

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

Deno.test("the demo's first visit logs no error and the widget says nothing of signing out", async () => {
  await using s = await server();
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${s.publicUrl}/`);
    await page.getByTestId(TESTID.launcher).click();
    await page.getByTestId(TESTID.panel).getByText("Sign in to chat with us.").waitFor({ timeout: WAIT });
    await page.getByTestId("demo-events").locator("li").first().waitFor({ timeout: WAIT });
    assert.equal(await page.locator("[data-testid=demo-events] li.lost").count(), 0, "the log shows an error");
    assert.doesNotMatch(await page.getByTestId("demo-events").innerText(), /identity-lost|error/);
    assert.doesNotMatch(await page.getByTestId(TESTID.panel).innerText(), /signed out/i);
    assert.equal(await page.getByTestId(TESTID.signedOut).count(), 0);
    assert.equal(await page.getByTestId(TESTID.identity).getAttribute("data-state"), "none");
  } finally {
    await browser.close();
  }
});

Deno.test("the widget offers no sign-out of its own to a verified visitor, and 'Forget me on this browser' to others", async () => {
  await using s = await server();
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${s.publicUrl}/`);
    await page.getByTestId(TESTID.launcher).click();
    await page.getByTestId(TESTID.panel).getByText("Sign in to chat with us.").waitFor({ timeout: WAIT });
    assert.equal(await page.getByTestId(TESTID.reset).count(), 0, "a sign-out is offered to nobody signed in");
    await page.getByTestId("demo-sign-in-user-ada").click();
    await page.getByTestId(TESTID.newChat).waitFor({ timeout: WAIT });
    assert.equal(await page.getByTestId(TESTID.identity).getAttribute("data-state"), "verified");
    assert.equal(await page.getByTestId(TESTID.reset).count(), 0, "the widget offers a sign-out the page would undo");

    // The panel overlays the page: close it to reach the demo's controls, then open it again.
    await page.getByTestId(TESTID.close).click();
    await page.getByTestId("demo-mode-anonymous").click();
    await page.getByTestId(TESTID.launcher).click();
    await page.locator(`[data-testid="${TESTID.identity}"][data-state="anonymous"]`)
      .waitFor({ state: "attached", timeout: WAIT });
    const forget = page.getByTestId(TESTID.reset);
    await forget.waitFor({ timeout: WAIT });
    assert.equal(await forget.innerText(), "Forget me on this browser");
    await page.getByTestId(TESTID.newChat).click();
    await page.getByTestId(TESTID.composerInput).fill("Asked on this browser");
    await page.getByTestId(TESTID.composerSend).click();
    await page.getByTestId(TESTID.message).filter({ hasText: "Asked on this browser" }).waitFor({ timeout: WAIT });
    await page.getByTestId(TESTID.back).click();
    await page.getByTestId(TESTID.conversationItem).first().waitFor({ timeout: WAIT });
    await page.getByTestId(TESTID.reset).click();
    await page.getByTestId(TESTID.empty).waitFor({ timeout: WAIT });
    assert.equal(await page.getByTestId(TESTID.conversationItem).count(), 0, "this browser's history is still shown");
    await page.reload();
    await page.getByTestId(TESTID.launcher).click();
    await page.getByTestId(TESTID.empty).waitFor({ timeout: WAIT });
    assert.equal(await page.getByTestId(TESTID.conversationItem).count(), 0, "the device came back after a reload");
  } finally {
    await browser.close();
  }
});

Deno.test("the widget marks verified conversations with a time and tells a visitor who is not verified why none show", async () => {
  await using s = await server();
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" }))
      .newPage();
    await page.goto(`${s.publicUrl}/`);
    await page.getByTestId("demo-sign-in-user-ada").click();
    await page.locator(`[data-testid="${TESTID.identity}"][data-state="verified"]`)
      .waitFor({ state: "attached", timeout: WAIT });
    await page.getByTestId(TESTID.launcher).click();
    await page.getByTestId(TESTID.newChat).click();
    await page.getByTestId(TESTID.composerInput).fill("Where is my invoice?");
    await page.getByTestId(TESTID.composerSend).click();
    await page.getByTestId(TESTID.message).filter({ hasText: "Where is my invoice?" }).waitFor({ timeout: WAIT });
    await page.getByTestId(TESTID.back).click();
    const item = page.getByTestId(TESTID.conversationItem).first();
    await item.waitFor({ timeout: WAIT });
    const text = await item.innerText();
    assert.match(text, /Verified/);
    assert.match(text, /You: Where is my invoice\?/);
    assert.match(text, /\d{2}:\d{2}/, "no time on the conversation");
    assert.equal(await item.locator("time").count(), 1);
    await page.getByTestId(TESTID.newFlow).click();
    await page.getByTestId(TESTID.message).first().waitFor({ timeout: WAIT });
    assert.match(await page.getByTestId(TESTID.messageList).innerText(), /Getting started/);

    // The panel overlays the page: close it to reach the demo's controls, then open it again.
    await page.getByTestId(TESTID.close).click();
    await page.getByTestId("demo-mode-anonymous").click();
    await page.getByTestId(TESTID.launcher).click();
    await page.locator(`[data-testid="${TESTID.identity}"][data-state="anonymous"]`)
      .waitFor({ state: "attached", timeout: WAIT });
    const empty = page.getByTestId(TESTID.empty);
    await empty.waitFor({ timeout: WAIT });
    // Plain words: a guest sees what they started on this browser; signing in shows every device.
    assert.match(
      await empty.innerText(),
      /chatting as a guest, so only the conversations you start on this browser appear/,
    );
    assert.match(await empty.innerText(), /Sign in to the site to see your conversations on all your devices/);
    assert.match(await page.getByTestId(TESTID.identity).innerText(), /Not verified/);
  } finally {
    await browser.close();
  }
});

Deno.test("on a phone the open widget fills the screen, its launcher covers none of the page, and its targets fit a finger", async () => {
  await using s = await server();
  const browser = await launchChromium();
  try {
    const viewport = { width: 390, height: 844 };
    const page = await (await browser.newContext({ viewport, isMobile: true, hasTouch: true })).newPage();
    await page.goto(`${s.publicUrl}/`);
    await page.getByTestId("demo-sign-in-user-ada").click();
    await page.getByTestId("demo-user").waitFor({ timeout: WAIT });
    await page.locator(".links").scrollIntoViewIfNeeded();
    await page.mouse.wheel(0, 2000);
    // The page may still grow after the wheel (on a busy machine, what sign-in shows can come later): scroll on until
    // its end is in view.
    await page.waitForFunction(
      "scrollBy(0, document.body.scrollHeight), innerHeight + scrollY >= document.body.scrollHeight - 1",
    );
    const launcher = (await page.getByTestId(TESTID.launcher).boundingBox())!;
    const last = (await page.locator(".links").boundingBox())!;
    assert.ok(!overlaps(launcher, last), "the launcher covers the end of the page");
    await page.getByTestId(TESTID.launcher).click();
    await page.getByTestId(TESTID.newChat).waitFor({ timeout: WAIT });
    const panel = (await page.getByTestId(TESTID.panel).boundingBox())!;
    assert.deepEqual(
      [panel.x, panel.y, panel.width, panel.height].map(Math.round),
      [0, 0, viewport.width, viewport.height],
      "the open panel does not fill the screen",
    );
    assert.equal(await page.getByTestId(TESTID.launcher).isVisible(), false, "the launcher shows over the panel");
    const close = (await page.getByTestId(TESTID.close).boundingBox())!;
    assert.ok(close.width >= 44 && close.height >= 44, `the close button is ${close.width}×${close.height} px`);
    const field = page.getByTestId(TESTID.newChat);
    await field.click();
    type Styles = { getComputedStyle(e: unknown): { fontSize: string } };
    const fontSize = await page.getByTestId(TESTID.composerInput)
      .evaluate((e) => (globalThis as unknown as Styles).getComputedStyle(e).fontSize);
    assert.equal(fontSize, "16px", `a phone zooms into a field whose text is under 16 px (${fontSize})`);
    await page.getByTestId(TESTID.close).click();
    await page.getByTestId(TESTID.launcher).waitFor({ timeout: WAIT });
  } finally {
    await browser.close();
  }
});

Deno.test("the agent console names each visitor with a time, shows custom data as JSON, and keeps the reply box at the bottom", async () => {
  await using s = await server();
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const acme = await context.newPage();
    await acme.goto(`${s.publicUrl}/`);
    await acme.getByTestId("demo-sign-in-user-ada").click();
    await acme.getByTestId(TESTID.launcher).click();
    await acme.getByTestId(TESTID.newChat).click();
    await acme.getByTestId(TESTID.composerInput).fill("Where is my invoice?");
    await acme.getByTestId(TESTID.composerSend).click();
    await acme.getByTestId(TESTID.message).filter({ hasText: "Where is my invoice?" }).waitFor({ timeout: WAIT });

    const agent = await context.newPage();
    await agent.goto(`${s.publicUrl}/demo/agent`);
    const row = agent.getByTestId("agent-conversation").filter({ hasText: "Ada Lovelace" });
    await row.waitFor({ timeout: WAIT });
    const text = await row.innerText();
    assert.match(text, /ada@acme\.test/);
    assert.match(text, /\d{1,2}:\d{2}/, "no time on the row");
    await row.click();
    const title = agent.getByTestId("agent-thread-title");
    await title.waitFor({ timeout: WAIT });
    assert.match(await title.innerText(), /^Ada Lovelace/);
    const json = agent.getByTestId("agent-verified").locator("pre");
    assert.match(await json.innerText(), /\{\n\s+"plan": "enterprise",\n\s+"role": "Admin"\n\}/);
    const box = (await agent.locator(".conversation").boundingBox())!;
    const reply = (await agent.locator("form.reply").boundingBox())!;
    assert.ok(box.y + box.height - (reply.y + reply.height) < 2, "the reply box is not at the bottom");
    assert.ok(reply.y > box.y + box.height / 2, "the reply box sits under the first messages");
  } finally {
    await browser.close();
  }
});

Deno.test("the agent console fits a phone, names visitors, shows each conversation's status and asks for an empty reply", async () => {
  await using s = await server();
  const browser = await launchChromium();
  try {
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const acme = await desk.newPage();
    await acme.goto(`${s.publicUrl}/`);
    await acme.getByTestId("demo-sign-in-user-ada").click();
    await acme.getByTestId(TESTID.launcher).click();
    await acme.getByTestId(TESTID.newChat).click();
    // A long link, as visitors paste them: it must wrap on a phone, not widen the page.
    const link = `https://acme.example/exports/${"0123456789abcdef".repeat(6)}.csv`;
    await acme.getByTestId(TESTID.composerInput).fill(`Is the export fixed? ${link}`);
    await acme.getByTestId(TESTID.composerSend).click();
    await acme.getByTestId(TESTID.message).filter({ hasText: "export fixed" }).waitFor({ timeout: WAIT });

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const agent = await phone.newPage();
    await agent.goto(`${s.publicUrl}/demo/agent`);
    const row = agent.getByTestId("agent-conversation").filter({ hasText: "Ada Lovelace" });
    await row.waitFor({ timeout: WAIT });
    assert.equal(await row.getByTestId("agent-status").innerText(), "Waiting for a reply");
    await row.click();
    await agent.getByTestId("agent-thread-title").waitFor({ timeout: WAIT });
    assert.equal(await agent.getByTestId("agent-thread-title").innerText(), "Ada Lovelace");
    const thread = await agent.getByTestId("agent-thread").innerText();
    assert.doesNotMatch(thread, /cnv_|vis_/, "internal ids are shown to agents");
    const width = await agent.evaluate(() => {
      const d =
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } })
          .document.documentElement;
      return { scroll: d.scrollWidth, client: d.clientWidth };
    });
    assert.ok(
      width.scroll <= width.client,
      `the console scrolls sideways on a phone: ${width.scroll} > ${width.client}`,
    );

    await agent.getByTestId("agent-reply-send").click();
    await agent.getByText("Write a reply first.").waitFor({ timeout: WAIT });
    await agent.getByTestId("agent-reply-input").fill("Yes, since this morning.");
    await agent.getByTestId("agent-reply-send").click();
    await row.getByTestId("agent-status").filter({ hasText: "Answered" }).waitFor({ timeout: WAIT });
  } finally {
    await browser.close();
  }
});

Deno.test("the open widget overlays the demo page instead of reflowing it", async () => {
  await using s = await server();
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${s.publicUrl}/`);
    await page.getByTestId("demo-modes").waitFor({ timeout: WAIT });
    const before = await page.locator(".card").evaluateAll((cards) =>
      cards.map((c) => JSON.stringify(c.getBoundingClientRect()))
    );
    await page.getByTestId(TESTID.launcher).click();
    await page.getByTestId(TESTID.panel).waitFor({ state: "visible", timeout: WAIT });
    await page.waitForTimeout(200);
    const after = await page.locator(".card").evaluateAll((cards) =>
      cards.map((c) => JSON.stringify(c.getBoundingClientRect()))
    );
    assert.deepEqual(after, before);
  } finally {
    await browser.close();
  }
});
