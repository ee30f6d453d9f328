/**
 * Levels, surfaces and profiles: how much each check weighs, which part of
 * the contract each case needs, and which cases a run holds against a target.
 *
 * Only what the vendor docs state, or what security needs everywhere, may
 * fail a run (`must`). Recommended practice warns (`should`). The reference's
 * own choices (`reference`) are held only against implementations that say
 * they make them too.
 */
import { type Surface, SURFACES } from "../src/contract/meta.ts";
import { endpointsOf } from "./endpoints.ts";

export { type Surface, SURFACES };

/** The levels, strongest first. */
export const LEVELS = ["must", "should", "reference"] as const;
/** How much a check weighs. */
export type Level = (typeof LEVELS)[number];

/** What each level means, for `--help`, `--list` and docs/conformance.md. */
export const LEVEL_DOCS: Record<Level, string> = {
  must: "the vendor docs' contract, the identity rules and universal security: a failure fails the run",
  should: "recommended practice: a failure is a warning (fails the run only with --strict)",
  reference: "the reference's own choices (its error codes, algorithm, limits, policies, response shapes): " +
    "checked only in the reference profile",
};

/** What each surface is. */
export const SURFACE_DOCS: Record<Surface, string> = {
  s2s: "minting, rotation, revocation and the JWKS: all the vendor docs define",
  widget: "the widget API (/api/widget/*) and the widget script: this contract's addition",
  agent: "the agent API (/api/tenants/:id/conversations, /visitors): this contract's addition",
  browser: "what a person sees in the widget (Playwright on headless Chromium, with --browser)",
};

/** Whether `level` is `than` or weaker. */
export function isAtMost(level: Level, than: Level): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(than);
}

/** The surface a request path belongs to, or `undefined` when only the reference has it (see `endpoints.ts`). */
export function surfaceOf(path: string): Surface | undefined {
  return endpointsOf(path)[0]?.surface;
}

/** Which cases a run holds against its target. */
export interface Profile {
  /** `s2s`, `full`, `reference`, or `declared` (from the target's discovery document). */
  name: string;
  surfaces: Surface[];
  levels: Level[];
  /** Where the profile came from, for the report. */
  source: string;
}

/** The named profiles. */
export const PROFILES = {
  s2s: {
    surfaces: ["s2s"],
    levels: ["must", "should"],
    doc: "the vendor-documented surface: minting, rotation, revocation, the JWKS when published",
  },
  full: {
    surfaces: ["s2s", "widget", "agent", "browser"],
    levels: ["must", "should"],
    doc: "s2s, the widget API, the agent API, and the browser scenarios with --browser",
  },
  reference: {
    surfaces: ["s2s", "widget", "agent", "browser"],
    levels: ["must", "should", "reference"],
    doc: "full, plus the reference's own choices; the default for the reference in process",
  },
} as const satisfies Record<string, { surfaces: Surface[]; levels: Level[]; doc: string }>;
/** A profile's name. */
export type ProfileName = keyof typeof PROFILES;
/** Every profile's name. */
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/** The named profile. */
export function namedProfile(name: ProfileName, source: string): Profile {
  const p = PROFILES[name];
  return { name, surfaces: [...p.surfaces], levels: [...p.levels], source };
}

/** The profile a discovery document declares. */
export function declaredProfile(
  declared: { surfaces: readonly Surface[]; referenceChoices: boolean },
  source: string,
): Profile {
  const surfaces = SURFACES.filter((s) => s === "s2s" || declared.surfaces.includes(s));
  const all = SURFACES.every((s) => surfaces.includes(s));
  if (all && declared.referenceChoices) return namedProfile("reference", source);
  if (all) return namedProfile("full", source);
  if (surfaces.length === 1) return namedProfile("s2s", source);
  return { name: "declared", surfaces, levels: ["must", "should"], source };
}

/** What a case needs of a profile. */
export interface Requirements {
  /** The surfaces its steps call (below `reference` level). */
  surfaces: readonly Surface[];
  /** Its own level: a `reference` case is all the reference's choice. */
  level: Level;
}

/** Why a case is outside the profile, or `undefined` when it is in. */
export function outsideProfile(c: Requirements, profile: Profile): string | undefined {
  const missing = c.surfaces.filter((s) => !profile.surfaces.includes(s));
  if (missing.length) {
    return `needs the ${missing.join(" and ")} surface${
      missing.length > 1 ? "s" : ""
    }, not in the ${profile.name} profile`;
  }
  if (!profile.levels.includes(c.level)) {
    return `checks the reference's own choices: only in the reference profile`;
  }
  return undefined;
}

/** Surfaces the profile leaves out, with how to add them; empty when none. */
export function leftOut(profile: Profile): string[] {
  const notes: string[] = [];
  const missing = SURFACES.filter((s) => !profile.surfaces.includes(s));
  if (missing.length) {
    notes.push(
      `Left out: the ${missing.join(", ")} surface${missing.length > 1 ? "s" : ""} (profile ${profile.name}, ` +
        `${profile.source}). If the target implements them, run with --profile full, or have it serve ` +
        "/.well-known/setchat.json declaring its surfaces.",
    );
  }
  if (!profile.levels.includes("reference")) {
    notes.push("Not checked: the reference's own choices (--profile reference holds them too).");
  }
  return notes;
}
