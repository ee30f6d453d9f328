import assert from "node:assert/strict";
import { join } from "node:path";
import { main, parseCli, shardCases, SUITE_VERSION } from "./cli.ts";
import { annotations } from "./annotations.ts";
import { loadFixtures } from "./fixtures.ts";
import { MUTANTS } from "./mutants.ts";
import type { CaseResult, RunResult } from "./runner.ts";
import { ENV_NAMES } from "./variables.ts";
import { startInProcessTarget, type Target } from "./target.ts";

const FIXTURES = new URL("../fixtures", import.meta.url).pathname;

/** The target's settings as the environment a CI job would give. */
function envOf(target: Target, extra: Record<string, string> = {}): (name: string) => string | undefined {
  const env: Record<string, string | undefined> = { SETCHAT_API_URL: target.apiUrl };
  for (const [name, variable] of Object.entries(ENV_NAMES)) env[variable] = target.vars[name as keyof typeof ENV_NAMES];
  Object.assign(env, extra);
  return (name) => env[name];
}

async function cli(args: string[], env: (name: string) => string | undefined = () => undefined, terminal = false) {
  const lines: string[] = [];
  const { exitCode, run } = await main(args, { print: (l) => lines.push(l), env, terminal });
  return { exitCode, run, text: lines.join("\n"), lines };
}

