/**
 * One run of one scenario: its devices, its steps with their checks, and the
 * evidence of a failure. After every step every device is judged on what a
 * person cannot see; a failed check leaves a screenshot taken then.
 */
import { join } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import type { CaseResult, CheckResult, StepResult } from "../runner.ts";
import type { Redactor } from "../redact.ts";
import type { Level } from "../levels.ts";
import type { Target } from "../target.ts";
import { ContractMismatch } from "./contract.ts";
import {
  CheckFailed,
  Device,
  type DeviceHooks,
  type DeviceOptions,
  REFUSED_STORAGE_SCRIPT,
  STORAGE_LISTENERS_SCRIPT,
} from "./device.ts";
import { BROWSER_CHECKS, type BrowserCheckId, judge } from "./judge.ts";
import { ContextLog, Ledger } from "./log.ts";
import { SAMPLER_SCRIPT } from "./sampler.ts";
import type { Scenario, ScenarioContext } from "./scenarios.ts";

/** The checks every step of every scenario gets, on every device. */
const EVERY_STEP: BrowserCheckId[] = [
  "screen-previous-person",
  "screen-other-tab",
  "no-sign-out-verified",
  "text-never-runs",
  "token-alone",
  "nothing-after-reset",
  "verified-asks-nothing-first",
  "ended-session-silent",
  "loss-only-after-verified",
];

/** A step stopped: its failure is recorded already. */
class StepStopped extends Error {
  override name = "StepStopped";
}

/** A file name's part for `name`. */
function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "device";
}

/** What a scenario run needs. */
export interface ScenarioRunOptions {
  target: Target;
  browser: Browser;
  hostUrl: string;
  redactor: Redactor;
  /** The levels the profile holds: steps and checks of others are not made. */
  levels: readonly Level[];
  /** Where its evidence goes: `<outDir>/browser/<scenario>/`. */
  outDir?: string | undefined;
  /** Record a Playwright trace of every device (and nothing else). */
  trace: boolean;
}

/** One run of one scenario. */
export class ScenarioRun {
  readonly #scenario: Scenario;
  readonly #o: ScenarioRunOptions;
  readonly #ledger: Ledger;
  readonly #unique = crypto.randomUUID().slice(0, 8);
  readonly #contexts: { log: ContextLog; context: BrowserContext; reported: Set<string> }[] = [];
  readonly #devices: Device[] = [];
  readonly #steps: StepResult[] = [];
  readonly #evidence: { label: string; path: string }[] = [];
  readonly #dir: string | undefined;
  readonly #hooks: DeviceHooks;
  /** The checks of the step under way. */
  #checks: CheckResult[] = [];

