/**
 * Runs conformance cases against a target. Cases are independent (each uses
 * its own users and devices), so they run several at a time; destructive
 * cases run after all others, one by one, and only when allowed.
 *
 * Every check has a level. A step stops its case only on a `must` failure,
 * or when it needs a value no earlier step could get: `should` and
 * `reference` failures are recorded and the case goes on, so that its `must`
 * checks are always reached.
 */
import * as jose from "jose";
import { check, checkAssertion, type ExpectContext, headMatchesGet, type Outcome, type Received } from "./expect.ts";
import type { CaptureSpec, Checks, HttpStep, Need, Step } from "./fixture_schema.ts";
import { type LoadedCase, stepLevel } from "./fixtures.ts";
import { reproduction } from "./curl.ts";
import { sendRaw } from "./raw_http.ts";
import { LIMITS } from "../src/contract/common.ts";
import { type Level, LEVELS, namedProfile, outsideProfile, type Profile, type Surface } from "./levels.ts";
import { bounded, isCredentialField, redactCase, Redactor, shellName } from "./redact.ts";
import { isBearerToken, RotationLog, tokenOperation } from "./recovery.ts";
import { MissingVariable, render, renderString, select, type Vars } from "./template.ts";
import { fetchJwks, fetchOpenApi, type Target, type TargetClock, targetClock } from "./target.ts";
import { type ClockAnswer, type ClockChange, clockMismatch } from "./clock_check.ts";
import { ENV_NAMES, TARGET_VARIABLES, type TargetVariable } from "./variables.ts";
import { TOKEN_TRANSFORMS } from "./token_transforms.ts";
import type { Discovery } from "../src/contract/meta.ts";
import { DISCOVERED_VARIABLES, discoveredValues, type DiscoveredVariable, undeclared } from "./discovered.ts";
import { discover } from "./preflight.ts";
import { findRotatedToken, foundCheck, type FoundToken, type NoToken } from "./rotated_token.ts";
import { forServersOnly } from "./endpoints.ts";
import { VERSIONS } from "./version.ts";
import { type OpenApiDocument, referenceChecks } from "./reference_checks.ts";

/** How a case ended. */
export type CaseStatus =
  | "passed"
  | "failed"
  | "warning"
  | "deviation"
  | "skipped"
  | "not-in-profile"
  | "expected-failure"
  | "unexpected-pass";

/** Every status, in the order reports count them. */
export const CASE_STATUSES: readonly CaseStatus[] = [
  "passed",
  "failed",
  "warning",
  "deviation",
  "skipped",
  "not-in-profile",
  "expected-failure",
  "unexpected-pass",
];

/** One check as the report shows it: redacted, with its level. */
export interface CheckResult {
  level: Level;
  check: string;
  /** `null`: could not be made against this target (not applicable). */
  ok: boolean | null;
  detail?: string;
}

/** One step as the report shows it: redacted. */
export interface StepResult {
  name: string;
  level: Level;
  ok: boolean;
  /** The failed checks, as lines (`[must] status: expected 401, got 200`). */
  problems: string[];
  checks?: CheckResult[];
  /** Why the step did not run (outside the profile, a condition). */
  notRun?: string;
  request?: { method: string; path: string };
  response?: { status: number; body: string };
  /** The node the request went to, when the target has several (a parallel step's first answer). */
  node?: string;
  durationMs: number;
}

/** Counts of checks at one level. */
export interface CheckCounts {
  passed: number;
  failed: number;
  notApplicable: number;
}

/** One case's result. */
export interface CaseResult {
  id: string;
  title: string;
  clause: string;
  tags: string[];
  file: string;
  suite: string;
  level: Level;
  surfaces: Surface[];
  status: CaseStatus;
  /** Why it was skipped, why it failed or warned, or why its failure was expected. */
  reason?: string;
  durationMs: number;
  steps: StepResult[];
  /** Shell commands reproducing a failure or a warning, secrets as variables. */
  curl?: string;
  /** Files showing a browser scenario's failure (screenshots, Playwright traces, consoles), relative to the reports. */
  evidence?: { label: string; path: string }[];
  /** How many of its requests were sent again after a network error (`--retries`): its verdict is read knowing it. */
  retried?: number;
}

/** A whole run. */
export interface RunResult {
  target: string;
  /** The nodes the requests alternated between, when there were several. */
  nodes?: string[];
  /** The part of the selected cases this run ran (`--shard`). */
  shard?: { index: number; count: number };
  /** The suite that made the report, and the contract version it held the target to. */
  versions?: { suite: string; contract: string };
  /** What was selected before any shard: the suite's version, how many cases, and a fingerprint of their ids. */
  selection?: { suiteVersion: string; cases: number; fingerprint: string };
  startedAt: string;
  durationMs: number;
  profile: Profile;
  /** `should` failures (and `reference` ones in the reference profile) fail the run too. */
  strict: boolean;
  /** `--no-skips`: a case skipped for want of a credential or key fails the run too. */
  noSkips?: boolean;
  results: CaseResult[];
  counts: Record<CaseStatus, number>;
  /** Checks made, by level. */
  checks: Record<Level, CheckCounts>;
  /** Things the person running it must know, e.g. how to recover after destructive cases. */
  notes: string[];
}

/**
 * Cases a run keeps in flight by default. Chosen by `deno task bench` against a
 * target a round trip of 50 ms away: with the listings walked first, 16 cases
 * at once finish about a fifth sooner than 8 (4 take longer still), and 32
 * gain a few percent more while asking twice as much of the target at once.
 * What remains is the cases that run alone, one after another.
 */
export const DEFAULT_CONCURRENCY = 16;

/** Options of {@linkcode runSuite}. */
export interface RunOptions {
  target: Target;
  cases: LoadedCase[];
  /** Which cases and levels to hold against the target; default the reference profile. */
  profile?: Profile;
  strict?: boolean;
  /** Run cases that can change the target tenant's credentials. */
  allowDestructive?: boolean;
  /** Cases at once; default {@linkcode DEFAULT_CONCURRENCY}. */
  concurrency?: number;
  timeoutMs?: number;
  /** Times a request that met a network error (no answer at all) is sent again; default 0. */
  retries?: number;
  /** Ends the run early (the whole-run timeout): no case starts after it, and requests under way are cut. */
  signal?: AbortSignal;
  /** Ids of cases known to fail on this target, with why. */
  expectedFailures?: ReadonlyMap<string, string>;
  /** Called as each case ends (live progress). */
  onResult?: (result: CaseResult) => void;
  /** Where to write every server token a rotation returns (mode 0600). */
  recoveryFile?: string;
  /** Learns every secret the run meets (credentials, rotated tokens), to mask reports with. */
  redactor?: Redactor;
  /** The target's discovery document (`null`: it serves none); fetched from the target when not given. */
  discovery?: Discovery | null;
}

