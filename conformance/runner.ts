/**
 * Runs conformance cases against a target. Cases are independent (each uses
 * its own users and devices), so they run several at a time; destructive
 * cases run after all others, one by one, and only when allowed.
 */
import type * as jose from "jose";
import { check, type ExpectContext, NotApplicable, type Received } from "./expect.ts";
import type { Expectation, HttpStep, Need } from "./fixture_schema.ts";
import type { LoadedCase } from "./fixtures.ts";
import { curlScript } from "./curl.ts";
import { Redactor } from "./redact.ts";
import { MissingVariable, render, renderString, select, type Vars } from "./template.ts";
import type { Target } from "./target.ts";
import { ENV_NAMES, SECRET_VARIABLES, TARGET_VARIABLES, type TargetVariable } from "./variables.ts";
import { TOKEN_TRANSFORMS } from "./token_transforms.ts";

/** How a case ended. */
export type CaseStatus = "passed" | "failed" | "skipped" | "expected-failure" | "unexpected-pass";

/** One step as the report shows it: redacted. */
export interface StepResult {
  name: string;
  ok: boolean;
  problems: string[];
  request?: { method: string; path: string };
  response?: { status: number; body: string };
  durationMs: number;
}

/** One case's result. */
export interface CaseResult {
  id: string;
  title: string;
  clause: string;
  tags: string[];
  file: string;
  suite: string;
  status: CaseStatus;
  /** Why it was skipped, why it failed, or why its failure was expected. */
  reason?: string;
  durationMs: number;
  steps: StepResult[];
  /** Shell commands reproducing a failure, secrets as variables. */
  curl?: string;
}

/** A whole run. */
export interface RunResult {
  target: string;
  startedAt: string;
  durationMs: number;
  results: CaseResult[];
  counts: Record<CaseStatus, number>;
  /** Things the person running it must know, e.g. how to recover after destructive cases. */
  notes: string[];
}

/** Options of {@linkcode runSuite}. */
export interface RunOptions {
  target: Target;
  cases: LoadedCase[];
  /** Run cases that change the target tenant's credentials. */
  allowDestructive?: boolean;
  concurrency?: number;
  timeoutMs?: number;
  /** Ids of cases known to fail on this target, with why. */
  expectedFailures?: ReadonlyMap<string, string>;
  /** Called as each case ends (live progress). */
  onResult?: (result: CaseResult) => void;
  /** Where to write a server token changed by destructive cases (mode 0600). */
  rotatedTokenFile?: string;
}

/** The needs of a case: declared, and implied by its steps. */
export function needsOf(c: LoadedCase): Need[] {
  const needs = new Set<Need>(c.needs);
  const text = JSON.stringify(c.steps);
  for (const name of TARGET_VARIABLES) if (text.includes(`{{${name}}}`)) needs.add(name);
  for (const step of c.steps) {
    if ("transform" in step) { for (const n of TOKEN_TRANSFORMS[step.transform].needs) needs.add(n); }
  }
  return [...needs];
}

interface Shared {
  target: Target;
  timeoutMs: number;
  jwks: () => Promise<jose.JSONWebKeySet | null>;
}

