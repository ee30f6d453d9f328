/**
 * Explore mode: random action sequences against the target's widget and
 * agent surfaces, every answer held against the identity model; a failure
 * is shrunk to a few steps and written as a fixture that joins `fixtures/`.
 */
import { join } from "node:path";
import type { FixtureFile } from "../fixture_schema.ts";
import { loadFixtures } from "../fixtures.ts";
import { namedProfile } from "../levels.ts";
import { Redactor } from "../redact.ts";
import { runSuite, type Send } from "../runner.ts";
import type { Target } from "../target.ts";
import { type Disagreement, drive, type DriveOptions, Explorer, type ExploreStep } from "./driver.ts";
import { shrink } from "./shrink.ts";
import { type Action, type ActionBody, describeAction, nextAction, Random, type World, worldOf } from "./world.ts";

/** Options of {@linkcode explore}. */
export interface ExploreOptions {
  target: Target;
  seed: number;
  /** Sequences to try; default 200. */
  runs?: number;
  /** Actions per sequence; default 30. */
  steps?: number;
  /** Where the fixture of a failure goes; nothing is written when unset. */
  out?: string | undefined;
  /** Every observation after every step (slower), not only those whose expected answer changed. */
  sweep?: boolean;
  /** Live output; default none. */
  print?: (line: string) => void;
  /** Sequences run at once; default 4. */
  concurrency?: number;
  /** Candidates the shrinker may try; default 400. */
  maxShrinkTries?: number;
  /** How long one answer may take; default 10 s. */
  timeoutMs?: number;
}

/** A failure, shrunk. */
export interface ExploreFailure {
  seed: number;
  /** The run (0-based) that failed. */
  run: number;
  /** The disagreement as first seen, and after shrinking. */
  first: Disagreement;
  disagreement: Disagreement;
  /** The failing sequence, and the shrunk one. */
  sequence: Action[];
  shrunk: Action[];
  shrinkTries: number;
  fixture: FixtureFile;
  /** Where the fixture was written. */
  fixturePath?: string | undefined;
}

/** What an exploration gave. */
export interface ExploreResult {
  runs: number;
  actions: number;
  requests: number;
  durationMs: number;
  failure?: ExploreFailure | undefined;
}

/** Why explore mode cannot run against a target, or `undefined` when it can. */
export function cannotExplore(world: World): string | undefined {
  if (!world.tenants.length || !world.sites.length) {
    return "explore mode needs a tenant id, its admin token and a site API key";
  }
  if (!world.tenants.some((t) => t.server)) return "explore mode needs a server token to mint visitor tokens";
  return undefined;
}

/** How to reach the target: its in-process handler when there is one (no socket), else HTTP. */
export function sendOf(target: Target): Send {
  const handler = target.handler;
  return handler ? (request) => handler(request) : (request) => fetch(request);
}

function runSeed(seed: number, run: number): number {
  return (Math.imul(seed, 0x9e3779b1) + run * 0x85ebca6b) >>> 0;
}

/** A unique part for one sequence: runs never see each other's users or devices. */
function freshUnique(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 10);
}

/** Simpler versions of one action: plainer values, the same actors. */
export function simplerAction(a: Action): Action[] {
  const out: Action[] = [];
  if (a.do === "open") {
    if (a.meta) out.push({ ...a, meta: false });
    if (a.browser) out.push({ ...a, browser: false });
    if (a.w !== 0) out.push({ ...a, w: 0 });
    if (a.mode !== "anonymous") out.push({ ...a, mode: "anonymous" });
    if (a.u > 1) out.push({ ...a, u: 0 }, { ...a, u: 1 });
    if (a.u === 1) out.push({ ...a, u: 0 });
  }
  if (a.do === "converse") {
    if (a.kind !== "chat") out.push({ ...a, kind: "chat" });
    if (!a.text) out.push({ ...a, text: true });
  }
  return out;
}

