/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import type { CreateSessionRequest, SessionCreated } from "../src/contract/widget.ts";
import { ApiError } from "./api.ts";
import {
  identityChanged,
  offersForget,
  phaseOf,
  type SessionApi,
  type SessionEffects,
  type SessionState,
  type SetChatEvents,
  transition,
  WidgetSession,
} from "./session.ts";
import type { PrechatData, WidgetStorage } from "./storage.ts";

function created(verified: boolean, device = "dev_1"): SessionCreated {
  return {
    identity: {
      method: verified ? "visitor_token" : "anonymous",
      verified,
      externalUserId: verified ? "user-ada" : null,
      name: verified ? "Ada" : null,
      email: null,
    },
    visitorId: "vis_1",
    workspace: null,
    expiresAt: new Date(Date.now() + 300_000).toISOString(),
    expiresIn: 300,
    sessionToken: `sess_${Math.random()}`,
    deviceCredential: device,
    deviceIssued: false,
  };
}

/** A session over a fake API and storage, recording what it emits and asks of the view. */
function harness(answer: (body: CreateSessionRequest) => Promise<SessionCreated>) {
  const events: { event: keyof SetChatEvents; detail: unknown }[] = [];
  const warnings: string[] = [];
  const ended: (string | undefined)[] = [];
  let device: string | null = null;
  let prechat: PrechatData | null = null;
  let cleared = 0;
  const storage: WidgetStorage = {
    device: () => device,
    setDevice: (d) => void (device = d),
    prechat: () => prechat,
    setPrechat: (p) => void (prechat = p),
    forget: () => {
      device = null;
      prechat = null;
    },
    onChange: () => () => {},
  };
  const api: SessionApi = {
    sessionToken: undefined,
    createSession: answer,
    endSession: (token) => {
      ended.push(token);
      return Promise.resolve();
    },
  };
  const effects: SessionEffects = {
    emit: (event, detail) => void events.push({ event, detail }),
    changed: () => {},
    clearData: () => void cleared++,
    load: () => Promise.resolve(),
    fail: (error) => void events.push({ event: "error", detail: error }),
    warn: (text) => void warnings.push(text),
  };
  const session = new WidgetSession(effects);
  return { session, api, storage, events, ended, warnings, device: () => device, cleared: () => cleared };
}

const STARTING: SessionState = { name: "starting" };

Deno.test("transition() waits for a sign-in when a first visit has no token: nothing was lost", () => {
  assert.deepEqual(transition(STARTING, { type: "no-token", verifiedBefore: false, reason: "no-token" }), {
    name: "awaiting-sign-in",
  });
});

Deno.test("transition() loses identity when a visitor verified before has no token any more", () => {
  assert.deepEqual(transition(STARTING, { type: "no-token", verifiedBefore: true, reason: "no-token" }), {
    name: "identity-lost",
    reason: "no-token",
  });
});

Deno.test("transition() renews a session only, and a rejected token loses identity", () => {
  const session = created(true);
  const open = transition(STARTING, { type: "opened", session });
  assert.deepEqual(open, { name: "session", session, mode: "verified" });
  assert.deepEqual(transition(open, { type: "renew" }), { name: "renewing", session, mode: "verified" });
  assert.deepEqual(transition(STARTING, { type: "renew" }), STARTING);
  assert.deepEqual(transition(open, { type: "token-rejected", reason: "refused" }), {
    name: "identity-lost",
    reason: "refused",
  });
  assert.deepEqual(transition(open, { type: "reset" }), { name: "idle" });
});

Deno.test("offersForget() offers the widget's own sign-out to a visitor who is not verified, in a session only", () => {
  assert.equal(offersForget({ name: "session", session: created(false), mode: "anonymous" }), true);
  assert.equal(offersForget({ name: "session", session: created(true), mode: "verified" }), false);
  assert.equal(offersForget({ name: "awaiting-sign-in" }), false);
  assert.equal(offersForget({ name: "identity-lost", reason: "expired" }), false);
});

