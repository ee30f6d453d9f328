/**
 * Runs a sequence of actions against a target and holds every answer
 * against the model. Each request is written as a fixture step (request,
 * expectation, captures) and judged by the suite's own checks, so that the
 * steps of a failure, saved as a fixture, fail the same way in a normal run.
 */
import { check, type Received } from "../expect.ts";
import type { HttpStep } from "../fixture_schema.ts";
import { capturedValue, type Send, sendRequest } from "../runner.ts";
import { render, renderString, select, type Vars } from "../template.ts";
import {
  canSee,
  type CustomDataSources,
  FOREIGN_AGENT_STATUSES,
  HIDDEN_STATUSES,
  type ModelConversation,
  type ModelSession,
  type RuleClause,
  verifiedCustomDataRules,
  whyHidden,
  whyVisible,
} from "./model.ts";
import { type Action, type Situation, SPACED_USER, TABS, USERS, WORKSPACES, type World } from "./world.ts";

/** A fixture step as explore writes it. */
export type ExploreStep = HttpStep;

/** An answer of the target that the model does not allow. */
export interface Disagreement {
  /** The action (0-based) after which it was seen. */
  step: number;
  clause: RuleClause;
  /** Which check: `history`, `open-by-id`, `agent-conversation`, ... */
  rule: string;
  /** What was expected and what came. */
  message: string;
  /** The fixture steps of the failed observation (empty when the action's own answer failed). */
  observation: ExploreStep[];
}

/** What driving a sequence gave. */
export interface Drive {
  /** The actions given, with `false` for those skipped (their actors were gone). */
  ran: boolean[];
  /** The fixture steps of the actions, in order. */
  steps: ExploreStep[];
  disagreement?: Disagreement | undefined;
}

/** How to drive. */
export interface DriveOptions {
  world: World;
  send: Send;
  apiUrl: string;
  /** A target of several nodes: requests go to each in turn (default `apiUrl` only). */
  nodes?: readonly string[];
  /** The target's variables (credentials, site keys). */
  vars: Record<string, string | undefined>;
  /** The run's unique part, standing for `{{unique}}`. */
  unique: string;
  /** How long an answer may take (default 10 s). */
  timeoutMs?: number;
  /** Every observation after every step, not only those whose expected answer changed. */
  sweep?: boolean;
}

interface Tab {
  ses: string;
  model: ModelSession;
  spaced: boolean;
  /** When the session may have expired (a verified one lives as long as its token): left alone from then on. */
  staleAt: number;
}

interface Conversation {
  var: string;
  model: ModelConversation;
  spaced: boolean;
  version: number;
}

interface Visitor {
  var: string;
  tenant: number;
  sources: CustomDataSources;
  spaced: boolean;
  version: number;
}

interface Browser {
  dev?: string | undefined;
  retired?: string | undefined;
}

class Failure extends Error {
  constructor(readonly disagreement: Omit<Disagreement, "step">) {
    super(disagreement.message);
  }
}

/** How many conversations a history listing holds at most, the newest. */
const LISTING_LIMIT = 50;
/**
 * How long explore uses a verified session: under the shortest visitor token
 * lifetime the contract allows (5 minutes), which a verified session lives as long as.
 */
const VERIFIED_SESSION_MS = 4 * 60_000;

const tabKey = (d: number, s: number, t: number) => `${d}.${s}.${t}`;
const text = (template: string) => template.replace(/%/g, "{{unique}}");
const email = (u: number) => `user${u}-{{unique}}@example.com`;

/** One run against the target: state, model and bookkeeping. */
export class Explorer {
  readonly steps: ExploreStep[] = [];
  requests = 0;
  readonly #o: DriveOptions;
  readonly #vars: Vars;
  readonly #tabs = new Map<string, Tab>();
  readonly #browsers = new Map<string, Browser>();
  readonly #conversations = new Map<number, Conversation>();
  readonly #visitors = new Map<string, Visitor>();
  readonly #ended: Tab[] = [];
  readonly #checked = new Map<string, number>();
  #names = 0;
  #spacedGuard: string | undefined;

  constructor(options: DriveOptions) {
    this.#o = options;
    this.#vars = { ...options.vars, unique: options.unique, apiUrl: options.apiUrl };
  }

