/**
 * The suite as a vendor installs it: the npm package, packed as `npm publish`
 * would upload it, run with npx from an empty folder that holds no clone, against
 * servers it reaches over HTTP only.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MUTANTS } from "./mutants.ts";
import { startInProcessTarget, type Target } from "./target.ts";
import { ENV_NAMES, type TargetVariable } from "./variables.ts";
import { SUITE_VERSION } from "./version.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

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
  const tarball = await pack(tmp);
  const empty = join(tmp, "vendor");
  await Deno.mkdir(empty);
  const reference = await startInProcessTarget();
  const algNone = MUTANTS.find((m) => m.name === "accepts-alg-none")!;
  const broken = await startInProcessTarget(algNone.options());
  try {
    await envFileOf(reference, join(empty, "staging.env"));
    const brokenEnv = await envFileOf(broken, join(tmp, "broken.env"));

    await t.step("--version names the package's version and the contract's", async () => {
      const { code, output } = await npx(tarball, empty, ["--version"]);
      assert.equal(code, 0, output);
      assert.match(
        output,
        new RegExp(`SetChat conformance suite ${SUITE_VERSION.replaceAll(".", "\\.")}, checking contract `),
      );
    });

    await t.step("an env file that is not there: the runner says so, exit 2", async () => {
      const { code, output } = await npx(tarball, empty, ["--", "--env-file", "missing.env"]);
      assert.equal(code, 2, output);
      assert.match(output, /missing\.env/);
      assert.doesNotMatch(output, /^node:/m);
    });

    await t.step("a broken build that accepts alg none: exit 1, the case that catches it named", async () => {
      const { code, output } = await npx(tarball, empty, ["--", "--env-file", brokenEnv, "--out", join(tmp, "broken")]);
      assert.equal(code, 1, output);
      assert.match(output, /✗ .*alg-none/);
    });

    await t.step("a browser scenario, on Chromium, against the served reference's widget", async () => {
      const { code, output } = await npx(tarball, empty, [
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
      const { code, output } = await npx(tarball, empty, [
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
        const { code, output } = await npx(tarball, empty, [
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
