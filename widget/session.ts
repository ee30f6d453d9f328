/**
 * The widget's session, with no DOM: a state machine (idle, starting,
 * pre-chat, waiting for a sign-in, a session of some mode, renewing, identity
 * lost) whose transitions are one pure function, {@linkcode transition}, and
 * a {@linkcode WidgetSession} that runs it against the widget API and the
 * browser's storage, telling the view what changed through
 * {@linkcode SessionEffects}. One rule above all: once identity is lost or
 * reset, nothing still in flight may bring the previous session back (every
 * async result is checked against an epoch).
 */
import type { Message, SessionCreated } from "../src/contract/widget.ts";
import { ApiError, type WidgetApi } from "./api.ts";
import type { Locale } from "./i18n.ts";
import type { PrechatData, WidgetStorage } from "./storage.ts";
import { startAdvice, tokenAdvice } from "./advice.ts";

/** What `getVisitorToken()` gave when it threw or gave something other than a string or nothing. */
const FAILED = Symbol("failed");

/** What the page passes to `SetChat.init()`. */
export interface SetChatConfig {
  /** The site's public API key. */
  siteApiKey: string;
  /** The SetChat server; defaults to the origin the widget script was loaded from. */
  apiUrl?: string;
  /** A visitor token minted by the page's backend: the only way to be verified. */
  visitorToken?: string;
  /** Fetches a fresh visitor token from the page's backend; `null` when the user is signed out. */
  getVisitorToken?: () => Promise<string | null | undefined> | string | null | undefined;
  /** What the page knows of the visitor: kept as non-verified data, never used to identify. */
  user?: { name?: string; email?: string; externalUserId?: string; customData?: Record<string, unknown> };
  /** Ask visitors who are not verified for their name and email before chatting. */
  collectUserData?: boolean;
  /** The workspace of the page's product the visitor is in. */
  workspace?: { externalId: string };
  /** `en` or `fr`; defaults to the browser's language. */
  locale?: Locale;
  /** Open the panel at once. */
  open?: boolean;
  /** How often an open panel looks for new messages, in ms (default 2000). */
  pollIntervalMs?: number;
  /** Where a visitor who is not signed in signs in to the page: the panel's "Sign in" link. */
  signInUrl?: string;
  /** Called when a visitor who is not signed in clicks "Sign in" (instead of following `signInUrl`). */
  onSignIn?: () => void;
  /** How a visitor who cannot sign in reaches the site's team (a `mailto:` or `https:` address). */
  contactUrl?: string;
}

/** Why a visitor who was verified is shown signed out. */
export type LostReason = "no-token" | "expired" | "refused";

/** The events `SetChat.on()` can listen to. */
export interface SetChatEvents {
  /** The first session of an `init()` is ready. */
  ready: { identity: SessionCreated["identity"] };
  /** The session's identity, at start and after each change or refresh. */
  identity: { identity: SessionCreated["identity"] };
  /**
   * A verified visitor is shown signed out: the page has no token for them
   * any more (`no-token`), theirs expired with no replacement (`expired`), or
   * the server refused it (`refused`).
   */
  "identity-lost": { reason: LostReason };
  /** A message from an agent or a bot arrived in the open conversation. */
  message: { message: Message };
  open: Record<never, never>;
  close: Record<never, never>;
  /** `reset()` finished: the session is ended and the device forgotten. */
  reset: Record<never, never>;
  error: { code: string; message: string };
}

/** How the visitor of a session is identified. */
export type SessionMode = "verified" | "client-data" | "prechat" | "anonymous";

/** Where the widget's session is. */
export type SessionState =
  | { name: "idle" }
  | { name: "starting" }
  | { name: "prechat" }
  /** The page wants a verified visitor and nobody is signed in to it: nothing was lost. */
  | { name: "awaiting-sign-in"; unconfirmed?: true }
  /** The session could not start (the server refused the site, or could not be reached): `code` says why. */
  | { name: "failed"; code: string }
  | { name: "session"; session: SessionCreated; mode: SessionMode }
  | { name: "renewing"; session: SessionCreated; mode: SessionMode }
  /** `unconfirmed` when the page's `getVisitorToken()` failed rather than said nobody is signed in. */
  | { name: "identity-lost"; reason: LostReason; unconfirmed?: true };