Deno.test("WidgetSession.start() on a first visit without a token waits for a sign-in, no identity-lost", async () => {
  const h = harness(() => Promise.reject(new Error("no session without a token")));
  h.session.configure({ siteApiKey: "site", getVisitorToken: () => null }, h.api, h.storage);
  await h.session.start(true);
  assert.equal(h.session.state.name, "awaiting-sign-in");
  assert.deepEqual(h.events, []);
});

Deno.test("WidgetSession.start() without a token after a verified session emits identity-lost", async () => {
  const h = harness(() => Promise.resolve(created(true)));
  h.session.configure({ siteApiKey: "site", getVisitorToken: () => "a.b.c" }, h.api, h.storage);
  await h.session.start(true);
  assert.equal(h.session.state.name, "session");
  h.session.configure({ siteApiKey: "site", getVisitorToken: () => null }, h.api, h.storage);
  const clearedBefore = h.cleared();
  await h.session.start(true);
  assert.deepEqual(h.session.state, { name: "identity-lost", reason: "no-token" });
  assert.deepEqual(h.events.at(-1), { event: "identity-lost", detail: { reason: "no-token" } });
  assert.ok(h.cleared() > clearedBefore, "the verified visitor's history is no longer shown");
});

Deno.test("WidgetSession.start() with a given token that expired, and none to replace it, says so in its state and its event", async () => {
  const h = harness(() => Promise.reject(new Error("no session with an expired token")));
  const expired = `e30.${btoa(JSON.stringify({ exp: 1 }))}.sig`;
  h.session.configure({ siteApiKey: "site", visitorToken: expired, getVisitorToken: () => null }, h.api, h.storage);
  await h.session.start(true);
  assert.deepEqual(h.session.state, { name: "identity-lost", reason: "expired" });
  assert.deepEqual(h.events.at(-1), { event: "identity-lost", detail: { reason: "expired" } });
});

Deno.test("WidgetSession.open() loses identity when the server refuses the token, and never goes anonymous", async () => {
  const h = harness(() => Promise.reject(new ApiError(401, "visitor_token_invalid", "Cannot verify visitor token")));
  h.session.configure({ siteApiKey: "site", visitorToken: "a.b.c" }, h.api, h.storage);
  await h.session.start(true);
  assert.deepEqual(h.session.state, { name: "identity-lost", reason: "refused" });
  assert.equal(h.session.session, null);
  assert.ok(h.events.some((e) => e.event === "identity-lost"));
});

Deno.test("WidgetSession.start() that the server refuses shows a failed start, emits one error and warns once with the fix", async () => {
  const h = harness(() => Promise.reject(new ApiError(404, "site_not_found", "Cannot open a session: no such site")));
  h.session.configure({ siteApiKey: "site_typo" }, h.api, h.storage);
  await h.session.start(true);
  assert.deepEqual(h.session.state, { name: "failed", code: "site_not_found" });
  assert.equal(phaseOf(h.session.state), "idle");
  assert.deepEqual(h.events.map((e) => e.event), ["error"]);
  assert.equal(h.warnings.length, 1);
  assert.match(h.warnings[0]!, /site_not_found/);
  assert.match(h.warnings[0]!, /site_typo/);
  assert.match(h.warnings[0]!, /Fix: .*siteApiKey/);
});

Deno.test("WidgetSession.start() with a getVisitorToken that gives the whole mint answer warns the developer and shows no sign-out", async () => {
  const h = harness(() => Promise.reject(new Error("no session without a token")));
  const mint = { token: "eyJ.a.b", expiresIn: 300 };
  h.session.configure({ siteApiKey: "site", getVisitorToken: () => mint as never }, h.api, h.storage);
  await h.session.start(true);
  assert.deepEqual(h.session.state, { name: "awaiting-sign-in", unconfirmed: true });
  assert.equal(h.warnings.length, 1);
  assert.match(h.warnings[0]!, /whole mint answer: return its `token` field/);
  assert.ok(!h.warnings[0]!.includes("eyJ.a.b"), "the warning never prints the token");
});