/** The needs of a case: declared, and implied by its steps. */
export function needsOf(c: LoadedCase): Need[] {
  const needs = new Set<Need>(c.needs);
  const text = JSON.stringify(c.steps);
  for (const name of TARGET_VARIABLES) if (text.includes(`{{${name}}}`)) needs.add(name);
  for (const step of c.steps) {
    if ("transform" in step) { for (const n of TOKEN_TRANSFORMS[step.transform].needs) needs.add(n); }
    if ("clock" in step) needs.add("clock");
  }
  // A step that runs only `if` the target declares the value needs nothing: it is left out without it.
  for (const name of DISCOVERED_VARIABLES) {
    if (c.steps.some((step) => step.if !== name && JSON.stringify(step).includes(`{{${name}}}`))) needs.add(name);
  }
  if (needs.has("foreignTokenListing")) needs.add("foreignTenantId");
  return [...needs];
}

/**
 * Whether a case may move the target's clock (a clock step, or a wait the
 * clock may stand in for): it runs alone, and the clock goes back to real
 * time after it.
 */
export function movesClock(c: Pick<LoadedCase, "steps">): boolean {
  return c.steps.some((s) => "clock" in s || ("waitMs" in s && s.advanceSeconds !== undefined));
}

/**
 * Whether a case stalls a body: on a target with a test clock the run moves
 * the clock past the bound of reading a body instead of waiting it out, so the
 * case runs alone there; elsewhere it waits among the others.
 */
export function stallsBody(c: Pick<LoadedCase, "steps">): boolean {
  return c.steps.some((s) => "request" in s && s.request.stallAfter !== undefined);
}

/** Whether an expectation lets a request succeed: a 2xx among its statuses, or no status at all. */
function admitsSuccess(expect: HttpStep["expect"]): boolean {
  const levels = [expect, expect?.should, expect?.reference];
  if (levels.some((e) => Object.keys(e?.statusCounts ?? {}).some((k) => k.startsWith("2")))) return true;
  const statuses = levels.flatMap((e) => (e?.status === undefined ? [] : [e.status].flat()));
  return statuses.length === 0 || statuses.some((st) => String(st).startsWith("2"));
}

/**
 * Whether a case changes credentials other cases use: it sends a rotation or
 * a revocation it expects to succeed. A destructive case that expects each of
 * its token operations to be refused changes nothing on a correct target (on
 * one that accepts such an operation, that case fails and names it).
 */
export function changesCredentials(c: Pick<LoadedCase, "steps" | "destructive">): boolean {
  if (c.destructive !== true) return false;
  // One that hands a new server token to the run changes what the others use.
  if (c.steps.some((s) => JSON.stringify(s).includes(`"serverToken":`))) return true;
  return c.steps.some((s) => "request" in s && tokenOperation(s.request.path) !== undefined && admitsSuccess(s.expect));
}

/**
 * Whether a case runs alone, after the others: it moves the target's clock
 * (`clocked`: the target has one the run moves past a stalled body), or
 * changes the credentials the others use. Every other case runs with the others.
 */
export function runsAlone(c: Pick<LoadedCase, "steps" | "destructive">, clocked = false): boolean {
  return movesClock(c) || changesCredentials(c) || (clocked && stallsBody(c));
}

/** Whether a case walks a listing page by page: its requests run in a row, as many as the listing has pages. */
export function walksPages(c: Pick<LoadedCase, "steps">): boolean {
  return c.steps.some((s) => "request" in s && s.paginate !== undefined);
}

interface Shared {
  target: Target;
  profile: Profile;
  timeoutMs: number;
  retries: number;
  signal?: AbortSignal | undefined;
  jwks: () => Promise<jose.JSONWebKeySet | null>;
  discovery: () => Promise<Discovery | null>;
  /** The target's `/openapi.json`, or `null` when it serves none. */
  openapi: () => Promise<OpenApiDocument | null>;
  /** The target's test clock, or `null` when it has none the run can move. */
  clock: () => Promise<TargetClock | null>;
  secrets: Redactor;
  rotations: RotationLog;
}

/**
 * Which node the `k`-th request of case `id` goes to: consecutive requests
 * of a case alternate between the nodes, from a node that depends on the
 * case's id only, so that a case meets the same nodes in every run, shard
 * and selection.
 */
export function nodeIndex(id: string, k: number, nodes: number): number {
  let hash = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return (hash + k) % nodes;
}

/** How a request reaches a node: `fetch`, or an in-process server's handler. */
export type Send = (request: Request) => Promise<Response>;

const encoder = new TextEncoder();

/** `body` with trailing spaces up to `bytes` bytes of UTF-8; never cut. */
export function padded(body: string, bytes: number): string {
  const size = encoder.encode(body).byteLength;
  if (size > bytes) throw new Error(`Cannot pad the body to ${bytes} bytes: it already has ${size}`);
  return body + " ".repeat(bytes - size);
}

/**
 * A body sent in pieces of at most 1 KiB, each written on its own a millisecond
 * after the last, as a slow client would: no `Content-Length` goes with it.
 */
function inPieces(body: string): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(body);
  let at = 0;
  return new ReadableStream({
    async pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      if (at > 0) await new Promise((r) => setTimeout(r, 1));
      controller.enqueue(bytes.slice(at, at += 1024));
    },
  });
}

/**
 * Follows a listing's cursor to its end. Answers the last page with the list
 * at `items` holding every page's items in order, and `pages` counting them;
 * stops at the first answer that is no success, or after `maxPages`.
 */
export async function walkPages(
  request: HttpStep["request"],
  paginate: NonNullable<HttpStep["paginate"]>,
  send: (request: HttpStep["request"]) => Promise<Received>,
): Promise<Received> {
  const items: unknown[] = [];
  let path = request.path;
  for (let pages = 1;; pages++) {
    const r = await send({ ...request, path });
    if (r.status < 200 || r.status >= 300 || r.json === null || typeof r.json !== "object") return r;
    const page = select(r.json, paginate.items);
    if (Array.isArray(page)) items.push(...page);
    const next = select(r.json, paginate.next);
    const json = { ...(r.json as Record<string, unknown>), [paginate.items]: items, pages };
    if (next === null || next === undefined) return { ...r, json, text: JSON.stringify(json) };
    if (pages >= paginate.maxPages) {
      return { ...r, status: 0, json, text: `the listing still had a next page after ${pages} pages` };
    }
    const url = new URL(request.path, "http://x");
    url.searchParams.set(paginate.param, String(next));
    path = url.pathname + url.search;
  }
}

/** How {@linkcode sendRequest} sends. */
export interface SendOptions {
  timeoutMs: number;
  send?: Send | undefined;
  /** Times to send again after a network error (the request got no answer at all); default 0. */
  retries?: number;
  /** Called before each new attempt. */
  onRetry?: (error: Error) => void;
  signal?: AbortSignal | undefined;
  /** Runs once a `stallAfter` body has stalled, until its answer comes (see {@linkcode RawRequest}). */
  whileStalled?: ((answered: Promise<unknown>) => Promise<void>) | undefined;
}