/** What happens to the session. */
export type SessionEvent =
  | { type: "start" }
  /** Start-up found no token; `verifiedBefore` when this widget showed a verified visitor since its last reset. */
  /** No token: `expired` when the page gave one that has since expired. */
  | { type: "no-token"; verifiedBefore: boolean; reason: "no-token" | "expired"; unconfirmed?: boolean }
  | { type: "prechat-needed" }
  | { type: "opened"; session: SessionCreated }
  | { type: "renew" }
  | { type: "token-rejected"; reason: LostReason }
  /** Another tab logged out, or the session ended on the server: start again. */
  | { type: "restart" }
  | { type: "failed"; code: string }
  | { type: "reset" };

/** The phase `SetChat.state()` reports, from the state. */
export type Phase = "idle" | "starting" | "prechat" | "awaiting-sign-in" | "ready" | "renewing" | "signed-out";

/** Who the widget shows, as its identity hook's `data-state`. */
export type IdentityState = "verified" | "guest" | "anonymous" | "signed-out" | "none";

/** How long before expiry a verified session is renewed, in ms. */
export const REFRESH_MARGIN_MS = 30_000;

/** The session's mode, from the identity the server gave it. */
export function modeOf(session: SessionCreated): SessionMode {
  const method = session.identity.method;
  if (session.identity.verified) return "verified";
  if (method === "prechat_form") return "prechat";
  if (method === "client_user_data") return "client-data";
  return "anonymous";
}

/** The next state: the state machine, pure. An event that does not apply leaves the state as it is. */
export function transition(state: SessionState, event: SessionEvent): SessionState {
  switch (event.type) {
    case "start":
    case "restart":
      return { name: "starting" };
    case "reset":
      return { name: "idle" };
    case "no-token": // Never a fall back to anonymous; and a loss only for someone who was verified.
    {
      const unconfirmed = event.unconfirmed ? { unconfirmed: true as const } : {};
      return event.verifiedBefore
        ? { name: "identity-lost", reason: event.reason, ...unconfirmed }
        : { name: "awaiting-sign-in", ...unconfirmed };
    }
    case "prechat-needed":
      return state.name === "starting" ? { name: "prechat" } : state;
    case "opened":
      return { name: "session", session: event.session, mode: modeOf(event.session) };
    case "renew":
      return state.name === "session" ? { name: "renewing", session: state.session, mode: state.mode } : state;
    case "token-rejected":
      return { name: "identity-lost", reason: event.reason };
    case "failed":
      return state.name === "starting" || state.name === "prechat" ? { name: "failed", code: event.code } : state;
  }
}

/** The public phase of a state. */
export function phaseOf(state: SessionState): Phase {
  switch (state.name) {
    case "session":
      return "ready";
    case "identity-lost":
      return "signed-out";
    case "failed":
      // Nothing runs and no session is open: opening the panel, or its retry, starts again.
      return "idle";
    default:
      return state.name;
  }
}

/** The session a state holds, if any. */
export function sessionOf(state: SessionState): SessionCreated | null {
  return state.name === "session" || state.name === "renewing" ? state.session : null;
}

/** Who the widget shows in a state. */
export function identityState(state: SessionState): IdentityState {
  if (state.name === "identity-lost") return "signed-out";
  const session = sessionOf(state);
  if (!session) return "none";
  if (session.identity.verified) return "verified";
  return session.identity.name || session.identity.email ? "guest" : "anonymous";
}

/**
 * Whether the widget offers its own "forget me on this browser": only to a
 * visitor in a session who is not verified. A verified visitor's identity is
 * the page's: signing out happens in the page, which then calls `reset()`.
 */
export function offersForget(state: SessionState): boolean {
  const session = sessionOf(state);
  return session !== null && !session.identity.verified;
}