/** Simpler sequences: no workspaces; devices, tabs and sites renumbered from 0; one merged into a lower one. */
export function mergedActors(actions: Action[]): Action[][] {
  const out: Action[][] = [];
  if (actions.some((a) => a.do === "open" && a.w !== 0)) {
    out.push(actions.map((a) => (a.do === "open" ? { ...a, w: 0 } : a)));
  }
  for (const field of ["d", "t", "s"] as const) {
    const value = (a: Action) => (a as Record<string, unknown>)[field] as number | undefined;
    const used = [...new Set(actions.map(value).filter((v) => v !== undefined))].map(Number).sort();
    const remap = (to: (v: number) => number) =>
      actions.map((a) => (value(a) === undefined ? a : { ...a, [field]: to(value(a)!) }));
    if (used.some((v, i) => v !== i)) out.push(remap((v) => used.indexOf(v)));
    for (const from of used.filter((v) => v > 0)) {
      for (const to of used.filter((v) => v < from)) out.push(remap((v) => (v === from ? to : v)));
    }
  }
  return out;
}

const KIND_TAGS: Record<string, string> = {
  "VIS-VERIFIED": "visibility",
  "VIS-DEVICE": "visibility",
  "VIS-SEPARATE": "visibility",
  "VIS-NO-MERGE": "visibility",
  "VIS-404": "visibility",
  "WS-SCOPE": "workspaces",
  "VIS-SITE": "isolation",
  "AGENT": "agent",
  "TOKEN-SUBJECT": "isolation",
  "LOGOUT": "logout",
  "CUSTOM-DATA": "custom-data",
};

/** The fixture file of a shrunk failure: its actions, then the observation that failed. */
export function fixtureOf(
  f: { seed: number; run: number; disagreement: Disagreement; steps: ExploreStep[]; shrunk: Action[] },
  world: World,
): FixtureFile {
  const d = f.disagreement;
  const id = `explore-seed-${f.seed}-run-${f.run + 1}-${d.clause.toLowerCase()}-${d.rule}`;
  return {
    $schema: "./fixture.schema.json",
    suite: `Explore: seed ${f.seed}, run ${f.run + 1}`,
    description:
      `Found by explore mode (deno task conformance --explore --seed ${f.seed}), shrunk to ${f.shrunk.length} actions: ${
        f.shrunk.map((a) => describeAction(a, world)).join("; ")
      }. Then: ${d.message}`,
    cases: [{
      id,
      title:
        `A ${d.rule} observation breaks ${d.clause} after ${f.shrunk.length} actions (explore seed ${f.seed}, run ${
          f.run + 1
        })`,
      clause: d.clause,
      tags: ["explore", KIND_TAGS[d.clause] ?? "identity"],
      level: "must",
      needs: [],
      destructive: false,
      steps: [...f.steps, ...d.observation],
    }],
  };
}

/** A printable sequence, one numbered action a line. */
export function printable(actions: Action[], world: World): string {
  return actions.map((a, i) => `  ${String(i + 1).padStart(2)}. ${describeAction(a, world)}`).join("\n");
}