async function send(shared: Shared, request: HttpStep["request"]): Promise<Received> {
  const headers = new Headers(request.headers);
  if (request.auth !== undefined) headers.set("authorization", `Bearer ${request.auth}`);
  let body: string | undefined;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  } else if (request.body !== undefined) {
    body = request.body;
  }
  const res = await fetch(shared.target.apiUrl + request.path, {
    method: request.method,
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(shared.timeoutMs),
    redirect: "manual",
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** What a result says of its case, whatever happened. */
export function describe(c: Pick<CaseResult, "id" | "title" | "clause" | "tags" | "file" | "suite">) {
  return { id: c.id, title: c.title, clause: c.clause, tags: c.tags, file: c.file, suite: c.suite };
}

function skipped(c: LoadedCase, reason: string): CaseResult {
  return { ...describe(c), status: "skipped", reason, durationMs: 0, steps: [] };
}

async function runCase(c: LoadedCase, shared: Shared, allowDestructive: boolean, vars: Vars = {}): Promise<CaseResult> {
  const { target } = shared;
  for (const need of needsOf(c)) {
    if (need === "signingKey" && !target.signingKey) {
      return skipped(
        c,
        "not applicable: needs the target's private signing key (--signing-key) to sign a token with one fault",
      );
    }
    if (need === "jwks" && !(await shared.jwks())) return skipped(c, "not applicable: the target publishes no JWKS");
    if (need in ENV_NAMES && !target.vars[need as TargetVariable]) {
      return skipped(c, `needs ${ENV_NAMES[need as TargetVariable]}`);
    }
  }
  if (c.destructive && !allowDestructive) {
    return skipped(c, "destructive (changes the tenant's server token): run with --allow-destructive");
  }
  const unique = crypto.randomUUID().slice(0, 8);
  Object.assign(vars, { apiUrl: target.apiUrl, unique, ...target.vars });
  const redactor = new Redactor();
  for (const name of SECRET_VARIABLES) redactor.add(target.vars[name], ENV_NAMES[name]);
  const ctx: ExpectContext = { jwks: shared.jwks, values: (name) => vars[name] };
  const steps: StepResult[] = [];
  const started = performance.now();
  const result = (status: CaseStatus, reason?: string, failedAt?: number): CaseResult => ({
    ...describe(c),
    status,
    ...(reason === undefined ? {} : { reason: redactor.apply(reason) }),
    durationMs: Math.round(performance.now() - started),
    steps,
    ...(failedAt === undefined ? {} : { curl: redactor.apply(curlScript(c, failedAt, unique)) }),
  });

  for (const [i, step] of c.steps.entries()) {
    const stepStart = performance.now();
    try {
      if ("transform" in step) {
        const input = renderString(step.input, vars);
        if (typeof input !== "string") throw new Error(`${step.input} is not a token`);
        const out = await TOKEN_TRANSFORMS[step.transform].apply(input, {
          signingKey: target.signingKey,
          jwks: (await shared.jwks()) ?? undefined,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
        vars[step.capture] = out;
        redactor.add(out, step.capture.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase());
        steps.push({ name: step.name, ok: true, problems: [], durationMs: Math.round(performance.now() - stepStart) });
        continue;
      }
      if ("set" in step) {
        for (const [name, template] of Object.entries(step.set)) vars[name] = renderString(template, vars);
        steps.push({ name: step.name, ok: true, problems: [], durationMs: 0 });
        continue;
      }
      const request = render(step.request, vars) as HttpStep["request"];
      const expect = step.expect ? render(step.expect, vars) as Expectation : undefined;
      const received = step.parallel
        ? await Promise.all(Array.from({ length: step.parallel }, () => send(shared, request)))
        : [await send(shared, request)];
      const problems: string[] = [];
      if (step.parallel && expect?.statusCounts) {
        const counts: Record<string, number> = {};
        for (const r of received) counts[r.status] = (counts[r.status] ?? 0) + 1;
        const want = JSON.stringify(Object.entries(expect.statusCounts).sort());
        const got = JSON.stringify(Object.entries(counts).sort());
        if (want !== got) problems.push(`statuses: expected ${want}, got ${got}`);
      }
      if (expect) {
        const { statusCounts: _, ...single } = expect;
        for (const r of received) problems.push(...await check(r, single, ctx));
      }
      const first = received.find((r) => r.status >= 200 && r.status < 300) ?? received[0]!;
      // Captures of secrets become variables of the reproduction, never values in the report.
      for (const [name, path] of Object.entries(step.capture ?? {})) {
        const value = select(first.json, path);
        if (value === undefined) problems.push(`capture ${name}: nothing at "${path}"`);
        vars[name] = value;
        if (Redactor.looksSecret(value)) redactor.add(value, name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase());
      }
      steps.push({
        name: step.name,
        ok: problems.length === 0,
        problems: problems.map((p) => redactor.apply(p)),
        request: { method: request.method, path: redactor.apply(request.path) },
        response: { status: first.status, body: redactor.apply(first.text.slice(0, 2000)) },
        durationMs: Math.round(performance.now() - stepStart),
      });
      if (problems.length) return result("failed", `step ${i + 1} (${step.name}): ${problems.join("; ")}`, i);
    } catch (error) {
      if (error instanceof NotApplicable) return { ...skipped(c, `not applicable: ${error.message}`), steps };
      const message = error instanceof MissingVariable
        ? `${error.message} (an earlier step did not capture it)`
        : error instanceof DOMException && error.name === "TimeoutError"
        ? `no answer within ${shared.timeoutMs} ms`
        : (error as Error).message;
      steps.push({
        name: step.name,
        ok: false,
        problems: [redactor.apply(message)],
        durationMs: Math.round(performance.now() - stepStart),
      });
      return result("failed", `step ${i + 1} (${step.name}): ${message}`, i);
    }
  }
  return result("passed");
}

/** Counts of each status. */
export function countStatuses(results: CaseResult[]): Record<CaseStatus, number> {
  const counts: Record<CaseStatus, number> = {
    passed: 0,
    failed: 0,
    skipped: 0,
    "expected-failure": 0,
    "unexpected-pass": 0,
  };
  for (const r of results) counts[r.status]++;
  return counts;
}

/** The exit code of a run: 0 all passed, 1 a failure, 2 nothing ran. */
export function exitCodeOf(run: RunResult): 0 | 1 | 2 {
  const c = run.counts;
  if (c.failed + c["unexpected-pass"] > 0) return 1;
  if (c.passed + c["expected-failure"] === 0) return 2;
  return 0;
}

/** Runs the cases against the target. */
export async function runSuite(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const { target } = options;
  let jwks: Promise<jose.JSONWebKeySet | null> | undefined;
  const shared: Shared = {
    target,
    timeoutMs: options.timeoutMs ?? 10_000,
    jwks: () =>
      jwks ??= (async () => {
        try {
          const res = await fetch(`${target.apiUrl}/.well-known/jwks.json`, { signal: AbortSignal.timeout(5000) });
          const body = res.ok ? await res.json() : null;
          return body && Array.isArray(body.keys) && body.keys.length ? body as jose.JSONWebKeySet : null;
        } catch {
          return null;
        }
      })(),
  };
  const allowDestructive = options.allowDestructive ?? target.inProcess;
  const ordinary = options.cases.filter((c) => !c.destructive);
  const destructive = options.cases.filter((c) => c.destructive);
  const results = new Map<string, CaseResult>();
  const finish = (c: LoadedCase, r: CaseResult) => {
    const expected = options.expectedFailures?.get(c.id);
    if (expected !== undefined) {
      r = r.status === "failed"
        ? { ...r, status: "expected-failure", reason: `${r.reason} (known: ${expected})` }
        : r.status === "passed"
        ? {
          ...r,
          status: "unexpected-pass",
          reason: `listed as a known failure (${expected}) but passed: remove it from the list`,
        }
        : r;
    }
    results.set(c.id, r);
    options.onResult?.(r);
  };
  const queue = [...ordinary];
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, async () => {
    for (let c = queue.shift(); c; c = queue.shift()) finish(c, await runCase(c, shared, allowDestructive));
  }));
  const notes: string[] = [];
  for (const c of destructive) {
    // A destructive case that captures `serverToken` hands the tenant's new token to the runner.
    const vars: Vars = {};
    finish(c, await runCase(c, shared, allowDestructive, vars));
    const rotated = vars.serverToken;
    if (typeof rotated === "string" && rotated !== target.vars.serverToken) {
      target.vars.serverToken = rotated;
      // The in-process reference is thrown away after the run: nothing to recover.
      if (!target.inProcess) await noteRotatedToken(rotated, notes, options.rotatedTokenFile);
    }
  }
  const ordered = options.cases.map((c) => results.get(c.id)!);
  const run: RunResult = {
    target: target.description,
    startedAt,
    durationMs: Math.round(performance.now() - started),
    results: ordered,
    counts: countStatuses(ordered),
    notes,
  };
  return run;
}

/** Tells how to recover after destructive cases changed the tenant's server token. */
async function noteRotatedToken(token: string, notes: string[], file: string | undefined): Promise<void> {
  notes.length = 0;
  if (file) {
    await Deno.writeTextFile(file, `SETCHAT_SERVER_TOKEN=${token}\n`, { mode: 0o600 });
    await Deno.chmod(file, 0o600);
    notes.push(
      `Destructive cases rotated the tenant's server token and revoked the previous one. The current token is in ${file} ` +
        "(mode 0600): put it where the old SETCHAT_SERVER_TOKEN was (your env file, your backend).",
    );
  } else {
    notes.push(
      "Destructive cases rotated the tenant's server token and revoked the previous one; the new token was not written " +
        "anywhere (no --out). Rotate again with the admin token to get a token you can deploy.",
    );
  }
}