/** When a JWT's `exp` is, in ms, read without verifying (the server verifies). */
export function expiryOf(token: string): number | undefined {
  try {
    const part = token.split(".")[1] ?? "";
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const exp = JSON.parse(json).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Whether start-up must ask the page for a token first: none given, or the given one is about to expire. */
export function needsFreshToken(config: SetChatConfig, now: number): boolean {
  if (!config.getVisitorToken) return false;
  const token = config.visitorToken;
  if (token === undefined) return true;
  const expiry = expiryOf(token);
  return expiry !== undefined && expiry < now + REFRESH_MARGIN_MS;
}

/** What a refused session exchange leads to. */
export type FailureStep = { step: "retry" } | { step: "lost"; reason: LostReason } | { step: "fail" };

/** The decision after the server refused to open a session: pure. */
export function failureStep(
  error: unknown,
  context: { token: string | undefined; retried: boolean; canRefresh: boolean },
): FailureStep {
  if (!(error instanceof ApiError)) return { step: "fail" };
  if (error.code === "visitor_token_expired" && !context.retried && context.canRefresh) return { step: "retry" };
  if (context.token && (error.status === 401 || error.code === "workspace_mismatch")) {
    return { step: "lost", reason: error.code === "visitor_token_expired" ? "expired" : "refused" };
  }
  return { step: "fail" };
}

/**
 * Whether what is on screen may belong to someone else than a new session:
 * it follows no session (a first visit, a reset, a lost identity), or one of
 * another identity or device. Then nothing on screen may carry over.
 */
export function identityChanged(previous: SessionCreated | null, next: SessionCreated): boolean {
  return previous === null ||
    previous.identity.verified !== next.identity.verified ||
    previous.identity.externalUserId !== next.identity.externalUserId ||
    previous.deviceCredential !== next.deviceCredential;
}

/** When to renew a session, in ms from now; `undefined` for a session that is not renewed (not verified). */
export function refreshDelay(session: SessionCreated | null): number | undefined {
  if (!session?.identity.verified) return undefined;
  // From the server's count of seconds left: the browser's clock may be off by minutes.
  return Math.max(1000, session.expiresIn * 1000 - REFRESH_MARGIN_MS);
}

/** The configuration a reset leaves: whoever comes next is an anonymous visitor of the same site. */
export function anonymousConfig(config: SetChatConfig): SetChatConfig {
  const { siteApiKey, apiUrl, workspace, locale, collectUserData, pollIntervalMs, signInUrl, onSignIn, contactUrl } =
    config;
  const next: SetChatConfig = { siteApiKey };
  if (apiUrl !== undefined) next.apiUrl = apiUrl;
  if (workspace !== undefined) next.workspace = workspace;
  if (locale !== undefined) next.locale = locale;
  if (collectUserData !== undefined) next.collectUserData = collectUserData;
  if (pollIntervalMs !== undefined) next.pollIntervalMs = pollIntervalMs;
  if (signInUrl !== undefined) next.signInUrl = signInUrl;
  if (onSignIn !== undefined) next.onSignIn = onSignIn;
  if (contactUrl !== undefined) next.contactUrl = contactUrl;
  return next;
}

/** The part of the widget API a session uses. */
export interface SessionApi {
  sessionToken: string | undefined;
  createSession: WidgetApi["createSession"];
  endSession(token?: string): Promise<void>;
}

/** What the session asks of the rest of the widget. */
export interface SessionEffects {
  /** Tells the page. */
  emit<E extends keyof SetChatEvents>(event: E, detail: SetChatEvents[E]): void;
  /** The state changed: show it. */
  changed(): void;
  /** Forget everything shown of the previous session (conversations, messages, draft). */
  clearData(): void;
  /** A session is ready, new or renewed: load what the view shows. */
  load(): Promise<void>;
  /** Something failed that the visitor should hear about. */
  fail(error: unknown): void;
  /** Tells the page's developer, once, what went wrong and how to fix it. */
  warn(text: string): void;
}

/** One widget's session: the state machine, run over the API and the browser's storage. */
export class WidgetSession {
  #state: SessionState = { name: "idle" };
  #verifiedBefore = false;
  #config: SetChatConfig | undefined;
  #api: SessionApi | undefined;
  #storage: WidgetStorage | undefined;
  #epoch = 0;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last session's token, kept after identity loss so that `reset()` can still log it out. */
  #lastSessionToken: string | undefined;
  /** A session being opened: a `reset()` meanwhile ends it once it answers. */
  #opening: Promise<SessionCreated | undefined> | undefined;
  readonly #effects: SessionEffects;
  readonly #now: () => number;

  constructor(effects: SessionEffects, options: { now?: () => number } = {}) {
    this.#effects = effects;
    this.#now = options.now ?? Date.now;
  }

  /** Where the session is. */
  get state(): SessionState {
    return this.#state;
  }

  /** The open session, if any. */
  get session(): SessionCreated | null {
    return sessionOf(this.#state);
  }

  /** The page's configuration. */
  get config(): SetChatConfig | undefined {
    return this.#config;
  }

  #apply(event: SessionEvent): void {
    this.#state = transition(this.#state, event);
    this.#effects.changed();
  }

  /** Takes a new configuration, dropping whatever the previous one started. */
  configure(config: SetChatConfig, api: SessionApi, storage: WidgetStorage): void {
    this.stop();
    this.#config = config;
    this.#api = api;
    this.#storage = storage;
    this.#state = { name: "idle" };
  }

  /** Stops the renewal timer and makes every call in flight moot. */
  stop(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    this.#epoch++;
  }

  /** Starts a session: gets a token if needed, then asks for pre-chat data or opens the session. */
  async start(first: boolean): Promise<void> {
    const config = this.#config;
    if (!config) return;
    const epoch = this.#epoch;
    this.#apply({ type: "start" });
    let token = config.visitorToken;
    let unconfirmed = false;
    if (needsFreshToken(config, this.#now())) {
      const fetched = await this.#fetchToken();
      if (epoch !== this.#epoch) return;
      token = typeof fetched === "string" ? fetched : undefined;
      unconfirmed = fetched === FAILED;
    }
    const wantsIdentity = config.visitorToken !== undefined || config.getVisitorToken !== undefined;
    if (token === undefined && wantsIdentity) {
      // A token given once and now expired is a loss too: that visitor was verified.
      const verifiedBefore = this.#verifiedBefore || config.visitorToken !== undefined;
      return this.#lose({
        type: "no-token",
        verifiedBefore,
        reason: config.visitorToken === undefined ? "no-token" : "expired",
        unconfirmed,
      });
    }
    if (token === undefined && config.collectUserData && !config.user && !this.#storage!.prechat()) {
      return this.#apply({ type: "prechat-needed" });
    }
    await this.open(token, first);
  }

  /** Keeps what the pre-chat form collected and opens the session with it. */
  async submitPrechat(data: PrechatData): Promise<void> {
    this.#storage!.setPrechat(data);
    await this.open(undefined, false);
  }

  /** The page's token; `null` when it says nobody is signed in; {@linkcode FAILED} when the callback misbehaved. */
  async #fetchToken(): Promise<string | null | typeof FAILED> {
    let token: unknown;
    try {
      token = await this.#config?.getVisitorToken?.();
    } catch (error) {
      this.#effects.emit("error", { code: "get_visitor_token_failed", message: String(error) });
      this.#effects.warn(tokenAdvice(error, true));
      return FAILED;
    }
    if (typeof token === "string" && token !== "") return token;
    if (token === null || token === undefined) return null;
    this.#effects.warn(tokenAdvice(token, false));
    return FAILED;
  }

  /** Exchanges a token (or none) for a widget session. */
  async open(token: string | undefined, first: boolean, retried = false): Promise<void> {
    const config = this.#config!;
    const storage = this.#storage!;
    const api = this.#api!;
    const epoch = this.#epoch;
    // What a pre-chat form collected belongs to the browser's visitor who is not verified: a visitor token names
    // someone else, maybe another person on a shared browser, and must not be annotated with it.
    const prechat = token ? null : storage.prechat();
    const user = prechat
      ? { name: prechat.name, email: prechat.email, source: "prechat_form" as const }
      : config.user
      ? { ...config.user, source: "page" as const }
      : undefined;
    const device = storage.device();
    let created: SessionCreated;
    const request = api.createSession({
      siteApiKey: config.siteApiKey,
      ...(device ? { deviceCredential: device } : {}),
      ...(token ? { visitorToken: token } : {}),
      ...(user ? { user: user as never } : {}),
      ...(config.workspace ? { workspace: config.workspace } : {}),
    });
    const opening = request.catch(() => undefined);
    this.#opening = opening;
    try {
      created = await request;
    } catch (error) {
      if (epoch !== this.#epoch) return;
      const next = failureStep(error, { token, retried, canRefresh: config.getVisitorToken !== undefined });
      if (next.step === "retry") {
        const fresh = await this.#fetchToken();
        if (epoch !== this.#epoch) return;
        if (typeof fresh === "string") return this.open(fresh, first, true);
      }
      if (next.step !== "fail" && error instanceof ApiError && token) {
        this.#effects.emit("error", { code: error.code, message: error.message });
        this.#effects.warn(startAdvice(error, config));
        const reason = error.code === "visitor_token_expired" ? "expired" : "refused";
        return this.#lose({ type: "token-rejected", reason });
      }
      if (this.#state.name === "starting" || this.#state.name === "prechat") {
        // A start that failed is shown as such, with a retry, and explained to the developer once.
        const code = error instanceof ApiError ? error.code : "widget_error";
        this.#effects.emit("error", { code, message: error instanceof Error ? error.message : String(error) });
        this.#effects.warn(startAdvice(error, config));
        return this.#apply({ type: "failed", code });
      }
      this.#effects.fail(error);
      return;
    }
    if (this.#opening === opening) this.#opening = undefined;
    if (epoch !== this.#epoch) return;
    const previous = this.session;
    storage.setDevice(created.deviceCredential);
    api.sessionToken = created.sessionToken;
    this.#lastSessionToken = created.sessionToken;
    if (created.identity.verified) this.#verifiedBefore = true;
    if (identityChanged(previous, created)) this.#effects.clearData();
    this.#state = transition(this.#state, { type: "opened", session: created });
    this.#scheduleRefresh();
    await this.#effects.load();
    if (epoch !== this.#epoch) return;
    this.#effects.changed();
    if (first) this.#effects.emit("ready", { identity: created.identity });
    this.#effects.emit("identity", { identity: created.identity });
  }

  #scheduleRefresh(): void {
    clearTimeout(this.#refreshTimer);
    const delay = refreshDelay(this.session);
    if (delay !== undefined) this.#refreshTimer = setTimeout(() => void this.renew(), delay);
  }

  /** A verified session is about to end, or has: get a new token, or show the visitor signed out. */
  async renew(): Promise<void> {
    const epoch = this.#epoch;
    if (!this.#config?.getVisitorToken) return this.#lose({ type: "token-rejected", reason: "expired" });
    this.#state = transition(this.#state, { type: "renew" });
    const token = await this.#fetchToken();
    if (epoch !== this.#epoch) return;
    if (typeof token !== "string") {
      return this.#lose({ type: "no-token", verifiedBefore: true, reason: "expired", unconfirmed: token === FAILED });
    }
    await this.open(token, false);
  }

  /** Another tab logged out (or got a new device): drop what is on screen and start again. */
  async deviceChangedElsewhere(): Promise<void> {
    const session = this.session;
    if (!session || this.#storage?.device() === session.deviceCredential) return;
    this.stop();
    if (this.#api) this.#api.sessionToken = undefined;
    this.#effects.clearData();
    this.#state = transition(this.#state, { type: "restart" });
    await this.start(false);
  }

  /** Drops the session and everything shown of it, then shows the state `event` leads to. */
  #lose(event: SessionEvent): void {
    clearTimeout(this.#refreshTimer);
    this.#epoch++;
    if (this.#api) this.#api.sessionToken = undefined;
    this.#effects.clearData();
    this.#state = transition(this.#state, event);
    this.#effects.changed();
    if (this.#state.name === "identity-lost") this.#effects.emit("identity-lost", { reason: this.#state.reason });
  }

  /** Logout: ends the server session, forgets the device credential; whoever comes next is anonymous. */
  async reset(): Promise<void> {
    this.stop();
    const api = this.#api;
    const toEnd = api?.sessionToken ?? this.#lastSessionToken;
    const opening = this.#opening;
    this.#opening = undefined;
    this.#lastSessionToken = undefined;
    this.#verifiedBefore = false;
    this.#effects.clearData();
    this.#storage?.forget();
    if (this.#config) this.#config = anonymousConfig(this.#config);
    this.#apply({ type: "reset" });
    if (api) api.sessionToken = undefined;
    // Ending the session retires the device on the server, for every tab of this browser.
    if (api && toEnd) await api.endSession(toEnd).catch(() => {});
    // A session still being opened is ended once it answers: its device is retired on the server, not only here.
    const late = opening ? await opening : undefined;
    if (api && late && late.sessionToken !== toEnd) await api.endSession(late.sessionToken).catch(() => {});
    this.#effects.emit("reset", {});
  }

  /** Runs a call against the session; a session that ended meanwhile is renewed (verified) or started afresh. */
  async call<T>(call: () => Promise<T>): Promise<T | undefined> {
    const epoch = this.#epoch;
    try {
      const result = await call();
      return epoch === this.#epoch ? result : undefined;
    } catch (error) {
      if (epoch !== this.#epoch) return undefined;
      if (error instanceof ApiError && (error.code === "session_expired" || error.code === "session_invalid")) {
        // A verified visitor needs a new token; anyone else starts afresh (a logout elsewhere means a new device).
        if (this.session?.identity.verified) await this.renew();
        else await this.open(undefined, false);
        return undefined;
      }
      this.#effects.fail(error);
      return undefined;
    }
  }
}