/** Runs the exploration; stops at the first disagreement, which it shrinks. */
export async function explore(options: ExploreOptions): Promise<ExploreResult> {
  const { target, seed } = options;
  const runs = options.runs ?? 200;
  const steps = options.steps ?? 30;
  const print = options.print ?? (() => {});
  const world = worldOf(target.vars);
  const send = sendOf(target);
  const base = {
    world,
    send,
    apiUrl: target.apiUrl,
    nodes: target.nodes,
    vars: target.vars,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  const started = performance.now();
  let requests = 0;
  let actions = 0;
  const one = async (run: number) => {
    const random = new Random(runSeed(seed, run));
    const explorer = new Explorer({ ...base, unique: freshUnique(), sweep: options.sweep ?? false });
    const sequence: Action[] = [];
    let disagreement: Disagreement | undefined;
    for (let i = 0; i < steps && !disagreement && !stop(run); i++) {
      const body: ActionBody = nextAction(world, random, explorer.situation());
      const action = { ...body, id: i } as Action;
      sequence.push(action);
      actions++;
      disagreement = (await explorer.apply(action, i)).disagreement;
    }
    requests += explorer.requests;
    if (disagreement && (!found || run < found.run)) found = { run, sequence, disagreement };
  };
  // Runs are independent (each has its own generator and unique ids), so a few go at once; the
  // failure kept is the first by run number, whatever the timing.
  let found: { run: number; sequence: Action[]; disagreement: Disagreement } | undefined;
  const stop = (run: number) => found !== undefined && found.run < run;
  let next = 0;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  await Promise.all(Array.from({ length: Math.min(concurrency, runs) }, async () => {
    while (next < runs && !stop(next)) await one(next++);
  }));
  const failed = found as { run: number; sequence: Action[]; disagreement: Disagreement } | undefined;
  if (failed) {
    const { run, sequence, disagreement } = failed;
    print(
      `Run ${
        run + 1
      } (seed ${seed}) disagrees with the model after ${sequence.length} actions: ${disagreement.message}`,
    );
    print("Shrinking...");
    const failure = await shrinkFailure({ ...options, runs, steps, print }, base, {
      run,
      sequence: sequence.slice(0, disagreement.step + 1),
      first: disagreement,
    });
    return { runs: run + 1, actions, requests, durationMs: Math.round(performance.now() - started), failure };
  }
  return { runs, actions, requests, durationMs: Math.round(performance.now() - started) };
}

async function shrinkFailure(
  options: ExploreOptions & { print: (line: string) => void },
  base: Omit<DriveOptions, "unique">,
  found: { run: number; sequence: Action[]; first: Disagreement },
): Promise<ExploreFailure> {
  const same = (d: Disagreement | undefined) => d?.rule === found.first.rule && d.clause === found.first.clause;
  const replay = (actions: Action[]) => drive(actions, { ...base, unique: freshUnique() });
  // Shrink only if the failure comes back when the sequence is replayed with every observation.
  let sequence = found.sequence;
  let shrinkTries = 0;
  if (!same((await replay(sequence)).disagreement)) {
    options.print("The failure did not come back on replay: keeping the sequence as it ran.");
  } else {
    const shrunk = await shrink(sequence, {
      fails: async (candidate) => same((await replay(candidate)).disagreement),
      simplify: simplerAction,
      simplifyAll: mergedActors,
      maxTries: options.maxShrinkTries ?? 400,
    });
    sequence = shrunk.items;
    shrinkTries = shrunk.tries;
    options.print(`Shrunk from ${found.sequence.length} to ${sequence.length} actions in ${shrunk.tries} replays.`);
  }
  let last = await replay(sequence);
  // Actions that did nothing (their actors were gone) leave the sequence.
  const kept = sequence.filter((_, i) => last.ran[i] !== false).slice(0, (last.disagreement?.step ?? Infinity) + 1);
  if (kept.length < sequence.length) {
    const again = await replay(kept);
    if (same(again.disagreement)) {
      sequence = kept;
      last = again;
    }
  }
  const seen = last.disagreement ?? found.first;
  // The message quotes answers: the target's credentials never reach the fixture file, should one come back.
  const redactor = new Redactor().addSettings(base.vars);
  const disagreement = { ...seen, message: redactor.apply(seen.message) };
  const fixture = fixtureOf({
    seed: options.seed,
    run: found.run,
    disagreement,
    steps: last.steps,
    shrunk: sequence,
  }, base.world);
  const failure: ExploreFailure = {
    seed: options.seed,
    run: found.run,
    first: found.first,
    disagreement,
    sequence: found.sequence,
    shrunk: sequence,
    shrinkTries,
    fixture,
  };
  options.print(`Shrunk sequence (seed ${options.seed}, run ${found.run + 1}, clause ${disagreement.clause}):`);
  options.print(printable(sequence, base.world));
  options.print(`Then: ${disagreement.message}`);
  if (options.out) {
    const dir = join(options.out, "explore");
    await Deno.mkdir(dir, { recursive: true });
    const path = join(dir, `${fixture.cases[0]!.id}.json`);
    await Deno.writeTextFile(path, JSON.stringify(fixture, null, 2) + "\n");
    failure.fixturePath = path;
    options.print(`Wrote ${path}: copy it into fixtures/ to keep the case.`);
  }
  return failure;
}

/** Runs a fixture file's cases against a target, as a normal run would: `true` when every case passed. */
export async function fixturePasses(fixture: FixtureFile, target: Target): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "explore-" });
  try {
    await Deno.writeTextFile(join(dir, "case.json"), JSON.stringify(fixture));
    const cases = await loadFixtures(dir);
    const run = await runSuite({
      target,
      cases,
      profile: namedProfile("full", "explore"),
      concurrency: 1,
    });
    return run.results.every((r) => r.status === "passed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
