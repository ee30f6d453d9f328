/**
 * The actors of explore mode and the actions they take: two tenants with
 * their sites, users whose ids differ only in case, spaces or Unicode
 * normalisation, and browsers (devices) with tabs. An action names its
 * actors by index, so that a sequence can be replayed and shrunk.
 */

/** A tenant, by the target variables that reach it. */
export interface TenantActor {
  /** Variable of its id, e.g. `tenantId`. */
  id: string;
  /** Variable of its operations credential (the agent API). */
  admin: string;
  /** Variable of its server token, when the target gives one: only then can it mint. */
  server?: string | undefined;
}

/** A site, by the variable of its API key. */
export interface SiteActor {
  key: string;
  tenant: number;
}

/** The actors a target offers. */
export interface World {
  tenants: TenantActor[];
  sites: SiteActor[];
}

/**
 * User ids, `%` standing for the run's unique part. Pairs differ only in
 * case (0, 1), a space (0, 4), or normalisation (2 is NFC, 3 is NFD): every
 * one is a user of its own.
 */
export const USERS = ["Ada-%", "ada-%", "Zo\u00e9-%", "Zoe\u0301-%", "Ada -%"] as const;
/** The user whose id has a space: a target may refuse it at minting (never alter it). */
export const SPACED_USER = 4;
/** Browsers (devices) per run. */
export const DEVICES = 3;
/** Tabs per browser and site: two sessions at once on one device. */
export const TABS = 2;
/** Workspaces: none, or one of two. */
export const WORKSPACES = [null, "ws-1", "ws-2"] as const;
/** The identity modes. */
export const MODES = ["anonymous", "prechat", "client", "verified"] as const;
export type Mode = (typeof MODES)[number];
export const KINDS = ["chat", "ticket", "flow"] as const;

/**
 * One action of a sequence, with an `id` of its own; `c` names a conversation
 * by the id of the action that created it, so that dropping other actions
 * leaves the reference intact.
 */
export type Action = ActionBody & { id: number };

/** What an action does. */
export type ActionBody =
  | {
    do: "open";
    d: number;
    s: number;
    t: number;
    mode: Mode;
    /** The user (verified), or whose email and id the page passes (client data, pre-chat). */
    u: number;
    w: number;
    /** Custom data in the visitor token. */
    meta: boolean;
    /** Custom data from the browser. */
    browser: boolean;
  }
  | { do: "converse"; d: number; s: number; t: number; kind: (typeof KINDS)[number]; text: boolean }
  | { do: "message"; d: number; s: number; t: number; c: number }
  | { do: "reply"; a: number; c: number }
  | { do: "logout"; d: number; s: number; t: number }
  | { do: "clear"; d: number; s: number }
  | { do: "replay"; d: number; s: number };

/** The world a target's variables allow: tenants and sites it names. */
export function worldOf(vars: Record<string, string | undefined>): World {
  const tenants: TenantActor[] = [];
  const sites: SiteActor[] = [];
  const add = (tenant: TenantActor, siteKeys: string[]) => {
    if (!vars[tenant.id] || !vars[tenant.admin]) return;
    const keys = siteKeys.filter((k) => vars[k]);
    if (!keys.length) return;
    tenants.push({ ...tenant, server: tenant.server && vars[tenant.server] ? tenant.server : undefined });
    for (const key of keys) sites.push({ key, tenant: tenants.length - 1 });
  };
  add({ id: "tenantId", admin: "adminToken", server: "serverToken" }, ["siteApiKey", "otherSiteApiKey"]);
  add(
    { id: "foreignTenantId", admin: "foreignAdminToken", server: "foreignServerToken" },
    ["foreignSiteApiKey", "foreignOtherSiteApiKey"],
  );
  return { tenants, sites };
}

/** A small seeded generator (mulberry32): the same seed gives the same runs. */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A number in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** What the generator needs to know of the run so far, to pick actions that do something. */
export interface Situation {
  /** Tabs with a live session, as `[d, s, t]`. */
  liveTabs: [number, number, number][];
  /** Ids of the actions that created a conversation. */
  conversations: number[];
  /** Browsers (`[d, s]`) whose credential a logout retired. */
  retired: [number, number][];
}

/** The next action: weighted toward what makes histories meet (same users, same devices, other sites). */
export function nextAction(world: World, r: Random, now: Situation): ActionBody {
  const roll = r.next();
  if (now.liveTabs.length === 0 || roll < 0.3) {
    const verifiable = world.sites.map((_, i) => i).filter((i) => world.tenants[world.sites[i]!.tenant]!.server);
    let mode = r.pick(MODES);
    if (mode === "verified" && !verifiable.length) mode = "anonymous";
    const s = mode === "verified" ? r.pick(verifiable) : r.int(world.sites.length);
    return {
      do: "open",
      d: r.int(DEVICES),
      s,
      t: r.int(TABS),
      mode,
      u: r.chance(0.5) ? r.int(2) : r.int(USERS.length),
      w: r.chance(0.6) ? 0 : 1 + r.int(2),
      meta: r.chance(0.4),
      browser: r.chance(0.4),
    };
  }
  const [d, s, t] = r.pick(now.liveTabs);
  if (roll < 0.55) return { do: "converse", d, s, t, kind: r.pick(KINDS), text: r.chance(0.8) };
  if (roll < 0.68 && now.conversations.length) return { do: "message", d, s, t, c: r.pick(now.conversations) };
  if (roll < 0.78 && now.conversations.length) {
    return { do: "reply", a: r.int(world.tenants.length), c: r.pick(now.conversations) };
  }
  if (roll < 0.86 && now.retired.length) {
    const [rd, rs] = r.pick(now.retired);
    return { do: "replay", d: rd, s: rs };
  }
  if (roll < 0.95) return { do: "logout", d, s, t };
  return { do: "clear", d, s };
}

/** An action in a line, for the printed sequence. */
export function describeAction(a: Action, world: World): string {
  const site = (s: number) => `site ${world.sites[s]?.key ?? s}`;
  switch (a.do) {
    case "open": {
      const who = a.mode === "verified"
        ? `verified as ${JSON.stringify(USERS[a.u])}`
        : a.mode === "anonymous"
        ? "anonymous"
        : `${a.mode === "prechat" ? "pre-chat form" : "client user data"} of ${JSON.stringify(USERS[a.u])}`;
      const extras = [
        WORKSPACES[a.w] ? `workspace ${WORKSPACES[a.w]}` : "",
        a.mode === "verified" && a.meta ? "token metadata" : "",
        a.browser && a.mode !== "anonymous" && a.mode !== "prechat" ? "browser customData" : "",
      ].filter(Boolean);
      return `device ${a.d} tab ${a.t} opens ${site(a.s)} ${who}${extras.length ? ` (${extras.join(", ")})` : ""}`;
    }
    case "converse":
      return `device ${a.d} tab ${a.t} on ${site(a.s)} starts ${a.kind} #${a.id}${a.text ? " with a message" : ""}`;
    case "message":
      return `device ${a.d} tab ${a.t} on ${site(a.s)} writes in conversation #${a.c}`;
    case "reply":
      return `the agent of tenant ${world.tenants[a.a]?.id ?? a.a} replies in conversation #${a.c}`;
    case "logout":
      return `device ${a.d} tab ${a.t} logs out of ${site(a.s)}`;
    case "clear":
      return `device ${a.d} forgets its credential for ${site(a.s)}`;
    case "replay":
      return `device ${a.d} sends ${site(a.s)} the credential its logout retired`;
  }
}