/**
 * Sends one rendered fixture request to a node and reads its answer; a
 * network error is retried as `options.retries` allows, never a timeout nor
 * any answer, which are the target's verdict.
 */
export async function sendRequest(
  request: HttpStep["request"],
  node: string,
  options: SendOptions,
): Promise<Received> {
  for (let attempt = 0;; attempt++) {
    try {
      return await sendOnce(request, node, options);
    } catch (error) {
      if (!(error instanceof TypeError) || attempt >= (options.retries ?? 0) || options.signal?.aborted) throw error;
      options.onRetry?.(error);
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

async function sendOnce(request: HttpStep["request"], node: string, options: SendOptions): Promise<Received> {
  const headers = new Headers(request.headers);
  if (request.auth !== undefined) headers.set("authorization", `Bearer ${request.auth}`);
  let body: string | undefined;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  } else if (request.body !== undefined) {
    body = request.body;
  }
  if (body !== undefined && request.padTo !== undefined) body = padded(body, request.padTo);
  if (request.noContentType) headers.delete("content-type");
  const sentAt = Date.now();
  const bytes = request.bodyBase64 !== undefined
    ? Uint8Array.from(atob(request.bodyBase64), (c) => c.charCodeAt(0))
    : undefined;
  if (request.stallAfter !== undefined || request.brokenChunks || request.lengthTwice) {
    const answer = await sendRaw({
      method: request.method,
      origin: node,
      path: request.path,
      headers,
      body: bytes ?? encoder.encode(body ?? ""),
      stallAfter: request.stallAfter ?? (request.lengthTwice ? Number.MAX_SAFE_INTEGER : 0),
      brokenChunks: request.brokenChunks,
      lengthTwice: request.lengthTwice,
      // A stalled body is answered once the server stops waiting for it (the contract's limit of reading a body).
      timeoutMs: options.timeoutMs + LIMITS.bodyReadMs,
      whileStalled: request.stallAfter === undefined ? undefined : options.whileStalled,
    });
    return { ...answer, json: parsedJson(answer.text), sentAt, receivedAt: Date.now() };
  }
  const res = await (options.send ?? fetch)(
    new Request(node + request.path, {
      method: request.method,
      headers,
      body: bytes !== undefined
        ? bytes
        : body === undefined
        ? null
        : request.chunked
        ? inPieces(body)
        : request.noContentType
        ? encoder.encode(body)
        : body,
      signal: options.signal
        ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal])
        : AbortSignal.timeout(options.timeoutMs),
      redirect: "manual",
    }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: parsedJson(text), sentAt, receivedAt: Date.now() };
}

/** A body's JSON, or `undefined` when it is none. */
function parsedJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** What a result says of its case, whatever happened. */
export function describe(
  c: Pick<CaseResult, "id" | "title" | "clause" | "tags" | "file" | "suite" | "level" | "surfaces">,
) {
  return {
    id: c.id,
    title: c.title,
    clause: c.clause,
    tags: c.tags,
    file: c.file,
    suite: c.suite,
    level: c.level,
    surfaces: c.surfaces,
  };
}

/** Whether an answer succeeded (any 2xx). */
function succeeded(r: Received): boolean {
  return r.status >= 200 && r.status < 300;
}

function notRun(c: LoadedCase, status: "skipped" | "not-in-profile", reason: string): CaseResult {
  return { ...describe(c), status, reason, durationMs: 0, steps: [] };
}

/**
 * The credentials no answer may contain: the bearer token the request
 * carried, and every credential of the run (given to it, or returned by an
 * earlier rotation). A rotation's answer shows its new token, which is not
 * known yet when this is asked.
 */
function forbidden(request: HttpStep["request"], secrets: Redactor): string[] {
  const out = new Set<string>();
  const auth = request.auth ?? Object.entries(request.headers ?? {}).find(([k]) => k.toLowerCase() === "authorization")
    ?.[1]?.replace(/^\S+\s+/, "");
  if (auth && auth.length >= 8) out.add(auth);
  for (const [value] of secrets.entries()) out.add(value);
  return [...out];
}

/** The site a tenant's server tokens can be tried on: the run's site of that tenant. */
function siteOf(target: Target, tenantId: string): string | undefined {
  const { tenantId: ours, siteApiKey, foreignTenantId, foreignSiteApiKey } = target.vars;
  return tenantId === ours ? siteApiKey : tenantId === foreignTenantId ? foreignSiteApiKey : undefined;
}

/** Whether `token` mints a visitor token for `site`: it is a working server token. */
async function mints(apiUrl: string, token: string, site: string, shared: Shared): Promise<boolean> {
  try {
    const r = await sendRequest(
      {
        method: "POST",
        path: "/api/widget/visitor-token",
        auth: token,
        json: { siteApiKey: site, externalUserId: `conformance-rotation-${crypto.randomUUID()}` },
      },
      apiUrl,
      shared,
    );
    return succeeded(r) && typeof select(r.json, "token") === "string";
  } catch {
    return false;
  }
}

/** Checks every answer gets, whatever its step says: no 5xx, no credential echoed, no CORS for servers' paths. */
function universalChecks(
  received: Received,
  sent: string[],
  serversOnly = false,
): (Outcome & { level?: Level })[] {
  const out: (Outcome & { level?: Level })[] = [
    received.status < 500
      ? { check: "no 5xx", ok: true }
      : { check: "no 5xx", ok: false, detail: `the answer is ${received.status}: no input may cause a 5xx` },
  ];
  const headerText = [...received.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  const echoed = sent.filter((s) => {
    const escaped = JSON.stringify(s).slice(1, -1);
    return received.text.includes(s) || received.text.includes(escaped) || headerText.includes(s);
  });
  out.push(
    echoed.length === 0 ? { check: "no credential shown", ok: true } : {
      check: "no credential shown",
      ok: false,
      detail: `the answer contains a credential (${echoed.join(", ")}): no answer may show one`,
    },
  );
  if (serversOnly) {
    const cors = received.headers.get("access-control-allow-origin");
    out.push(
      cors === null ? { check: "no CORS", ok: true, level: "should" } : {
        check: "no CORS",
        ok: false,
        level: "should",
        detail: `Access-Control-Allow-Origin: ${cors}: an endpoint taking a server's secret lets browsers read it`,
      },
    );
  }
  return out;
}

/** The value a capture takes from the answers of a step: the first successful one's, or all of them. */
export function capturedValue(received: Received[], spec: CaptureSpec): unknown {
  // The rotated token is found by the runner, from the whole answer (noteRotations).
  if (typeof spec !== "string" && "rotatedToken" in spec) return undefined;
  const { path, claim, all } = typeof spec === "string" ? { path: spec, claim: undefined, all: undefined } : spec;
  const pick = (r: Received) => {
    const value = select(r.json, path);
    if (claim === undefined) return value;
    if (typeof value !== "string") return undefined;
    try {
      return jose.decodeJwt(value)[claim];
    } catch {
      return undefined;
    }
  };
  const ok = received.filter(succeeded);
  if (all) return ok.map(pick);
  return pick(ok[0] ?? received[0]!);
}

/** The checks of an expectation, each with its level, for the levels the profile holds. */
function byLevel(expect: HttpStep["expect"], level: Level, profile: Profile): [Level, Checks][] {
  if (!expect) return [];
  const { should, reference, ...own } = expect;
  const blocks: [Level, Checks | undefined][] = [[level, own], ["should", should], ["reference", reference]];
  return blocks.filter((b): b is [Level, Checks] => b[1] !== undefined && profile.levels.includes(b[0]));
}

class StopCase extends Error {
  override name = "StopCase";
}

/** A transform left its input as it was (a case swap of a token without letters). */
class Unchanged extends Error {
  override name = "Unchanged";
  constructor(readonly transform: string) {
    super(`the ${transform} transform leaves this target's value unchanged, so there is nothing to try`);
  }
}

/** What a case leaves for its report besides its raw result: the secrets it met, and how to reproduce it. */
interface CaseExtras {
  redactor?: Redactor;
  reproduce?: () => string;
}

/**
 * Runs one case. Its result holds the target's answers as they came: the run
 * redacts them once, with every secret it met, before anything shows them.
 */
async function runCase(
  c: LoadedCase,
  shared: Shared,
  allowDestructive: boolean,
  vars: Vars = {},
  extras: CaseExtras = {},
): Promise<CaseResult> {
  const outside = outsideProfile(c, shared.profile);
  if (outside) return notRun(c, "not-in-profile", outside);
  const { target } = shared;
  const discovered = discoveredValues(await shared.discovery(), { apiUrl: target.apiUrl, vars: target.vars });
  const skipped = await whyNotRun(c, shared, discovered, allowDestructive);
  if (skipped) return notRun(c, "skipped", skipped);
  const run = new CaseRun(c, shared, discovered, vars, extras);
  const unchanged = await run.runSteps();
  if (unchanged) return { ...notRun(c, "skipped", `not applicable: ${unchanged.message}`), steps: run.steps };
  return run.result();
}

/** Why a case cannot run against this target (a setting, a key, a clock it lacks), or nothing when it can. */
async function whyNotRun(
  c: LoadedCase,
  shared: Shared,
  discovered: ReturnType<typeof discoveredValues>,
  allowDestructive: boolean,
): Promise<string | undefined> {
  const needs = needsOf(c);
  for (const need of needs) {
    if (need in ENV_NAMES && !shared.target.vars[need as TargetVariable]) {
      return `needs ${ENV_NAMES[need as TargetVariable]}`;
    }
  }
  for (const need of needs) {
    if ((DISCOVERED_VARIABLES as readonly string[]).includes(need)) {
      if (discovered[need as DiscoveredVariable] === undefined) return undeclared(need as DiscoveredVariable);
    }
    if (need === "signingKey" && !shared.target.signingKey) {
      return "not applicable: needs the target's private signing key (--signing-key) to sign a token with one fault";
    }
    if (need === "jwks" && !(await shared.jwks())) return "not applicable: the target publishes no JWKS";
    if (need === "clock" && !(await shared.clock())) {
      return "not applicable: the target's clock cannot be moved (it declares no testClock in " +
        "/.well-known/setchat.json, or no SETCHAT_ADMIN_TOKEN was given; the reference has one with --test-clock)";
    }
  }
  if (c.destructive && !allowDestructive) {
    return "destructive (can change the tenant's server tokens): run with --allow-destructive";
  }
  return undefined;
}

/** A step of each kind, by the field that names its kind. */
type TransformStep = Extract<Step, { transform: unknown }>;
type SetStep = Extract<Step, { set: unknown }>;
type ClockStep = Extract<Step, { clock: unknown }>;
type WaitStep = Extract<Step, { waitMs: unknown }>;
type VerifyStep = Extract<Step, { verify: unknown }>;

/**
 * One case under way: its variables, the secrets it met, the steps it made
 * and where its requests went. Each kind of step has its executor; every
 * executor ends by recording the step's checks, and a failed `must` check
 * stops the case.
 */
class CaseRun {
  readonly steps: StepResult[] = [];
  readonly redactor: Redactor;
  readonly #ctx: ExpectContext;
  readonly #unique = crypto.randomUUID().slice(0, 8);
  readonly #started = performance.now();
  #lastStep = -1;
  /** Requests sent so far: the next one goes to the next node. */
  #sentCount = 0;
  readonly #stepNodes: number[] = [];
  /** The target's time as its clock shows it: real, until a step moves it. */
  #targetNow = () => Date.now();
  #clockMoved = false;
  /** The clock's last answer in this case: the next one is held against it. */
  #clockSeen: ClockAnswer | undefined;
  /** Requests sent again after a network error: the case says so in every report. */
  #retried = 0;
  readonly #sending: SendOptions;

  constructor(
    readonly c: LoadedCase,
    readonly shared: Shared,
    readonly discovered: ReturnType<typeof discoveredValues>,
    readonly vars: Vars,
    readonly extras: CaseExtras,
  ) {
    const { target } = shared;
    Object.assign(vars, { apiUrl: target.apiUrl, unique: this.#unique, ...target.vars, ...discovered });
    this.redactor = new Redactor(shared.secrets);
    extras.redactor = this.redactor;
    this.#ctx = { jwks: shared.jwks, values: (name) => vars[name] };
    this.#sending = {
      ...shared,
      onRetry: () => this.#retried++,
      whileStalled: (answered) => this.#pastBodyBound(answered),
    };
  }

  get #nodes(): string[] {
    return this.shared.target.nodes;
  }

  #nodeFor(k: number): string {
    return this.#nodes[nodeIndex(this.c.id, k, this.#nodes.length)]!;
  }

  /** Runs every step in order; a transform that changes nothing makes the case not applicable. */
  async runSteps(): Promise<Unchanged | undefined> {
    for (const [i, step] of this.c.steps.entries()) {
      const level = stepLevel(this.c, step);
      const stepStart = performance.now();
      if (!this.shared.profile.levels.includes(level)) {
        this.steps.push({ name: step.name, level, ok: true, problems: [], notRun: "not in profile", durationMs: 0 });
        continue;
      }
      const { vars } = this;
      if ((step.if && vars[step.if] === undefined) || (step.unless && vars[step.unless] !== undefined)) {
        const why = step.if ? `{{${step.if}}} is not set` : `{{${step.unless}}} is set`;
        this.steps.push({ name: step.name, level, ok: true, problems: [], notRun: why, durationMs: 0 });
        continue;
      }
      try {
        await this.#execute(i, step, level, stepStart);
      } catch (error) {
        if (error instanceof StopCase) break;
        if (error instanceof Unchanged) return error;
        try {
          this.#record(
            i,
            step,
            level,
            [{ level, check: "step", ok: false, detail: this.#problem(error) }],
            {},
            stepStart,
          );
        } catch (stop) {
          if (stop instanceof StopCase) break;
          throw stop;
        }
      }
    }
    // The next case starts on real time again, whatever happened in this one.
    if (this.#clockMoved) await this.#resetClock();
    return undefined;
  }

  /** The executor of the step's kind. */
  async #execute(i: number, step: Step, level: Level, stepStart: number): Promise<void> {
    if ("transform" in step) await this.#transform(step);
    else if ("set" in step) this.#set(step);
    else if ("clock" in step) await this.#clock(step);
    else if ("waitMs" in step) await this.#wait(step);
    else if ("verify" in step) return this.#verify(i, step, level, stepStart);
    else return await this.#http(i, step, level, stepStart);
    this.#record(i, step, level, [], {}, stepStart);
  }

  #problem(error: unknown): string {
    return error instanceof MissingVariable
      ? `needs {{${error.variable}}}, which no earlier step could capture`
      : error instanceof DOMException && error.name === "TimeoutError"
      ? `no answer within ${this.shared.timeoutMs} ms`
      : (error as Error).message;
  }

  #record(
    i: number,
    step: Step,
    level: Level,
    checks: CheckResult[],
    extra: Partial<StepResult> = {},
    stepStart = performance.now(),
  ): void {
    const problems = checks.filter((o) => o.ok === false).map((o) => `[${o.level}] ${o.check}: ${o.detail ?? ""}`);
    this.steps.push({
      name: step.name,
      level,
      ok: problems.length === 0,
      problems,
      checks,
      ...extra,
      durationMs: Math.round(performance.now() - stepStart),
    });
    this.#lastStep = i;
    if (checks.some((o) => o.ok === false && o.level === "must")) throw new StopCase();
  }

  /** A token attack, applied to a value of an earlier step. */
  async #transform(step: TransformStep): Promise<void> {
    const input = renderString(step.input, this.vars);
    if (typeof input !== "string") throw new Error(`${step.input} is not a token`);
    const out = await TOKEN_TRANSFORMS[step.transform].apply(input, {
      signingKey: this.shared.target.signingKey,
      jwks: (await this.shared.jwks()) ?? undefined,
      tenantClaim: this.discovered.tenantClaim,
      nowSeconds: Math.floor(this.#targetNow() / 1000),
      apiUrl: this.shared.target.apiUrl,
    });
    // An attack that changes nothing would send the genuine token: the case cannot be made against this target.
    if (out === input) throw new Unchanged(step.transform);
    this.vars[step.capture] = out;
    this.redactor.add(out, shellName(step.capture));
  }

  #set(step: SetStep): void {
    for (const [name, template] of Object.entries(step.set)) this.vars[name] = renderString(template, this.vars);
  }

  /** Moves the target's test clock; the case's notion of the target's time follows it. */
  async #clock(step: ClockStep): Promise<void> {
    const by = step.clock.advanceSeconds;
    const seconds = typeof by === "string" ? Number(renderString(by, this.vars)) : by;
    if (seconds !== undefined && !Number.isInteger(seconds)) throw new Error(`${by} is not a whole number of seconds`);
    await this.#moveClock((await this.shared.clock())!, { ...step.clock, advanceSeconds: seconds });
  }

  async #moveClock(clock: TargetClock, change: ClockChange): Promise<void> {
    this.#clockMoved = true;
    const sentAt = Date.now();
    const state = await clock.apply(change);
    const answer = { state, sentAt, receivedAt: Date.now() };
    const problem = clockMismatch(change, answer, this.#clockSeen);
    this.#clockSeen = answer;
    if (problem) {
      throw new Error(`The target's test clock did not move as asked (${JSON.stringify(change)}): ${problem}`);
    }
    this.#targetNow = () => state.frozen ? state.nowMs : state.nowMs + Date.now() - answer.receivedAt;
  }

  /** Sets the clock back to real time; a clock that does not go back fails the case that moved it. */
  async #resetClock(): Promise<void> {
    const started = performance.now();
    let problem: string | undefined;
    try {
      await this.#moveClock((await this.shared.clock())!, { reset: true });
    } catch (error) {
      problem = (error as Error).message;
    }
    if (problem === undefined) return;
    const level = this.steps.findLast((s) => s.notRun === undefined)?.level ?? "must";
    this.steps.push({
      name: "the clock back to real time",
      level,
      ok: false,
      problems: [`[${level}] clock: ${problem}`],
      checks: [{ level, check: "clock", ok: false, detail: problem }],
      durationMs: Math.round(performance.now() - started),
    });
  }

  /**
   * Where the target has a test clock, moves it past the contract's bound of
   * reading a body while a stalled body waits, instead of waiting the bound out.
   * The server may begin the read after the clock moved: the clock moves again
   * until the answer comes, soon at first (the read usually begins within a
   * few milliseconds), then every 100 ms.
   */
  async #pastBodyBound(answered: Promise<unknown>): Promise<void> {
    const clock = await this.shared.clock();
    if (!clock) return;
    let settled = false;
    answered.then(() => settled = true, () => settled = true);
    for (let pause = 5; !settled; pause = Math.min(100, pause * 2)) {
      await this.#moveClock(clock, { advanceSeconds: LIMITS.bodyReadMs / 1000 + 1 });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([answered.catch(() => {}), new Promise((r) => timer = setTimeout(r, pause))]);
      clearTimeout(timer);
    }
  }

  /** Lets time pass: where the clock can be moved, at once; elsewhere the run waits for it. */
  async #wait(step: WaitStep): Promise<void> {
    const clock = step.advanceSeconds === undefined ? null : await this.shared.clock();
    if (clock) await this.#moveClock(clock, { advanceSeconds: step.advanceSeconds });
    else await new Promise((r) => setTimeout(r, step.waitMs));
  }

  #verify(i: number, step: VerifyStep, level: Level, stepStart: number): void {
    const outcomes = step.verify.map((a) => checkAssertion(undefined, render(a, this.vars) as typeof a));
    this.#record(i, step, level, outcomes.map((o) => ({ level, ...o })), {}, stepStart);
  }

  /** Sends the step's request (copies of it at once, or page after page) and checks the answers. */
  async #http(i: number, step: HttpStep, level: Level, stepStart: number): Promise<void> {
    const request = render(step.request, this.vars) as HttpStep["request"];
    // A bearer the fixture writes out is public; one it takes from a variable is a secret, when shaped like one
    // (the run's own credentials are known already, whatever their shape).
    if (request.auth !== undefined && step.request.auth?.includes("{{")) {
      this.redactor.addReturned(request.auth, authVariable(step.request.auth));
    }
    // Copies of a parallel step go to successive nodes too: a race is run across nodes; so do a walk's pages.
    const first = this.#sentCount;
    const copies = step.parallel ?? 1;
    this.#stepNodes[i] = nodeIndex(this.c.id, first, this.#nodes.length);
    let received: Received[];
    if (step.paginate) {
      const send = (r: HttpStep["request"]) => sendRequest(r, this.#nodeFor(this.#sentCount++), this.#sending);
      received = [await walkPages(request, step.paginate, send)];
    } else {
      this.#sentCount += copies;
      received = await Promise.all(
        Array.from({ length: copies }, (_, j) => sendRequest(request, this.#nodeFor(first + j), this.#sending)),
      );
    }
    const outcomes = await this.#checks(step, level, request, received, first);
    const shown = received.find(succeeded) ?? received[0]!;
    const rotated = await this.#noteRotations(request, received, outcomes);
    this.#capture(step, level, received, shown, rotated, outcomes);
    this.#record(i, step, level, outcomes, {
      request: { method: request.method, path: request.path },
      // Reports show the first 2000 characters; a huge answer is not kept whole meanwhile.
      response: { status: shown.status, body: bounded(shown.text, 64 * 1024) },
      ...(this.#nodes.length > 1 ? { node: this.#nodeFor(first + received.indexOf(shown)) } : {}),
    }, stepStart);
  }

  /** The checks of a step's answers: those every answer must pass, the reference's, and the step's own. */
  async #checks(
    step: HttpStep,
    level: Level,
    request: HttpStep["request"],
    received: Received[],
    first: number,
  ): Promise<CheckResult[]> {
    const { profile } = this.shared;
    const outcomes: CheckResult[] = [];
    const sent = forbidden(request, this.shared.secrets);
    const many = received.length > 1;
    const serversOnly = forServersOnly(request.path);
    for (const [k, r] of received.entries()) {
      for (const o of universalChecks(r, sent, serversOnly)) {
        outcomes.push({ level: "must", ...o, ...(many && !o.ok ? { check: `${o.check} (answer ${k + 1})` } : {}) });
      }
    }
    if (profile.levels.includes("reference")) {
      const doc = await this.shared.openapi();
      for (const [k, r] of received.entries()) {
        for (const o of referenceChecks(request.method, request.path, r, doc)) {
          if (many && o.ok !== false && k > 0) continue;
          outcomes.push({
            level: "reference",
            ...o,
            ...(many && !o.ok ? { check: `${o.check} (answer ${k + 1})` } : {}),
          });
        }
      }
    }
    let getAnswer: Promise<Received> | undefined;
    for (const [lvl, checks] of byLevel(step.expect, level, profile)) {
      const rendered = render(checks, this.vars) as Checks;
      if (rendered.statusCounts) {
        const counts: Record<string, number> = {};
        for (const r of received) counts[r.status] = (counts[r.status] ?? 0) + 1;
        const want = JSON.stringify(Object.entries(rendered.statusCounts).sort());
        const got = JSON.stringify(Object.entries(counts).sort());
        outcomes.push({
          level: lvl,
          check: "statuses",
          ok: want === got,
          ...(want === got ? {} : { detail: `expected ${want}, got ${got}` }),
        });
      }
      const { statusCounts: _, sameAsGet, ...single } = rendered;
      if (sameAsGet) {
        const node = this.#nodeFor(first);
        getAnswer ??= sendRequest({ ...request, method: "GET" }, node, this.#sending);
        let outcome = headMatchesGet(received[0]!, await getAnswer);
        // A resource others change between the two requests (a listing, while other cases run) gets two more pairs:
        // a HEAD that truly answers otherwise than GET does so every time.
        for (let tries = 0; !outcome.ok && tries < 2; tries++) {
          const head = await sendRequest(request, node, this.#sending);
          outcome = headMatchesGet(head, await sendRequest({ ...request, method: "GET" }, node, this.#sending));
        }
        outcomes.push({ level: lvl, ...outcome });
      }
      for (const [k, r] of received.entries()) {
        for (const o of await check(r, single, this.#ctx)) {
          if (many && o.ok !== false && k > 0) continue;
          outcomes.push({
            level: lvl,
            ...o,
            ...(many && o.ok === false ? { check: `${o.check} (answer ${k + 1})` } : {}),
          });
        }
      }
    }
    return outcomes;
  }

  /** The step's captures into variables; captures of credentials become variables of the reproduction, never values. */
  #capture(
    step: HttpStep,
    level: Level,
    received: Received[],
    shown: Received,
    rotated: Map<Received, FoundToken | NoToken>,
    outcomes: CheckResult[],
  ): void {
    const { vars } = this;
    for (const [name, spec] of Object.entries(step.capture ?? {})) {
      if (typeof spec !== "string" && "rotatedToken" in spec) {
        const found = rotated.get(shown);
        if (found && "token" in found) {
          vars[name] = found.token;
          // The reproduction takes the new token from the same field.
          vars.rotatedTokenField = found.field;
          outcomes.push({ level, check: foundCheck(found), ok: true });
        } else if (!spec.optional || succeeded(shown)) {
          outcomes.push({
            level,
            check: `capture ${name}`,
            ok: false,
            detail: found?.problem ?? `the rotation answered ${shown.status}: no new server token`,
          });
        }
        continue;
      }
      const value = capturedValue(received, spec);
      const path = typeof spec === "string" ? spec : "path" in spec ? spec.path : "";
      const optional = typeof spec !== "string" && spec.optional;
      if (value === undefined) {
        if (!optional) outcomes.push({ level, check: `capture ${name}`, ok: false, detail: `nothing at "${path}"` });
        continue;
      }
      vars[name] = value;
      // A value the target put where a credential goes is one, if it can be; any other value is data.
      if (isCredentialField(path) || this.redactor.hasCredentialShape(value)) {
        this.redactor.addReturned(value, shellName(name));
      }
    }
  }

  /**
   * Any token a rotation returns, expected or not, goes to the recovery file and is kept secret: found where the
   * discovery document says, or as the string of the answer that authenticates.
   */
  async #noteRotations(
    request: HttpStep["request"],
    received: Received[],
    o: CheckResult[],
  ): Promise<Map<Received, FoundToken | NoToken>> {
    const { shared } = this;
    const found = new Map<Received, FoundToken | NoToken>();
    const op = request.method === "POST" ? tokenOperation(request.path) : undefined;
    if (op === undefined) return found;
    const { tenantId } = op;
    if (op.operation === "revoke-previous") {
      if (received.some(succeeded)) shared.rotations.revokedTenants.add(tenantId);
      return found;
    }
    const expected = !o.some((x) => x.check.startsWith("status") && x.ok === false);
    const declaredField = (await shared.discovery())?.rotateTokenField;
    const site = siteOf(shared.target, tenantId);
    for (const r of received) {
      if (!succeeded(r)) continue;
      const result = await findRotatedToken(r.json, {
        declaredField,
        known: (v) => this.redactor.knows(v),
        authenticates: site === undefined
          ? undefined
          : (candidate) => mints(shared.target.apiUrl, candidate, site, shared),
      });
      found.set(r, result);
      if (!("token" in result)) continue;
      // A token that cannot be a bearer token is the target's data: shown escaped, and kept out of recovery.env.
      if (isBearerToken(result.token)) shared.secrets.add(result.token, shared.rotations.variableFor(tenantId));
      await shared.rotations.record({ caseId: this.c.id, tenantId, token: result.token, expected });
    }
    return found;
  }

  /** The case's verdict: its worst failed level, why, and how to reproduce it. */
  result(): CaseResult {
    const { c, steps } = this;
    const all = steps.flatMap((s) => s.checks ?? []);
    const worst = LEVELS.find((l) => all.some((o) => o.ok === false && o.level === l));
    const status: CaseStatus = worst === "must"
      ? "failed"
      : worst === "should"
      ? "warning"
      : worst
      ? "deviation"
      : "passed";
    const firstProblem = steps.findIndex((s) => s.problems.some((p) => p.startsWith(`[${worst}]`)));
    const reason = worst
      ? steps
        .map((s, k) => ({ s, k }))
        .filter(({ s }) => s.problems.length)
        .map(({ s, k }) => `step ${k + 1} (${s.name}): ${s.problems.join("; ")}`)
        .join(" | ")
      : undefined;
    if (worst !== undefined) {
      const nodes = this.#nodes;
      const stepNodes = this.#stepNodes;
      // Made when the run ends, with every secret it met: a value the script writes out is redacted as a shell word.
      this.extras.reproduce = () =>
        reproduction(c, {
          upTo: status === "failed" ? this.#lastStep : firstProblem,
          unique: this.#unique,
          vars: this.vars,
          levels: this.shared.profile.levels,
          redactor: this.redactor,
          ...(nodes.length > 1 ? { nodes: { urls: nodes, of: (i: number) => stepNodes[i] ?? 0 } } : {}),
        });
    }
    return {
      ...describe(c),
      status,
      ...(reason === undefined ? {} : { reason }),
      durationMs: Math.round(performance.now() - this.#started),
      steps,
      ...(this.#retried ? { retried: this.#retried } : {}),
    };
  }
}

/** The shell variable a bearer template stands for: `{{adminToken}}` is `SETCHAT_ADMIN_TOKEN`. */
function authVariable(template: string): string {
  const m = /^\{\{\s*(\w+)\s*\}\}$/.exec(template);
  return m ? shellName(m[1]!) : "TOKEN";
}

/** Counts of each status. */
export function countStatuses(results: CaseResult[]): Record<CaseStatus, number> {
  const counts = Object.fromEntries(CASE_STATUSES.map((s) => [s, 0])) as Record<CaseStatus, number>;
  for (const r of results) counts[r.status]++;
  return counts;
}

/** Counts of checks by level and outcome. */
export function countChecks(results: CaseResult[]): Record<Level, CheckCounts> {
  const out = Object.fromEntries(LEVELS.map((l) => [l, { passed: 0, failed: 0, notApplicable: 0 }])) as Record<
    Level,
    CheckCounts
  >;
  for (const r of results) {
    for (const s of r.steps) {
      for (const o of s.checks ?? []) {
        const c = out[o.level];
        if (o.ok === true) c.passed++;
        else if (o.ok === false) c.failed++;
        else c.notApplicable++;
      }
    }
  }
  return out;
}

/**
 * Whether a case fails the run: a `must` failure or an unexpected pass; a
 * warning or a deviation when strict; a case skipped for want of a setting
 * under `--no-skips`.
 */
export function failsRun(
  run: Pick<RunResult, "strict" | "noSkips">,
  r: Pick<CaseResult, "status" | "reason">,
): boolean {
  return r.status === "failed" || r.status === "unexpected-pass" ||
    (run.strict && (r.status === "warning" || r.status === "deviation")) ||
    (run.noSkips === true && skippedForWant(r));
}

/** The exit code of a run: 0 all passed, 1 a case fails the run, 2 nothing ran. */
export function exitCodeOf(run: Pick<RunResult, "results" | "strict" | "noSkips">): 0 | 1 | 2 {
  if (run.results.some((r) => failsRun(run, r))) return 1;
  const ran = run.results.some((r) => ["passed", "warning", "deviation", "expected-failure"].includes(r.status));
  return ran ? 0 : 2;
}

/**
 * Whether a case was skipped for want of something the run could have been
 * given (a credential, `--allow-destructive`), not because it cannot apply
 * to this target (no JWKS, a private signing key the vendor keeps).
 */
export function skippedForWant(r: Pick<CaseResult, "status" | "reason">): boolean {
  return r.status === "skipped" && !(r.reason ?? "").startsWith("not applicable");
}

/** The literal text of a case's steps, its variables left out. */
export function writtenIn(c: LoadedCase): string {
  return JSON.stringify(c.steps).replace(/\{\{[^}]*\}\}/g, " ");
}

/** What every case of a run shares: the target, the profile, the secrets met, and what is fetched from the target once. */
function sharedOf(options: RunOptions): Shared {
  const { target } = options;
  let jwks: Promise<jose.JSONWebKeySet | null> | undefined;
  let openapi: Promise<OpenApiDocument | null> | undefined;
  let clock: Promise<TargetClock | null> | undefined;
  const secrets = options.redactor ?? new Redactor();
  secrets.addSettings(target.vars);
  // A credential written in a fixture itself (a well-formed unknown token) is public: its reproduction sends it.
  for (const c of options.cases) secrets.allowWrittenIn(writtenIn(c));
  let discovery: Promise<Discovery | null> | undefined = options.discovery === undefined
    ? undefined
    : Promise.resolve(options.discovery);
  return {
    target,
    profile: options.profile ?? namedProfile("reference", "the default for the reference"),
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 0,
    signal: options.signal,
    secrets,
    rotations: new RotationLog({
      file: options.recoveryFile,
      tenantId: target.vars.tenantId,
      foreignTenantId: target.vars.foreignTenantId,
      target: target.description,
    }),
    jwks: () => jwks ??= fetchJwks(target.apiUrl),
    discovery: () =>
      discovery ??= discover(target.apiUrl, options.timeoutMs ?? 10_000).then((d) => d.discovery ?? null, () => null),
    openapi: () => openapi ??= fetchOpenApi(target.apiUrl),
    clock: () => clock ??= targetClock(target),
  };
}

/** A case listed as a known failure: its failure is expected, and a pass is news that fails the run. */
function asKnownFailure(r: CaseResult, why: string): CaseResult {
  if (["failed", "warning", "deviation"].includes(r.status)) {
    return { ...r, status: "expected-failure", reason: `${r.reason} (known: ${why})` };
  }
  if (r.status === "passed") {
    return {
      ...r,
      status: "unexpected-pass",
      reason: `listed as a known failure (${why}) but passed: remove it from the list`,
    };
  }
  return r;
}

/** Runs the cases against the target. */
export async function runSuite(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const { target } = options;
  const shared = sharedOf(options);
  const { profile, secrets } = shared;
  const allowDestructive = options.allowDestructive ?? target.inProcess;
  const originalServerToken = target.vars.serverToken;
  const clocked = options.cases.some(stallsBody) && (await shared.clock()) !== null;
  const ordinary = options.cases.filter((c) => !runsAlone(c, clocked));
  // A case that moves the clock moves it for everyone: it runs alone, after the others.
  const timed = options.cases.filter((c) => runsAlone(c, clocked) && !changesCredentials(c));
  const destructive = options.cases.filter(changesCredentials);
  // Each case's result as reports show it, made when the run ends: redacted once, with every secret the run met.
  const results = new Map<string, () => CaseResult>();
  const finish = (c: LoadedCase, r: CaseResult, extras: CaseExtras) => {
    const expected = options.expectedFailures?.get(c.id);
    if (expected !== undefined) r = asKnownFailure(r, expected);
    const redactor = extras.redactor ?? secrets;
    results.set(
      c.id,
      () => ({ ...redactCase(r, redactor), ...(extras.reproduce ? { curl: extras.reproduce() } : {}) }),
    );
    options.onResult?.(redactCase(r, redactor));
  };
  // Walks first: their pages run one after another, and the shared site they list grows while other cases run.
  const queue = [...ordinary.filter(walksPages), ...ordinary.filter((c) => !walksPages(c))];
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY) }, async () => {
    for (let c = queue.shift(); c && !options.signal?.aborted; c = queue.shift()) {
      const extras: CaseExtras = {};
      finish(c, await runCase(c, shared, allowDestructive, {}, extras), extras);
    }
  }));
  for (const c of timed) {
    if (options.signal?.aborted) break;
    const extras: CaseExtras = {};
    finish(c, await runCase(c, shared, allowDestructive, {}, extras), extras);
  }
  for (const c of destructive) {
    if (options.signal?.aborted) break;
    // A destructive case that captures `serverToken` hands the tenant's new token to the runner.
    const vars: Vars = {};
    const extras: CaseExtras = {};
    finish(c, await runCase(c, shared, allowDestructive, vars, extras), extras);
    const rotated = vars.serverToken;
    if (typeof rotated === "string" && rotated !== target.vars.serverToken) target.vars.serverToken = rotated;
  }
  const ordered = options.cases.map((c) =>
    results.get(c.id)?.() ?? notRun(c, "skipped", "not run: the run was stopped (the whole-run timeout ran out)")
  );
  const notes = (target.inProcess ? [] : await recoveryNotes(shared, originalServerToken)).map((n) => secrets.shown(n));
  return {
    target: target.description,
    versions: { ...VERSIONS },
    startedAt,
    durationMs: Math.round(performance.now() - started),
    profile,
    strict: options.strict ?? false,
    results: ordered,
    counts: countStatuses(ordered),
    checks: countChecks(ordered),
    notes,
  };
}