  constructor(scenario: Scenario, options: ScenarioRunOptions) {
    this.#scenario = scenario;
    this.#o = options;
    this.#ledger = new Ledger(this.#unique);
    this.#dir = options.outDir ? join(options.outDir, "browser", scenario.id) : undefined;
    this.#hooks = {
      target: options.target,
      hostUrl: options.hostUrl,
      check: (id, problems) => this.#check(id, problems),
      opened: (device) => void this.#devices.push(device),
    };
  }

  /** Runs the scenario; returns its result, every context closed. */
  async result(head: Omit<CaseResult, "status" | "durationMs" | "steps">): Promise<CaseResult> {
    const started = performance.now();
    let crashed: unknown;
    try {
      await this.#scenario.run(this.#context());
    } catch (e) {
      if (!(e instanceof StepStopped) && !(e instanceof CheckFailed)) crashed = e;
    }
    const { level } = this.#scenario;
    if (crashed) {
      const message = this.#redact((crashed as Error).message.split("\n")[0]!);
      this.#steps.push({
        name: "the scenario",
        level,
        ok: false,
        problems: [`[${level}] ${message}`],
        checks: [{ level, check: "the scenario", ok: false, detail: this.#redact(String(crashed)) }],
        durationMs: 0,
      });
    }
    const worst = (["must", "should", "reference"] as const).find((l) =>
      this.#steps.some((s) => s.checks?.some((c) => c.ok === false && c.level === l))
    );
    const status = worst === "must" ? "failed" : worst === "should" ? "warning" : worst ? "deviation" : "passed";
    const reason = worst
      ? this.#steps.map((s, k) => ({ s, k })).filter(({ s }) => s.problems.length)
        .map(({ s, k }) => `step ${k + 1} (${s.name}): ${s.problems.join("; ")}`).join(" | ")
      : undefined;
    if (this.#o.trace) await this.#saveTraces();
    else if (status !== "passed") await this.#saveConsoles();
    await Promise.all(this.#contexts.map((c) => c.context.close()));
    return {
      ...head,
      status,
      ...(reason ? { reason: this.#redact(reason) } : {}),
      durationMs: Math.round(performance.now() - started),
      steps: this.#steps,
      ...(this.#evidence.length ? { evidence: this.#evidence.sort((a, b) => a.path.localeCompare(b.path)) } : {}),
    };
  }

  #redact(text: string): string {
    return this.#o.redactor.apply(text);
  }

  #record(level: Level, check: string, problems: string[]): void {
    this.#checks.push(
      problems.length
        ? { level, check, ok: false, detail: this.#redact(problems.join("; ")) }
        : { level, check, ok: true },
    );
  }

  /** Records one of the suite's checks; false when a `must` one failed. */
  #check(id: BrowserCheckId, problems: string[]): boolean {
    const { level } = BROWSER_CHECKS[id];
    if (!this.#o.levels.includes(level)) return true;
    this.#record(level, id, problems);
    return !(problems.length && level === "must");
  }

  #context(): ScenarioContext {
    return {
      target: this.#o.target,
      unique: this.#unique,
      device: (name, options = {}) => this.#device(name, options),
      step: (name, body, options = {}) => this.#step(name, body, options.level ?? this.#scenario.level),
      check: (id, problems) => {
        if (!this.#check(id, problems)) throw new CheckFailed(problems[0]);
      },
      agent: (method, path, body) => this.#agent(method, path, body),
    };
  }

  async #device(name: string, options: DeviceOptions): Promise<Device> {
    const context = await this.#o.browser.newContext({ viewport: { width: 1200, height: 800 }, locale: "en-US" });
    await context.addInitScript(SAMPLER_SCRIPT);
    await context.addInitScript(STORAGE_LISTENERS_SCRIPT);
    if (options.storage === "refused") await context.addInitScript(REFUSED_STORAGE_SCRIPT);
    if (this.#dir && this.#o.trace) {
      await context.tracing.start({ screenshots: true, snapshots: true, title: `${this.#scenario.id}: ${name}` });
    }
    const page = await context.newPage();
    if (options.clock) await page.clock.install();
    const log = new ContextLog(name, context, this.#ledger, this.#o.target.apiUrl);
    this.#contexts.push({ log, context, reported: new Set() });
    const device = await new Device(name, context, page, log, this.#hooks).watchErrors();
    this.#devices.push(device);
    return device;
  }

  async #step<T>(name: string, body: () => Promise<T>, level: Level): Promise<T> {
    const started = performance.now();
    if (!this.#o.levels.includes(level)) {
      this.#steps.push({ name, level, ok: true, problems: [], notRun: `a ${level} step, not held`, durationMs: 0 });
      return undefined as T;
    }
    this.#checks = [];
    let value: T | undefined;
    let error: unknown;
    try {
      value = await body();
      this.#record(level, name, []);
    } catch (e) {
      error = e;
      if (!(e instanceof StepStopped) && !(e instanceof CheckFailed)) {
        const mismatch = e instanceof ContractMismatch;
        this.#record(mismatch ? "must" : level, mismatch ? "widget-contract" : name, [
          (e as Error).message.split("\n")[0]!,
        ]);
      }
    }
    // The screen at the failing check, before judging the devices moves anything.
    const shot = error !== undefined || this.#checks.some((c) => c.ok === false);
    if (shot) await this.#screenshots(this.#steps.length + 1);
    try {
      await this.#audit();
    } catch (e) {
      this.#record(level, "judging the devices", [`Cannot judge the devices: ${(e as Error).message}`]);
    }
    const failed = this.#checks.filter((c) => c.ok === false);
    if (failed.length && !shot) await this.#screenshots(this.#steps.length + 1);
    this.#steps.push({
      name,
      level,
      ok: failed.length === 0,
      problems: failed.map((c) => `[${c.level}] ${c.check === name ? "" : `${c.check}: `}${c.detail}`),
      checks: this.#checks,
      durationMs: Math.round(performance.now() - started),
    });
    if (error || failed.some((c) => c.level === "must")) throw new StepStopped(name);
    return value as T;
  }

  /** Judges every device on what happened since the last judgement. */
  async #audit(): Promise<void> {
    await Promise.all(this.#devices.map((d) => d.collect()));
    await this.#ledger.settled();
    const found = new Map<BrowserCheckId, string[]>(EVERY_STEP.map((id) => [id, []]));
    const add = (id: BrowserCheckId, message: string) => (found.get(id) ?? found.set(id, []).get(id)!).push(message);
    for (const c of this.#contexts) {
      for (const v of judge(c.log, this.#ledger)) {
        if (c.reported.has(`${v.check}|${v.key}`)) continue;
        c.reported.add(`${v.check}|${v.key}`);
        add(v.check, v.message);
      }
      // Late answers must not bring back a credential a reset forgot.
      const lastReset = c.log.marks().filter((m) => m.kind === "reset").at(-1);
      const tab = this.#devices.find((d) => d.log === c.log);
      if (!lastReset || !tab) continue;
      for (const problem of await tab.storageHolds(c.log.credentialsBefore(lastReset), "after the late answers")) {
        if (c.reported.has(`storage|${problem}`)) continue;
        c.reported.add(`storage|${problem}`);
        add("reset-forgets-credential", problem);
      }
    }
    for (const [id, problems] of found) {
      const { level } = BROWSER_CHECKS[id];
      if (this.#o.levels.includes(level)) this.#record(level, id, problems);
    }
  }

  async #screenshots(step: number): Promise<void> {
    const dir = this.#dir;
    if (!dir || this.#o.trace) return;
    await Deno.mkdir(dir, { recursive: true });
    await Promise.all(
      this.#devices.filter((d) => !d.page.isClosed()).map(async (d) => {
        const file = `step-${step}-${slug(d.name)}.png`;
        await d.page.screenshot({ path: join(dir, file), timeout: 5000 }).then(
          () => this.#evidence.push({ label: `step ${step}, ${d.name}: screenshot`, path: this.#relative(file) }),
          () => {},
        );
      }),
    );
  }

  #relative(file: string): string {
    return join("browser", this.#scenario.id, file);
  }

  async #saveTraces(): Promise<void> {
    const dir = this.#dir;
    if (!dir) return;
    await Deno.mkdir(dir, { recursive: true });
    await Promise.all(this.#contexts.map(async ({ context, log }) => {
      const file = `${slug(log.name)}.trace.zip`;
      await context.tracing.stop({ path: join(dir, file) }).then(
        () => this.#evidence.push({ label: `${log.name}: Playwright trace`, path: this.#relative(file) }),
        () => {},
      );
    }));
  }

  /** Each device's console, every stack included, and its requests to the widget API. */
  async #saveConsoles(): Promise<void> {
    const dir = this.#dir;
    if (!dir) return;
    await Deno.mkdir(dir, { recursive: true });
    await Promise.all(this.#devices.map(async (d) => {
      const file = `${slug(d.name)}.log`;
      const calls = d.log.calls().filter((c) => c.tab === d.name)
        .map((c) => `${c.method} ${c.path} → ${c.status ?? "no answer"}`);
      const text = [
        `${d.name}: console`,
        ...await d.consoleLog(),
        "",
        `${d.name}: requests to the widget API`,
        ...calls,
      ];
      await Deno.writeTextFile(join(dir, file), this.#redact(text.join("\n")) + "\n");
      this.#evidence.push({ label: `${d.name}: console and requests`, path: this.#relative(file) });
    }));
  }

  async #agent(method: string, path: string, body?: unknown): Promise<unknown> {
    const { target } = this.#o;
    const res = await fetch(`${target.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.vars.adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`The agent API answered ${res.status}: ${json?.code ?? ""}`);
    const written = (body as { text?: unknown } | undefined)?.text;
    const conversation = /\/conversations\/([^/]+)\/messages$/.exec(path)?.[1];
    if (conversation && typeof written === "string") this.#ledger.agentWrote(decodeURIComponent(conversation), written);
    return json;
  }
}
