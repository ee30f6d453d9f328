/**
 * The suite as a vendor installs it: the npm package, packed as `npm publish`
 * would upload it, run with npx from an empty folder that holds no clone, against
 * servers it reaches over HTTP only; and the GitHub Action wrapping it, its
 * metadata checked against GitHub's rules and its step run here as a runner would.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CompositeActionMetadata, readAction, runAction } from "../tools/action_metadata.ts";
import { MUTANTS } from "./proof/mutants.ts";
import { startInProcessTarget, type Target } from "./target.ts";
import { ENV_NAMES, type TargetVariable } from "./variables.ts";
import { SUITE_VERSION } from "./version.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

let packed: Promise<string> | undefined;

/** The tarball of this checkout, packed once for every test of this file. */
function tarball(): Promise<string> {
  return packed ??= Deno.makeTempDir({ prefix: "setchat-package-" }).then(pack);
}

/** `npm pack` of this checkout into `dir` (its `prepack` builds the widget first): the tarball's path. */
async function pack(dir: string): Promise<string> {
  const out = await new Deno.Command("npm", {
    args: ["pack", "--pack-destination", dir],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, `npm pack failed: ${new TextDecoder().decode(out.stderr)}`);
  const tarballs = [];
  for await (const entry of Deno.readDir(dir)) if (entry.name.endsWith(".tgz")) tarballs.push(entry.name);
  assert.deepEqual(tarballs, [`setchat-conformance-${SUITE_VERSION}.tgz`]);
  return join(dir, tarballs[0]!);
}

/** The target's settings as an env file a vendor would write. */
async function envFileOf(target: Target, path: string): Promise<string> {
  const lines = [`SETCHAT_API_URL=${target.apiUrl}`];
  for (const [name, variable] of Object.entries(ENV_NAMES) as [TargetVariable, string][]) {
    const value = target.vars[name];
    if (value !== undefined) lines.push(`${variable}=${value}`);
  }
  await Deno.writeTextFile(path, lines.join("\n") + "\n", { mode: 0o600 });
  return path;
}

/** `npx -y <tarball> …args` from `cwd`, with none of this process's SETCHAT_ settings. */
async function npx(tarball: string, cwd: string, args: string[]): Promise<{ code: number; output: string }> {
  const env = Object.fromEntries(Object.entries(Deno.env.toObject()).filter(([k]) => !k.startsWith("SETCHAT_API")));
  const out = await new Deno.Command("npx", {
    args: ["-y", `file:${tarball}`, ...args],
    cwd,
    env: { ...env, NO_COLOR: "1", INIT_CWD: cwd },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, output: text };
}

Deno.test("the packed npm package runs the suite from an empty folder: exit 0 on the reference, 1 on a broken build", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "setchat-package-" });
  const tgz = await tarball();
  const empty = join(tmp, "vendor");
  await Deno.mkdir(empty);
  const reference = await startInProcessTarget();
  const algNone = MUTANTS.find((m) => m.name === "accepts-alg-none")!;
  const broken = await startInProcessTarget(algNone.options());
  try {
    await envFileOf(reference, join(empty, "staging.env"));
    const brokenEnv = await envFileOf(broken, join(tmp, "broken.env"));

    await t.step("--version names the package's version and the contract's", async () => {
      const { code, output } = await npx(tgz, empty, ["--version"]);
      assert.equal(code, 0, output);
      assert.match(
        output,
        new RegExp(`SetChat conformance suite ${SUITE_VERSION.replaceAll(".", "\\.")}, checking contract `),
      );
    });

    await t.step("an env file that is not there: the runner says so, exit 2", async () => {
      const { code, output } = await npx(tgz, empty, ["--", "--env-file", "missing.env"]);
      assert.equal(code, 2, output);
      assert.match(output, /missing\.env/);
      assert.doesNotMatch(output, /^node:/m);
    });

    await t.step("a broken build that accepts alg none: exit 1, the case that catches it named", async () => {
      const { code, output } = await npx(tgz, empty, ["--", "--env-file", brokenEnv, "--out", join(tmp, "broken")]);
      assert.equal(code, 1, output);
      assert.match(output, /✗ .*alg-none/);
    });

    await t.step("a browser scenario, on Chromium, against the served reference's widget", async () => {
      const { code, output } = await npx(tgz, empty, [
        "--",
        "--env-file",
        "staging.env",
        "--browser",
        "--filter",
        "browser-verified-other-device",
        "--out",
        join(tmp, "browser"),
      ]);
      assert.equal(code, 0, output);
      assert.match(output, /✓ browser-verified-other-device/);
    });

    await t.step("explore mode against the served reference", async () => {
      const { code, output } = await npx(tgz, empty, [
        "--",
        "--env-file",
        "staging.env",
        "--explore",
        "--runs",
        "3",
        "--steps",
        "8",
        "--out",
        join(tmp, "explore"),
      ]);
      assert.equal(code, 0, output);
    });

    await t.step(
      "every fixture against a served reference, destructive ones last, with every reporter: exit 0",
      async () => {
        const { code, output } = await npx(tgz, empty, [
          "--env-file",
          "staging.env",
          "--allow-destructive",
          "--reporter",
          "pretty,json,junit,html",
          "--out",
          "reports",
        ]);
        assert.equal(code, 0, output);
        assert.match(output, / 0 failed, .*: exit 0/);
        assert.match(output, new RegExp(`^Running \\d+ cases of suite ${SUITE_VERSION.replaceAll(".", "\\.")} `, "m"));
        const json = JSON.parse(await Deno.readTextFile(join(empty, "reports", "conformance.json")));
        assert.equal(json.versions.suite, SUITE_VERSION);
        for (const file of ["junit.xml", "report.html"]) {
          assert.ok((await Deno.readTextFile(join(empty, "reports", file))).includes(SUITE_VERSION), file);
        }
      },
    );

    // The vendor's folder holds what the vendor put there and the reports asked for: nothing of the suite.
    const left = [];
    for await (const entry of Deno.readDir(empty)) left.push(entry.name);
    assert.deepEqual(left.sort(), ["reports", "staging.env"]);
  } finally {
    await reference.close();
    await broken.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

globalThis.addEventListener("unload", () => {
  if (packed) packed.then((path) => Deno.removeSync(join(path, ".."), { recursive: true }), () => {});
});

Deno.test("the package holds what ships and nothing that only proves the suite", async () => {
  const out = await new Deno.Command("tar", { args: ["-tzf", await tarball()], stdout: "piped" }).output();
  const files = new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).map((f) =>
    f.replace(/^package\//, "")
  );
  for (const shipped of ["bin/setchat-conformance.mjs", "conformance/mod.ts", "dist/widget.js", "CHANGELOG.md"]) {
    assert.ok(files.includes(shipped), `${shipped} is in the package`);
  }
  assert.ok(files.some((f) => f.startsWith("fixtures/") && f.endsWith(".json")), "the fixtures are in the package");
  for (const f of files) {
    assert.doesNotMatch(
      f,
      /^(conformance\/proof|independent\/(?!widget\/deno\.json)|mutation|bench)\/|_test(_utils)?\.ts$/,
      f,
    );
  }
});

/** The inputs and outputs vendors drive the action with. */
const ACTION_INPUTS = [
  "target",
  "env-file",
  "profile",
  "shard",
  "browser",
  "reporters",
  "expected-failures",
  "strict",
  "no-skips",
];
const ACTION_OUTPUTS = ["exit-code", "reports", "json", "junit", "html"];

Deno.test("action.yml follows GitHub's metadata rules, and its inputs reach the script only as variables", async () => {
  const action = await readAction();
  for (const input of ACTION_INPUTS) assert.ok(action.inputs?.[input], `input ${input}`);
  for (const output of ACTION_OUTPUTS) assert.ok(action.outputs?.[output], `output ${output}`);
  const ids = new Set(action.runs.steps.map((s) => s.id).filter((id) => id !== undefined));
  assert.equal(ids.size, action.runs.steps.filter((s) => s.id !== undefined).length, "step ids are unique");
  const script = action.runs.steps.map((s) => s.run ?? "").join("\n");
  for (const [name, output] of Object.entries(action.outputs ?? {})) {
    const [, step, key] = /^\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}$/.exec(output.value) ?? [];
    assert.ok(step && ids.has(step), `output ${name} maps a step's output`);
    assert.match(script, new RegExp(`echo "${key}=`), `the script writes ${key}`);
  }
  for (const step of action.runs.steps) {
    // A `${{ }}` inside a script is pasted into the shell as code: inputs go through `env` instead.
    assert.doesNotMatch(step.run ?? "", /\$\{\{/, "no expression in a script");
    for (const [name, value] of Object.entries(step.env ?? {})) {
      for (const [, expression] of String(value).matchAll(/\$\{\{\s*(.*?)\s*\}\}/g)) {
        const input = /^inputs\.([\w-]+)$/.exec(expression!)?.[1];
        assert.ok(
          expression === "github.action_path" || (input !== undefined && action.inputs?.[input]),
          `${name}: ${expression}`,
        );
      }
    }
  }
});

Deno.test("CompositeActionMetadata refuses what GitHub refuses", () => {
  const valid = {
    name: "n",
    description: "d",
    runs: { using: "composite", steps: [{ run: "true", shell: "bash" }] },
  };
  assert.ok(CompositeActionMetadata.safeParse(valid).success);
  const broken: [string, unknown][] = [
    ["no description", { ...valid, description: undefined }],
    ["a run step without a shell", { ...valid, runs: { using: "composite", steps: [{ run: "true" }] } }],
    ["a step with run and uses", {
      ...valid,
      runs: { using: "composite", steps: [{ run: "true", shell: "bash", uses: "a/b@v1" }] },
    }],
    ["an input without a description", { ...valid, inputs: { x: { required: false } } }],
    ["an input id starting with a digit", { ...valid, inputs: { "1x": { description: "d" } } }],
    ["a default that is not a string", { ...valid, inputs: { x: { description: "d", default: 1 } } }],
    ["an output without a value", { ...valid, outputs: { x: { description: "d" } } }],
    ["another runtime", { ...valid, runs: { using: "node20", main: "x.js" } }],
    ["an unknown key", { ...valid, input: {} }],
    ["a colour GitHub lacks", { ...valid, branding: { color: "pink" } }],
  ];
  for (const [why, metadata] of broken) assert.ok(!CompositeActionMetadata.safeParse(metadata).success, why);
});

Deno.test("the action's step runs the packed suite: outputs the exit code and the reports, annotates failures", async (t) => {
  const tgz = await tarball();
  const tmp = await Deno.makeTempDir({ prefix: "setchat-action-" });
  const reference = await startInProcessTarget();
  const broken = await startInProcessTarget(MUTANTS.find((m) => m.name === "accepts-alg-none")!.options());
  // The job's environment: the runner's tools, and the target's credentials as secrets would set them.
  const base = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([k]) => ["PATH", "HOME", "SETCHAT_CHROMIUM"].includes(k)),
  );
  try {
    const referenceEnv = await envFileOf(reference, join(tmp, "reference.env"));
    const brokenEnv = await envFileOf(broken, join(tmp, "broken.env"));

    await t.step("against the reference: exit-code 0, the three reports' paths", async () => {
      const { code, output, outputs } = await runAction(
        { "env-file": referenceEnv, "no-skips": "false", package: `file:${tgz}`, args: "--exclude-tag\ndestructive" },
        { cwd: tmp, env: base },
      );
      assert.equal(code, 0, output);
      assert.equal(outputs["exit-code"], "0");
      assert.equal(outputs.reports, "reports");
      for (
        const [name, file] of [["json", "conformance.json"], ["junit", "junit.xml"], ["html", "report.html"]] as const
      ) {
        assert.equal(outputs[name], join(tmp, "reports", file));
        await Deno.stat(outputs[name]!);
      }
    });

    await t.step("against a broken build: exit-code 1, an ::error annotation naming the case", async () => {
      const { code, output, outputs } = await runAction(
        {
          target: broken.apiUrl,
          "env-file": brokenEnv,
          reporters: "pretty,json",
          out: "broken",
          package: `file:${tgz}`,
        },
        { cwd: tmp, env: base },
      );
      assert.equal(code, 1, output);
      assert.equal(outputs["exit-code"], "1");
      assert.equal(outputs.json, join(tmp, "broken", "conformance.json"));
      assert.equal(outputs.junit, "", "no JUnit report was asked for");
      assert.match(output, /^::error title=token-alg-none/m);
    });

    await t.step("a flag that is neither true nor false stops the run before it starts", async () => {
      const { code, output } = await runAction({ strict: "yes", package: `file:${tgz}` }, { cwd: tmp, env: base });
      assert.equal(code, 2, output);
      assert.match(output, /Cannot use strict: 'yes' is neither true nor false/);
    });
  } finally {
    await reference.close();
    await broken.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