Deno.test("WidgetSession.start() whose getVisitorToken fails after a verified session is unconfirmed, not signed out", async () => {
  const h = harness(() => Promise.resolve(created(true)));
  h.session.configure({ siteApiKey: "site", getVisitorToken: () => "a.b.c" }, h.api, h.storage);
  await h.session.start(true);
  h.session.configure(
    { siteApiKey: "site", getVisitorToken: () => Promise.reject(new Error("503")) },
    h.api,
    h.storage,
  );
  await h.session.start(true);
  assert.deepEqual(h.session.state, { name: "identity-lost", reason: "no-token", unconfirmed: true });
  assert.equal(h.warnings.length, 1);
  assert.match(h.warnings[0]!, /getVisitorToken\(\) failed/);
});

Deno.test("WidgetSession.reset() ends the session, forgets the device and starts nobody", async () => {
  const h = harness(() => Promise.resolve(created(false)));
  h.session.configure({ siteApiKey: "site", user: { name: "Ada" } }, h.api, h.storage);
  await h.session.start(true);
  const token = h.api.sessionToken;
  assert.equal(h.device(), "dev_1");
  const clearedBefore = h.cleared();
  await h.session.reset();
  assert.ok(h.cleared() > clearedBefore, "what the visitor saw is gone from the screen at once");
  assert.deepEqual(h.ended, [token]);
  assert.equal(h.device(), null);
  assert.equal(h.session.state.name, "idle");
  assert.deepEqual(h.session.config, { siteApiKey: "site" }, "whoever comes next is anonymous");
  assert.equal(h.events.at(-1)?.event, "reset");
});

Deno.test("WidgetSession drops a session that arrives after reset(), and ends it on the server", async () => {
  let answer: (s: SessionCreated) => void = () => {};
  const h = harness(() => new Promise((resolve) => (answer = resolve)));
  h.session.configure({ siteApiKey: "site" }, h.api, h.storage);
  const starting = h.session.start(true);
  const resetting = h.session.reset();
  const late = created(false);
  answer(late);
  await resetting;
  await starting;
  assert.equal(h.session.state.name, "idle");
  assert.equal(h.device(), null, "the late session's device was kept");
  assert.deepEqual(h.ended, [late.sessionToken], "the late session was not ended: its device lives on the server");
  assert.equal(h.events.at(-1)?.event, "reset");
});

Deno.test("WidgetSession.open() with a visitor token sends no pre-chat data a visitor typed on this browser before", async () => {
  const sent: CreateSessionRequest[] = [];
  const h = harness((body) => {
    sent.push(body);
    return Promise.resolve(created(body.visitorToken !== undefined));
  });
  h.storage.setPrechat({ name: "Mallory", email: "ada@example.com" });
  h.session.configure({ siteApiKey: "site", collectUserData: true }, h.api, h.storage);
  await h.session.start(true);
  assert.equal(sent.at(-1)?.user?.name, "Mallory", "the pre-chat session carries what was typed");
  h.session.configure({ siteApiKey: "site", getVisitorToken: () => "a.b.c" }, h.api, h.storage);
  await h.session.start(true);
  assert.equal(sent.at(-1)?.visitorToken, "a.b.c");
  assert.equal(sent.at(-1)?.user, undefined, "the verified session is not annotated with another's typed data");
});

Deno.test("identityChanged() clears the screen for a session after none, another identity or another device", () => {
  const ada = created(true);
  assert.equal(identityChanged(null, ada), true, "after a reset or a lost identity, nothing carries over");
  assert.equal(identityChanged(ada, created(true)), false, "a renewal keeps what is shown");
  assert.equal(identityChanged(ada, created(false)), true);
  assert.equal(identityChanged(ada, { ...ada, identity: { ...ada.identity, externalUserId: "grace" } }), true);
  assert.equal(identityChanged(created(false), created(false, "dev_2")), true);
});