Deno.test("shardCases() puts every case in exactly one shard, the same way whatever the order given", async () => {
  const cases = await loadFixtures(FIXTURES);
  for (const count of [1, 2, 3, 7]) {
    const parts = Array.from({ length: count }, (_, i) => shardCases(cases, { index: i + 1, count }));
    const ids = parts.flat().map((c) => c.id).sort();
    assert.deepEqual(ids, cases.map((c) => c.id).sort(), `${count} shards cover every case once`);
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${count} shards are balanced: ${sizes}`);
    const reversed = shardCases([...cases].reverse(), { index: 1, count }).map((c) => c.id).sort();
    assert.deepEqual(reversed, parts[0]!.map((c) => c.id).sort());
  }
});

Deno.test("parseCli() reads --shard I/N and refuses anything else, and takes paths only after --merge", () => {
  assert.deepEqual(parseCli(["--shard", "2/4"]).shard, { index: 2, count: 4 });
  for (const bad of ["0/4", "5/4", "2", "a/b", "1/0", "1/2/3"]) {
    assert.throws(() => parseCli(["--shard", bad]), /Cannot use --shard .*: write I\/N/);
  }
  assert.deepEqual(parseCli(["--merge", "a", "b"]).merge, ["a", "b"]);
  assert.throws(() => parseCli(["--merge"]), /give the reports/);
  assert.throws(() => parseCli(["reports"]), /only --merge takes/);
  assert.deepEqual(parseCli(["--target", "http://a", "--target", "http://b"]).target.targets, ["http://a", "http://b"]);
});

Deno.test("--version names the suite's and the contract's versions", async () => {
  const { exitCode, text } = await cli(["--version"]);
  assert.equal(exitCode, 0);
  assert.match(
    text,
    new RegExp(`^SetChat conformance suite ${SUITE_VERSION.replaceAll(".", "\\.")}, checking contract \\d`),
  );
});

Deno.test("the runner finds its own fixtures when started from another folder", async () => {
  const elsewhere = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", new URL("./mod.ts", import.meta.url).pathname, "--list", "--tag", "rotation"],
      cwd: elsewhere,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /rot-rotate-revoke/);
  } finally {
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("every reporter ends with the summary and the paths written; --reporter html alone too", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { exitCode, lines } = await cli(["--tag", "rotation", "--reporter", "html", "--out", out]);
    assert.equal(exitCode, 0);
    assert.ok(!lines.some((l) => l.startsWith("✓ ")), "no live line without the pretty reporter");
    assert.match(lines.at(-2)!, /passed, 0 failed, .*: exit 0$/);
    assert.equal(lines.at(-1), `Wrote ${join(out, "report.html")}`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("colours only on a terminal and never with NO_COLOR", async () => {
  const args = ["--tag", "rotation", "--filter", "rot-rotate-revoke"];
  const ESC = "\x1b[";
  assert.ok((await cli(args, () => undefined, true)).text.includes(`${ESC}32m`));
  assert.ok(!(await cli(args, (n) => (n === "NO_COLOR" ? "1" : undefined), true)).text.includes(ESC));
  assert.ok(!(await cli(args, () => undefined, false)).text.includes(ESC));
});

Deno.test("under GitHub Actions a failure is also an ::error annotation, and nowhere else", async () => {
  const mutant = MUTANTS.find((m) => m.name === "merges-by-email")!;
  const target = await startInProcessTarget(mutant.options());
  try {
    const env = envOf(target, { GITHUB_ACTIONS: "true" });
    const { exitCode, lines } = await cli(["--tag", "no-merge", "--profile", "reference"], env);
    assert.equal(exitCode, 1);
    const errors = lines.filter((l) => l.startsWith("::error "));
    assert.ok(errors.length >= 1, lines.join("\n"));
    assert.match(errors[0]!, /^::error title=vis-no-merge-[\w-]+ \(must%2C VIS-NO-MERGE\)::.+/);
    assert.ok(errors.every((l) => !l.includes("\n")));
    const quiet = await cli(["--tag", "no-merge", "--profile", "reference"], envOf(target));
    assert.ok(!quiet.lines.some((l) => l.startsWith("::")), "no annotation outside GitHub Actions");
  } finally {
    await target.close();
  }
});

Deno.test("annotations() escapes line breaks and percent signs, and strict runs make warnings errors", () => {
  const result = (status: CaseResult["status"]): CaseResult => ({
    id: `case-${status}`,
    title: "A title",
    clause: "X-Y",
    tags: [],
    file: "f.json",
    suite: "S",
    level: status === "warning" ? "should" : "must",
    surfaces: ["s2s"],
    status,
    reason: "100% wrong\nsecond line",
    durationMs: 1,
    steps: [],
  });
  const run = { strict: false, results: [result("warning"), result("passed"), result("failed")] } as RunResult;
  assert.deepEqual(annotations(run), [
    "::error title=case-failed (must%2C X-Y)::A title: 100%25 wrong%0Asecond line",
    "::warning title=case-warning (should%2C X-Y)::A title: 100%25 wrong%0Asecond line",
  ]);
  assert.ok(annotations({ ...run, strict: true }).every((l) => l.startsWith("::error")));
});

Deno.test("--no-skips fails a run that skipped a case for want of a credential, in every report", async () => {
  const target = await startInProcessTarget();
  const out = await Deno.makeTempDir();
  try {
    // The staging's env without the second site: the cases that need it are skipped.
    const env = envOf(target, { SETCHAT_OTHER_SITE_API_KEY: "" });
    const args = ["--tag", "s2s", "--exclude-tag", "destructive", "--out", out, "--reporter", "junit"];
    const lenient = await cli(args, env);
    assert.equal(lenient.exitCode, 0);
    assert.ok(lenient.run!.counts.skipped > 0, "some case needs SETCHAT_OTHER_SITE_API_KEY");
    const strict = await cli([...args, "--no-skips"], env);
    assert.equal(strict.exitCode, 1, strict.text);
    assert.match(strict.lines.at(-2)!, /no skips\): exit 1$/);
    assert.match(
      await Deno.readTextFile(join(out, "junit.xml")),
      /<failure message="needs SETCHAT_OTHER_SITE_API_KEY"/,
    );
    // Cases that cannot apply (no private signing key was given) stay skipped without failing.
    const attacks = await cli(
      ["--filter", "token-", "--exclude-tag", "destructive", "--no-skips", "--out", out],
      envOf(target),
    );
    assert.ok(attacks.run!.counts.skipped > 0, "some attack needs the signing key");
    assert.equal(attacks.exitCode, 0, attacks.text);
  } finally {
    await target.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a node named twice is refused, and the environment's URL wins over the env file's list", async () => {
  const dup = await cli(["--target", "http://127.0.0.1:9", "--target", "http://127.0.0.1:9/"]);
  assert.equal(dup.exitCode, 2);
  assert.match(dup.text, /^Cannot use the target http:\/\/127\.0\.0\.1:9 twice/);
  const { nodesOf } = await import("./target.ts");
  const nodes = nodesOf({
    flags: {},
    env: (n) => (n === "SETCHAT_API_URL" ? "http://env.example" : undefined),
    envFile: { SETCHAT_API_URLS: "http://a.example,http://b.example" },
  });
  assert.deepEqual(nodes, ["http://env.example"]);
});

Deno.test("under deno task, relative paths are read from the folder the command was typed in", async () => {
  const typedIn = await Deno.makeTempDir();
  try {
    const env = (n: string) => (n === "INIT_CWD" ? typedIn : undefined);
    const { exitCode } = await cli(["--tag", "smoke", "--reporter", "json", "--out", "reports-here"], env);
    assert.equal(exitCode, 0);
    assert.ok((await Deno.stat(join(typedIn, "reports-here", "conformance.json"))).isFile);
  } finally {
    await Deno.remove(typedIn, { recursive: true });
  }
});
