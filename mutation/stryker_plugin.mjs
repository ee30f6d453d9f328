/**
 * A StrykerJS test runner that judges the reference's mutants with the
 * conformance suite. Stryker runs on Node.js; the suite runs on Deno. This
 * plugin keeps one Deno worker (`worker.ts`) per Stryker test runner, and asks
 * it for a dry run (every test, with per-test coverage) and for mutant runs
 * (the tests that reach the mutant, the mutant switched on). A static mutant,
 * one that runs while the code loads, gets a worker started with it active.
 *
 * Plain JavaScript without imports from Stryker: it is loaded from the
 * sandbox, where Stryker's own packages cannot be resolved.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** Keep in step with protocol.ts. */
const MARK = "@@setchat-mutation@@ ";
const ACTIVE_MUTANT_ENV = "__STRYKER_ACTIVE_MUTANT__";

/** One Deno worker process. */
class Worker {
  /**
   * @param {{ deno: string, suite: string }} settings
   * @param {string | undefined} staticMutant
   * @param {{ debug(...a: unknown[]): void }} log
   */
  constructor(settings, staticMutant, log) {
    this.staticMutant = staticMutant;
    this.log = log;
    /** @type {string[]} the worker's last lines of output, for error messages */
    this.output = [];
    /** @type {((answer: any) => void)[]} */
    this.waiting = [];
    const env = { ...process.env, NO_COLOR: "1" };
    if (staticMutant === undefined) delete env[ACTIVE_MUTANT_ENV];
    else env[ACTIVE_MUTANT_ENV] = staticMutant;
    this.child = spawn(settings.deno, ["run", "--allow-all", "--quiet", "mutation/worker.ts", settings.suite], {
      cwd: process.cwd(),
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.exited.then((code) => {
      for (const w of this.waiting.splice(0)) {
        w({ type: "error", message: `The Deno worker exited (${code}):\n${this.output.join("\n")}` });
      }
    });
    const keep = (line) => {
      this.output.push(line);
      if (this.output.length > 40) this.output.shift();
      this.log.debug(line);
    };
    createInterface({ input: this.child.stderr }).on("line", keep);
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      if (!line.startsWith(MARK)) return keep(line);
      const answer = JSON.parse(line.slice(MARK.length));
      this.waiting.shift()?.(answer);
    });
    this.ready = this.next();
  }

  /** The worker's next answer. */
  next() {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Sends a request, once the worker is ready, and waits for its answer. */
  async ask(request) {
    const ready = await this.ready;
    if (ready.type === "error") return ready;
    const answer = this.next();
    this.child.stdin.write(JSON.stringify(request) + "\n");
    return await answer;
  }

  async stop() {
    this.child.stdin.end();
    this.child.kill("SIGKILL");
    await this.exited;
  }
}

/** The Stryker test runner. */
class ConformanceTestRunner {
  static inject = ["options", "logger"];

  /**
   * @param {{ setchat: { deno: string, suite: string } }} options
   * @param {{ debug(...a: unknown[]): void }} logger
   */
  constructor(options, logger) {
    this.settings = options.setchat;
    this.log = logger;
    /** @type {Worker | undefined} */
    this.worker = undefined;
  }

  capabilities() {
    return { reloadEnvironment: true };
  }

  async #workerFor(staticMutant, reload) {
    if (this.worker && (reload || this.worker.staticMutant !== staticMutant)) {
      await this.worker.stop();
      this.worker = undefined;
    }
    this.worker ??= new Worker(this.settings, staticMutant, this.log);
    return this.worker;
  }

  async dryRun() {
    const worker = await this.#workerFor(undefined, false);
    const answer = await worker.ask({ type: "dryRun" });
    if (answer.type === "error") return { status: "error", errorMessage: answer.message };
    return {
      status: "complete",
      tests: answer.tests.map((t) => ({
        id: t.id,
        name: t.name,
        fileName: t.fileName,
        startPosition: { line: t.line, column: 0 },
        timeSpentMs: t.timeSpentMs,
        ...(t.failure === undefined ? { status: 0 } : { status: 1, failureMessage: t.failure }),
      })),
      mutantCoverage: answer.coverage,
    };
  }

  async mutantRun(options) {
    const id = options.activeMutant.id;
    const staticMutant = options.mutantActivation === "static" ? id : undefined;
    const worker = await this.#workerFor(staticMutant, options.reloadEnvironment);
    const answer = await worker.ask({
      type: "mutantRun",
      mutantId: id,
      ...(options.testFilter ? { testFilter: options.testFilter } : {}),
      ...(options.hitLimit === undefined ? {} : { hitLimit: options.hitLimit }),
      disableBail: options.disableBail,
    });
    if (answer.type === "error") return { status: "error", errorMessage: answer.message };
    const { type: _, ...result } = answer;
    return result;
  }

  async dispose() {
    await this.worker?.stop();
    this.worker = undefined;
  }
}

function factory(options, logger) {
  return new ConformanceTestRunner(options, logger);
}
factory.inject = ["options", "logger"];

/** FNV-1a of a string: stable across runs and machines. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A function's name as its code writes it, or its text when it has none. */
function functionName(path) {
  const node = path.node;
  const key = node.key?.name ?? node.key?.id?.name ?? node.key?.value ?? node.id?.name;
  if (key) return String(key);
  const parent = path.parent;
  const named = parent?.id?.name ?? parent?.key?.name ?? parent?.key?.id?.name ?? parent?.left?.property?.name;
  if (named) return String(named);
  return path.getSource?.() ?? `${node.start}`;
}

/**
 * A fixed random sample of functions (`setchat.sample`: one in N, chosen by a
 * hash of the file and the function's name), for a suite too slow to judge
 * every mutant. The unit is a function that holds no other: a function that
 * does is kept, its own code with it, and each function inside is drawn on
 * its own. Mutants outside the sample are reported as ignored, with why.
 */
function sampleFactory(options) {
  const every = options.setchat?.sample ?? 1;
  return {
    shouldIgnore(path) {
      if (every <= 1 || !path.isFunction()) return undefined;
      let holdsFunction = false;
      path.traverse({
        Function(inner) {
          holdsFunction = true;
          inner.stop();
        },
      });
      if (holdsFunction) return undefined;
      const file = path.hub?.file?.opts?.filename ?? "";
      const relative = file.startsWith(process.cwd()) ? file.slice(process.cwd().length + 1) : file;
      if (hash(`${relative}:${functionName(path)}`) % every === 0) return undefined;
      return `Not in this run's sample: one function in ${every}, chosen by its name (--sample)`;
    },
  };
}
sampleFactory.inject = ["options"];

export const strykerPlugins = [
  { kind: "TestRunner", name: "setchat", factory },
  { kind: "Ignore", name: "setchat-sample", factory: sampleFactory },
];

export const strykerValidationSchema = {
  $schema: "http://json-schema.org/draft-07/schema",
  type: "object",
  properties: {
    setchat: {
      description: "The SetChat conformance runner: the Deno executable and the suite (api or browser)",
      type: "object",
      properties: {
        deno: { type: "string" },
        suite: { enum: ["api", "browser"] },
        sample: { type: "integer", minimum: 1 },
      },
      required: ["deno", "suite"],
    },
  },
};