/** After rotations: where the new tokens are, and which of the tokens this run knows still work, tenant by tenant. */
async function recoveryNotes(shared: Shared, original: string | undefined): Promise<string[]> {
  const { rotations, target } = shared;
  const notes: string[] = [];
  if (rotations.refused.length) {
    notes.push(
      `${rotations.refused.length} rotation(s) answered a "token" that cannot be a bearer token ` +
        `(${
          [...new Set(rotations.refused.map((r) => r.caseId))].join(", ")
        }): it is left out of recovery.env, so that ` +
        "sourcing the file runs nothing the target chose, and shown in the report as the target sent it.",
    );
  }
  if (rotations.rotations.length === 0 && rotations.revokedTenants.size === 0) return notes;
  const unexpected = rotations.rotations.filter((r) => !r.expected);
  if (rotations.rotations.length) {
    notes.push(
      rotations.file
        ? `Rotations returned ${rotations.rotations.length} server token(s); every one is in ${rotations.file} ` +
          "(mode 0600). Deploy an active one (below) where the old token was."
        : `Rotations returned ${rotations.rotations.length} server token(s), written nowhere (no --out): rotate ` +
          "again with the admin token to get a token you can deploy.",
    );
  }
  if (unexpected.length) {
    notes.push(
      `${unexpected.length} of them came from rotations the target should have refused ` +
        `(${[...new Set(unexpected.map((r) => r.caseId))].join(", ")}).`,
    );
  }
  const { tenantId, siteApiKey, foreignTenantId, foreignSiteApiKey } = target.vars;
  const tenants = new Set([...rotations.rotations.map((r) => r.tenantId), ...rotations.revokedTenants]);
  for (const tenant of tenants) {
    const ours = tenant === tenantId;
    const site = ours ? siteApiKey : tenant === foreignTenantId ? foreignSiteApiKey : undefined;
    const known: { token: string; what: string }[] = [
      ...(ours && original ? [{ token: original, what: "the token the run was given" }] : []),
      ...rotations.rotations.filter((r) => r.tenantId === tenant).map((r) => ({
        token: r.token,
        what: `the one ${r.caseId} rotated in at ${r.at.slice(11, 19)}`,
      })),
    ];
    const who = ours ? `tenant ${tenant}` : `the other tenant ${tenant}`;
    const unseen = rotations.revokedTenants.has(tenant)
      ? ` revoke-previous ran for it, so any older token it held, seen by the run or not${
        ours ? "" : " (the one deployed, say)"
      }, is revoked.`
      : " Tokens the run never saw cannot be counted (the contract requires no token listing).";
    if (!site || known.length === 0) {
      notes.push(
        `Cannot tell which server tokens of ${who} are active: the run has no site of it to try them on.${unseen}`,
      );
      continue;
    }
    const active: string[] = [];
    const activeTokens: string[] = [];
    let unclear = 0;
    for (const k of known) {
      try {
        const res = await fetch(`${target.apiUrl}/api/widget/visitor-token`, {
          method: "POST",
          headers: { authorization: `Bearer ${k.token}`, "content-type": "application/json" },
          body: JSON.stringify({ siteApiKey: site, externalUserId: `conformance-after-run-${crypto.randomUUID()}` }),
          signal: AbortSignal.timeout(shared.timeoutMs),
        });
        await res.body?.cancel();
        if (res.ok) {
          active.push(k.what);
          activeTokens.push(k.token);
        } else if (res.status !== 401) unclear++;
      } catch {
        unclear++;
      }
    }
    if (!unclear && activeTokens.length === 1 && rotations.file) await rotations.settle(tenant, activeTokens[0]!);
    notes.push(
      unclear
        ? `Cannot tell which server tokens of ${who} are active: ${unclear} of the ${known.length} this run knows gave no clear answer.${unseen}`
        : `After the run, ${active.length} of the ${known.length} server tokens this run knows for ${who} ` +
          `${active.length === 1 ? "is" : "are"} active${active.length ? `: ${active.join("; ")}` : ""}.${unseen}`,
    );
  }
  return notes;
}