  /** What the generator may build on. */
  situation(): Situation {
    return {
      liveTabs: [...this.#tabs.keys()].map((k) => k.split(".").map(Number) as [number, number, number]),
      conversations: [...this.#conversations.keys()],
      retired: [...this.#browsers.entries()].filter(([, b]) => b.retired).map(([k]) =>
        k.split(".").map(Number) as [number, number]
      ),
    };
  }

  #name(prefix: string): string {
    return `${prefix}${++this.#names}`;
  }

  /** Sends a step and judges it; throws a {@linkcode Failure} on any failed check. */
  async #send(
    step: ExploreStep,
    explain: (received: Received) => { clause: RuleClause; rule: string },
    observed = false,
  ): Promise<Received | undefined> {
    if (step.if && this.#vars[step.if] === undefined) return undefined;
    const nodes = this.#o.nodes?.length ? this.#o.nodes : [this.#o.apiUrl];
    const node = nodes[this.requests % nodes.length]!;
    this.requests++;
    const received = await sendRequest(render(step.request, this.#vars) as ExploreStep["request"], node, {
      timeoutMs: this.#o.timeoutMs ?? 10_000,
      send: this.#o.send,
    });
    const expectation = step.expect ? render(step.expect, this.#vars) as NonNullable<ExploreStep["expect"]> : {};
    const outcomes = await check(received, expectation, { jwks: () => Promise.resolve(null), values: () => undefined });
    const problems = outcomes.filter((o) => o.ok === false).map((o) => `${o.check}: ${o.detail ?? "failed"}`);
    for (const [name, spec] of Object.entries(step.capture ?? {})) {
      const value = capturedValue([received], spec);
      if (value === undefined) {
        if (typeof spec === "string" || !spec.optional) {
          problems.push(
            `capture ${name}: nothing at "${typeof spec === "string" ? spec : "path" in spec ? spec.path : ""}"`,
          );
        }
      } else this.#vars[name] = value;
    }
    if (!observed) this.steps.push(step);
    if (problems.length) {
      const why = explain(received);
      throw new Failure({
        ...why,
        message: `${step.name} (${step.request.method} ${step.request.path}, answered ${received.status}): ${
          problems.join("; ")
        }`,
        observation: observed ? [step] : [],
      });
    }
    return received;
  }

  /** Runs one action, then the observations; the disagreement, if any. */
  async apply(action: Action, index: number): Promise<{ ran: boolean; disagreement?: Disagreement }> {
    // A session that may have expired is gone, as if its tab had closed: a long run never judges expiry.
    for (const [key, tab] of this.#tabs) if (Date.now() >= tab.staleAt) this.#tabs.delete(key);
    try {
      const ran = await this.#act(action, index);
      if (ran) await this.#observe(this.#o.sweep ?? false);
      return { ran };
    } catch (error) {
      if (error instanceof Failure) return { ran: true, disagreement: { step: index, ...error.disagreement } };
      throw error;
    }
  }

  async #act(a: Action, index: number): Promise<boolean> {
    const { world } = this.#o;
    switch (a.do) {
      case "open":
        return await this.#open(a, index);
      case "converse": {
        const tab = this.#tabs.get(tabKey(a.d, a.s, a.t));
        if (!tab) return false;
        const v = this.#name("conv");
        const message = a.text ? `m${index + 1}-{{unique}}` : undefined;
        const json: Record<string, unknown> = { kind: a.kind };
        if (a.kind === "ticket") json.subject = `Subject ${index + 1}`;
        if (message) json.text = message;
        await this.#send(
          {
            name: `step ${index + 1}: ${tab.ses} starts a ${a.kind}`,
            ...(tab.spaced ? { if: this.#spacedGuard } : {}),
            request: { method: "POST", path: "/api/widget/conversations", auth: `{{${tab.ses}}}`, json },
            expect: { status: 201, assert: [{ path: "conversation.verified", equals: tab.model.verified }] },
            capture: { [v]: "conversation.id" },
          },
          () => ({ clause: "CONV", rule: "create-conversation" }),
        );
        this.#conversations.set(a.id, {
          var: v,
          spaced: tab.spaced,
          version: 0,
          model: {
            tenant: tab.model.tenant,
            site: tab.model.site,
            workspace: tab.model.workspace,
            verified: tab.model.verified,
            user: tab.model.user,
            device: tab.model.device,
            texts: message ? [message] : [],
            botFirst: a.kind === "flow",
          },
        });
        return true;
      }
      case "message": {
        const tab = this.#tabs.get(tabKey(a.d, a.s, a.t));
        const c = this.#conversations.get(a.c);
        if (!tab || !c) return false;
        const visible = canSee(tab.model, c.model);
        const message = `m${index + 1}-{{unique}}`;
        await this.#send(
          {
            name: `step ${index + 1}: ${tab.ses} writes in ${c.var}`,
            ...(tab.spaced || c.spaced ? { if: this.#spacedGuard } : {}),
            request: {
              method: "POST",
              path: `/api/widget/conversations/{{${c.var}}}/messages`,
              auth: `{{${tab.ses}}}`,
              json: { text: message },
            },
            expect: { status: visible ? "2xx" : [...HIDDEN_STATUSES] },
          },
          () => ({ clause: visible ? whyVisible(tab.model) : whyHidden(tab.model, c.model)!, rule: "message" }),
        );
        if (visible) {
          c.model.texts.push(message);
          c.version++;
        }
        return true;
      }
      case "reply": {
        const c = this.#conversations.get(a.c);
        const tenant = world.tenants[a.a];
        if (!c || !tenant) return false;
        const own = tenant.id === c.model.tenant;
        const message = `r${index + 1}-{{unique}}`;
        await this.#send(
          {
            name: `step ${index + 1}: the agent of {{${tenant.id}}} replies in ${c.var}`,
            ...(c.spaced ? { if: this.#spacedGuard } : {}),
            request: {
              method: "POST",
              path: `/api/tenants/{{${tenant.id}}}/conversations/{{${c.var}}}/messages`,
              auth: `{{${tenant.admin}}}`,
              json: { text: message },
            },
            expect: { status: own ? "2xx" : [...FOREIGN_AGENT_STATUSES] },
          },
          () => ({ clause: "AGENT", rule: "reply" }),
        );
        if (own) {
          c.model.texts.push(message);
          c.version++;
        }
        return true;
      }
      case "logout": {
        const key = tabKey(a.d, a.s, a.t);
        const tab = this.#tabs.get(key);
        if (!tab) return false;
        await this.#send(
          {
            name: `step ${index + 1}: ${tab.ses} logs out`,
            ...(tab.spaced ? { if: this.#spacedGuard } : {}),
            request: { method: "DELETE", path: "/api/widget/session", auth: `{{${tab.ses}}}` },
            expect: { status: "2xx" },
          },
          () => ({ clause: "LOGOUT", rule: "logout" }),
        );
        // A logout ends every session of the device on this site (the widget resets the whole browser: every tab,
        // and the device credential), and each ended session is refused from then on.
        for (let t = 0; t < TABS; t++) {
          const other = this.#tabs.get(tabKey(a.d, a.s, t));
          if (!other) continue;
          if (other.model.device === tab.model.device) {
            other.model.ended = true;
            this.#ended.push(other);
          }
          this.#tabs.delete(tabKey(a.d, a.s, t));
        }
        const browser = this.#browsers.get(`${a.d}.${a.s}`);
        if (browser?.dev) {
          browser.retired = browser.dev;
          browser.dev = undefined;
        }
        return true;
      }
      case "clear": {
        const browser = this.#browsers.get(`${a.d}.${a.s}`);
        if (!browser?.dev) return false;
        browser.dev = undefined;
        for (let t = 0; t < TABS; t++) this.#tabs.delete(tabKey(a.d, a.s, t));
        return true;
      }
      case "replay": {
        const browser = this.#browsers.get(`${a.d}.${a.s}`);
        const site = world.sites[a.s];
        if (!browser?.retired || !site) return false;
        const probe = this.#name("probe");
        await this.#send(
          {
            name: `step ${index + 1}: a session asks for ${browser.retired}, which a logout retired`,
            request: {
              method: "POST",
              path: "/api/widget/sessions",
              json: { siteApiKey: `{{${site.key}}}`, deviceCredential: `{{${browser.retired}}}` },
            },
            expect: {
              status: ["2xx", "4xx"],
              assert: [{ path: "deviceCredential", notEquals: `{{${browser.retired}}}` }],
            },
            capture: { [probe]: { path: "sessionToken", optional: true } },
          },
          () => ({ clause: "LOGOUT", rule: "retired-device" }),
        );
        await this.#send(
          {
            name: `step ${index + 1}: that session sees nothing`,
            if: probe,
            request: { method: "GET", path: "/api/widget/conversations", auth: `{{${probe}}}` },
            expect: {
              status: 200,
              assert: [
                ...[...this.#conversations.values()].filter((c) => !c.spaced).map((c) => ({
                  path: "conversations[*].id",
                  notContains: `{{${c.var}}}`,
                })),
              ],
            },
          },
          (r) => {
            // The retired device's history is a logout failure; any other conversation, a device leak.
            const listed = new Set((select(r.json, "conversations[*].id") as unknown[] | undefined) ?? []);
            const retired = String(this.#vars[browser.retired!]);
            const kept = [...this.#conversations.values()].some((c) =>
              c.model.device === retired && listed.has(this.#vars[c.var])
            );
            return { clause: kept ? "LOGOUT" : "VIS-DEVICE", rule: "retired-device" };
          },
        );
        return true;
      }
    }
  }

  async #open(a: Extract<Action, { do: "open" }>, index: number): Promise<boolean> {
    const site = this.#o.world.sites[a.s]!;
    const tenant = this.#o.world.tenants[site.tenant]!;
    const verified = a.mode === "verified";
    if (verified && !tenant.server) return false;
    const spaced = (verified || a.mode === "client") && a.u === SPACED_USER;
    const userId = text(USERS[a.u]!);
    const tag = `step ${index + 1}`;
    const metadata = verified && a.meta ? { plan: `token-${index + 1}` } : undefined;
    const customData = a.browser && (a.mode === "client" || verified) ? { plan: `browser-${index + 1}` } : undefined;
    let token: string | undefined;
    if (verified) {
      token = this.#name("tok");
      const spacedFirst = spaced && this.#spacedGuard === undefined;
      const json: Record<string, unknown> = {
        siteApiKey: `{{${site.key}}}`,
        externalUserId: userId,
        email: email(a.u),
      };
      if (metadata) json.metadata = metadata;
      await this.#send(
        {
          name: `${tag}: mint a visitor token for ${JSON.stringify(USERS[a.u])}`,
          ...(spaced && !spacedFirst ? { if: this.#spacedGuard } : {}),
          request: { method: "POST", path: "/api/widget/visitor-token", auth: `{{${tenant.server}}}`, json },
          // An id may be refused, never altered: a space is a character like any other.
          expect: { status: spaced ? [200, "4xx"] : 200 },
          capture: { [token]: spaced ? { path: "token", optional: true } : "token" },
        },
        () => ({ clause: "TOKEN-SUBJECT", rule: "mint" }),
      );
      if (spacedFirst) this.#spacedGuard = token;
      if (this.#vars[token] === undefined) return false;
    }
    const bkey = `${a.d}.${a.s}`;
    const browser = this.#browsers.get(bkey) ?? {};
    this.#browsers.set(bkey, browser);
    const json: Record<string, unknown> = { siteApiKey: `{{${site.key}}}` };
    if (browser.dev) json.deviceCredential = `{{${browser.dev}}}`;
    if (token) json.visitorToken = `{{${token}}}`;
    if (a.mode === "prechat") json.user = { name: `Visitor ${a.u}`, email: email(a.u), source: "prechat_form" };
    if (a.mode === "client") {
      json.user = { name: `Visitor ${a.u}`, email: email(a.u), externalUserId: userId, source: "page" };
    }
    if (customData) json.user = { ...(json.user as object | undefined), customData };
    const workspace = WORKSPACES[a.w] ?? null;
    if (workspace) json.workspace = { externalId: workspace };
    const ses = this.#name("ses");
    const dev = this.#name("dev");
    const vis = this.#name("vis");
    const assert: NonNullable<NonNullable<ExploreStep["expect"]>["assert"]> = [
      { path: "identity.verified", equals: verified },
    ];
    if (verified) assert.push({ path: "identity.externalUserId", equals: userId });
    const guard = spaced && verified ? this.#spacedGuard : undefined;
    const received = await this.#send({
      name: `${tag}: device ${a.d} opens a ${a.mode} session`,
      ...(guard ? { if: guard } : {}),
      request: { method: "POST", path: "/api/widget/sessions", json },
      expect: { status: 201, assert },
      capture: { [ses]: "sessionToken", [dev]: "deviceCredential", [vis]: "visitorId" },
    }, (r) => ({
      clause: select(r.json, "identity.verified") === true && !verified
        ? "VIS-NO-MERGE"
        : verified && select(r.json, "identity.externalUserId") !== renderString(userId, this.#vars)
        ? "TOKEN-SUBJECT"
        : "SES-MODES",
      rule: "open-session",
    }));
    if (!received) return false;
    browser.dev = dev;
    const model: ModelSession = {
      tenant: tenant.id,
      site: site.key,
      workspace,
      verified,
      user: verified ? userId : null,
      device: String(this.#vars[dev]),
      ended: false,
    };
    const staleAt = verified ? Date.now() + VERIFIED_SESSION_MS : Infinity;
    this.#tabs.set(tabKey(a.d, a.s, a.t), { ses, model, spaced: guard !== undefined, staleAt });
    const visitorId = String(this.#vars[vis]);
    const visitor = this.#visitors.get(visitorId) ??
      {
        var: vis,
        tenant: site.tenant,
        sources: { token: new Map(), browser: new Map(), latest: null },
        spaced: false,
        version: 0,
      };
    this.#visitors.set(visitorId, visitor);
    visitor.spaced ||= guard !== undefined;
    visitor.version++;
    const add = (to: Map<string, string[]>, data: Record<string, string> | undefined) => {
      for (const [k, v] of Object.entries(data ?? {})) to.set(k, [...(to.get(k) ?? []), v]);
    };
    add(visitor.sources.token, metadata);
    if (verified) visitor.sources.latest = metadata ?? {};
    add(visitor.sources.browser, customData);
    return true;
  }

  #due(key: string, version: number, all: boolean): boolean {
    if (!all && this.#checked.get(key) === version) return false;
    this.#checked.set(key, version);
    return true;
  }

  /** The observations: histories, conversations by id, the agents' views, ended sessions. */
  async #observe(all: boolean): Promise<void> {
    const { world } = this.#o;
    const conversations = [...this.#conversations.values()];
    for (const tab of this.#tabs.values()) {
      const s = tab.model;
      // A listing can change only with a new conversation (or a new session): checked again then.
      const guard = tab.spaced || conversations.some((c) => c.spaced) ? this.#spacedGuard : undefined;
      if (this.#due(`list|${tab.ses}`, conversations.length, all)) {
        await this.#list(tab, conversations, guard);
      }
      for (const c of conversations) {
        if (!this.#due(`open|${tab.ses}|${c.var}`, c.version, all)) continue;
        const shown = canSee(s, c.model);
        await this.#observation({
          name: `${tab.ses} opens ${c.var} by id`,
          ...(tab.spaced || c.spaced ? { if: this.#spacedGuard } : {}),
          request: { method: "GET", path: `/api/widget/conversations/{{${c.var}}}`, auth: `{{${tab.ses}}}` },
          expect: shown
            ? {
              status: 200,
              assert: [
                { path: "conversation.id", equals: `{{${c.var}}}` },
                ...c.model.texts.map((t) => ({ path: "messages[*].text", contains: t })),
                // The contract gives no order to a conversation's messages (only to `?after=`): the bot is there.
                ...(c.model.botFirst ? [{ path: "messages[*].author", contains: "bot" }] : []),
              ],
            }
            : { status: [...HIDDEN_STATUSES] },
        }, (r) => ({
          clause: shown
            ? (r.status === 200 ? "CONV" : whyVisible(s))
            : r.status === 403
            ? "VIS-404"
            : whyHidden(s, c.model)!,
          rule: "open-by-id",
        }));
      }
    }
    for (const tab of this.#ended) {
      if (!this.#due(`ended|${tab.ses}`, 0, all)) continue;
      await this.#observation({
        name: `${tab.ses}, logged out, lists a history`,
        ...(tab.spaced ? { if: this.#spacedGuard } : {}),
        request: { method: "GET", path: "/api/widget/conversations", auth: `{{${tab.ses}}}` },
        expect: { status: "4xx" },
      }, () => ({ clause: "LOGOUT", rule: "ended-session" }));
    }
    for (const [a, tenant] of world.tenants.entries()) {
      for (const c of conversations) {
        const own = c.model.tenant === tenant.id;
        // Another tenant's answer does not depend on what the conversation holds: checked once.
        if (!this.#due(`agent|${a}|${c.var}`, own ? c.version : 0, all)) continue;
        await this.#observation({
          name: `the agent of {{${tenant.id}}} reads ${c.var}`,
          ...(c.spaced ? { if: this.#spacedGuard } : {}),
          request: {
            method: "GET",
            path: `/api/tenants/{{${tenant.id}}}/conversations/{{${c.var}}}`,
            auth: `{{${tenant.admin}}}`,
          },
          expect: own
            ? {
              status: 200,
              assert: [
                { path: "conversation.verified", equals: c.model.verified },
                { path: "conversation.siteApiKey", equals: `{{${c.model.site}}}` },
                ...c.model.texts.map((t) => ({ path: "messages[*].text", contains: t })),
              ],
            }
            : { status: [...FOREIGN_AGENT_STATUSES] },
        }, () => ({ clause: "AGENT", rule: "agent-conversation" }));
      }
      for (const [id, v] of this.#visitors.entries()) {
        const own = world.tenants[v.tenant]?.id === tenant.id;
        if (!this.#due(`visitor|${a}|${id}`, own ? v.version : 0, all)) continue;
        const rules = verifiedCustomDataRules(v.sources);
        await this.#observation({
          name: `the agent of {{${tenant.id}}} reads visitor ${v.var}`,
          ...(v.spaced ? { if: this.#spacedGuard } : {}),
          request: {
            method: "GET",
            path: `/api/tenants/{{${tenant.id}}}/visitors/{{${v.var}}}`,
            auth: `{{${tenant.admin}}}`,
          },
          expect: own
            ? {
              status: 200,
              assert: rules.flatMap((rule) => [
                ...(rule.oneOf ? [{ path: `custom_data.${rule.key}`, oneOf: rule.oneOf }] : []),
                ...(rule.noneOf.length ? [{ path: `custom_data.${rule.key}`, noneOf: rule.noneOf }] : []),
              ]),
            }
            : { status: [...FOREIGN_AGENT_STATUSES] },
        }, () => ({ clause: own ? "CUSTOM-DATA" : "AGENT", rule: "agent-visitor" }));
      }
    }
  }

  /**
   * A session's history: every conversation of this sequence it may see, none
   * it may not. Only this sequence's conversations are judged: a shared target
   * holds others too, and a failure must come back when the sequence is replayed alone.
   */
  async #list(tab: Tab, conversations: Conversation[], guard: string | undefined) {
    const s = tab.model;
    const visible = conversations.filter((c) => canSee(s, c.model)).length;
    const hidden = conversations.filter((c) => !canSee(s, c.model)).map((c) => ({
      path: "conversations[*].id",
      notContains: `{{${c.var}}}`,
    }));
    await this.#observation({
      name: `${tab.ses} lists its history`,
      ...(guard ? { if: guard } : {}),
      request: { method: "GET", path: "/api/widget/conversations", auth: `{{${tab.ses}}}` },
      expect: {
        status: 200,
        // The listing holds the newest LISTING_LIMIT: past that, which ones is the target's to order.
        assert: visible > LISTING_LIMIT ? [{ path: "conversations", length: LISTING_LIMIT }, ...hidden] : [
          ...conversations.filter((c) => canSee(s, c.model)).map((c) => ({
            path: "conversations[*].id",
            contains: `{{${c.var}}}`,
          })),
          ...hidden,
        ],
      },
    }, (r) => {
      const listed = new Set((select(r.json, "conversations[*].id") as unknown[] | undefined) ?? []);
      const leak = conversations.find((c) => !canSee(s, c.model) && listed.has(this.#vars[c.var]));
      return { clause: leak ? whyHidden(s, leak.model)! : whyVisible(s), rule: "history" };
    });
  }

  async #observation(
    step: ExploreStep,
    explain: (received: Received) => { clause: RuleClause; rule: string },
  ): Promise<void> {
    await this.#send(step, explain, true);
  }
}

/** Drives `actions` in order, every observation after every action; stops at the first disagreement. */
export async function drive(actions: readonly Action[], options: Omit<DriveOptions, "sweep">): Promise<Drive> {
  const explorer = new Explorer({ ...options, sweep: true });
  const ran: boolean[] = [];
  for (const [i, action] of actions.entries()) {
    const result = await explorer.apply(action, i);
    ran.push(result.ran);
    if (result.disagreement) return { ran, steps: explorer.steps, disagreement: result.disagreement };
  }
  return { ran, steps: explorer.steps };
}
