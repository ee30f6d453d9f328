import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { actionArguments } from "../tools/action_metadata.ts";
import { main, parseCli, shardCases, SUITE_VERSION } from "./cli.ts";
import { annotations } from "./annotations.ts";
import { loadFixtures } from "./fixtures.ts";
import { MUTANTS } from "./proof/mutants.ts";
import type { CaseResult, RunResult } from "./runner.ts";
import { RotationLog } from "./recovery.ts";
import { ENV_NAMES } from "./variables.ts";
import { missingTargetUrl, startInProcessTarget, type Target } from "./target.ts";

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

Deno.test("a target setting without a target URL stops the run with exit 2 and names it, never a green run of the reference", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const noUrl = join(dir, "staging.env");
    await Deno.writeTextFile(noUrl, "SETCHAT_SERVER_TOKEN=sk_live\nSETCHAT_SITE_API_KEY=pk_live\n");
    const env = (vars: Record<string, string>) => (name: string) => vars[name];
    const runs: [string, string[], Record<string, string>, RegExp][] = [
      ["an env file without a URL", ["--env-file", noUrl], {}, /though the env file .*staging\.env is given/],
      ["an empty URL variable", [], { SETCHAT_API_URL: "" }, /SETCHAT_API_URL is set but empty/],
      // What CI gives for a variable it does not have, beside the secrets it does.
      [
        "an empty list of nodes",
        [],
        { SETCHAT_API_URLS: "", SETCHAT_SERVER_TOKEN: "x" },
        /SETCHAT_API_URLS is set but/,
      ],
      ["a credential variable", [], { SETCHAT_SERVER_TOKEN: "x" }, /though SETCHAT_SERVER_TOKEN is set/],
      ["a credential flag", ["--server-token", "x"], {}, /though --server-token is given/],
      ["an explored target", ["--explore", "--env-file", noUrl], {}, /staging\.env is given/],
    ];
    for (const [what, args, vars, named] of runs) {
      const { exitCode, lines } = await cli([...args, "--tag", "smoke", "--out", dir], env(vars));
      assert.equal(exitCode, 2, `${what}: ${lines.join("\n")}`);
      assert.equal(lines.length, 1, `${what}: one sentence`);
      assert.match(lines[0]!, /^Cannot run: there is no target URL, though /);
      assert.match(lines[0]!, named, what);
      assert.match(lines[0]!, /set SETCHAT_API_URL .* or give --target/, `${what}: the missing setting is named`);
    }
    // A URL in the environment beside an empty list is a target: the empty variable is not the only setting.
    assert.equal(
      missingTargetUrl({
        flags: {},
        env: env({ SETCHAT_API_URLS: "", SETCHAT_API_URL: "http://a.example" }),
        envFile: {},
      }),
      undefined,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with nothing naming a target, every report says in its first line that the bundled reference was judged", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { exitCode, lines } = await cli(["--tag", "smoke", "--reporter", "pretty,json,junit,html", "--out", out]);
    assert.equal(exitCode, 0, lines.join("\n"));
    const said = /the reference, in process \(http:\/\/127\.0\.0\.1:\d+\), as no target was named/;
    assert.match(lines[0]!, said);
    for (const file of ["conformance.json", "junit.xml", "report.html"]) {
      const first = (await Deno.readTextFile(join(out, file))).split("\n")[0]!;
      assert.match(first, said, `${file}: ${first}`);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("several --env-file flags add up in order, a later file winning", async () => {
  const target = await startInProcessTarget();
  const dir = await Deno.makeTempDir();
  try {
    const base = join(dir, "base.env");
    const secrets = join(dir, "secrets.env");
    // The first file names the target with a stale token; the second brings the live one.
    await Deno.writeTextFile(
      base,
      `SETCHAT_API_URL=${target.apiUrl}\nSETCHAT_SITE_API_KEY=${target.vars.siteApiKey}\n` +
        `SETCHAT_SERVER_TOKEN=${target.vars.adminToken}\n`,
    );
    await Deno.writeTextFile(secrets, `SETCHAT_SERVER_TOKEN=${target.vars.serverToken}\n`);
    const args = ["--tag", "smoke", "--exclude-tag", "destructive", "--profile", "s2s", "--out", dir];
    const inOrder = await cli(["--env-file", base, "--env-file", secrets, ...args]);
    assert.equal(inOrder.exitCode, 0, inOrder.text);
    assert.match(inOrder.lines[0]!, new RegExp(`against ${target.apiUrl.replaceAll(".", "\\.")}$`, "m"));
    const reversed = await cli(["--env-file", secrets, "--env-file", base, ...args]);
    assert.equal(reversed.exitCode, 2);
    assert.match(reversed.text, /^Cannot run: the server token does not mint/);
  } finally {
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a .setchat/dev.env where the runner starts gives no run its target nor its credentials", async () => {
  // `deno task serve` writes .setchat/dev.env; a run started beside it must not change, nor send its tokens anywhere.
  const target = await startInProcessTarget();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, ".setchat"));
    const devEnv = Object.entries(ENV_NAMES).map(([name, variable]) =>
      `${variable}=${target.vars[name as keyof typeof ENV_NAMES] ?? ""}`
    );
    await Deno.writeTextFile(
      join(dir, ".setchat", "dev.env"),
      [`SETCHAT_API_URL=${target.apiUrl}`, ...devEnv].join("\n"),
    );
    const runner = (env: Record<string, string>) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", new URL("./mod.ts", import.meta.url).pathname, "--tag", "smoke", "--out", "r"],
        cwd: dir,
        env: { ...env, NO_COLOR: "1" },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
    // A target named without its credentials is refused, not completed from the file.
    const named = await runner({ SETCHAT_API_URL: target.apiUrl, PATH: Deno.env.get("PATH") ?? "" });
    const namedText = new TextDecoder().decode(named.stdout);
    assert.equal(named.code, 2, namedText + new TextDecoder().decode(named.stderr));
    assert.match(namedText, /^Cannot run: SETCHAT_SERVER_TOKEN is not set/);
    // Nothing named: the bundled reference in process, as the first line says, not the target of the file.
    const none = await runner({ PATH: Deno.env.get("PATH") ?? "" });
    const noneText = new TextDecoder().decode(none.stdout);
    assert.equal(none.code, 0, noneText + new TextDecoder().decode(none.stderr));
    assert.match(noneText.split("\n")[0]!, /against the reference, in process .*as no target was named/);
  } finally {
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The conformance commands of a Markdown page's workflows, with the variables each job maps from CI: the `run:`
 * commands, and the runs of this repository's action, with the arguments its step makes of each `with:`.
 */
async function workflowRuns(markdown: string): Promise<{ args: string[]; variables: string[] }[]> {
  const runs: { args: string[]; variables: string[] }[] = [];
  for (const [, yaml] of markdown.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const variables = [...yaml!.matchAll(/^\s*(SETCHAT_\w+): \$\{\{[^}]*\}\}/gm)].map((m) => m[1]!);
    const workflow = parseYaml(yaml!) as { jobs?: Record<string, { steps?: { uses?: string; with?: object }[] }> };
    for (const job of Object.values(workflow.jobs ?? {})) {
      for (const step of job.steps ?? []) {
        if (!/\/setchat-identity@/.test(step.uses ?? "")) continue;
        const inputs = Object.fromEntries(
          Object.entries(step.with ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{\{ matrix\.shard \}\}/g, "1")]),
        );
        const args = await actionArguments(inputs);
        if (!args.some((a) => a === "--merge" || a === "--version")) runs.push({ args, variables });
      }
    }
    const lines = yaml!.split("\n");
    for (const [i, line] of lines.entries()) {
      const run = /^(\s*)(?:- )?run: (.*)$/.exec(line);
      if (!run) continue;
      // `run: >-` folds the lines indented under it into one command.
      let command = run[2]!;
      if (command === ">-") {
        const indent = run[1]!.length;
        const folded = [];
        for (const next of lines.slice(i + 1)) {
          if (next.search(/\S/) <= indent + 2) break;
          folded.push(next.trim());
        }
        command = folded.join(" ");
      }
      if (!command.includes("task conformance") || /--(version|merge)\b/.test(command)) continue;
      const args = command.slice(command.indexOf("task conformance") + "task conformance".length)
        .replace(/\$\{\{ matrix\.shard \}\}/g, "1").split(/\s+/).filter((a) => a !== "" && a !== "--");
      runs.push({ args, variables });
    }
  }
  return runs;
}

Deno.test("the documented CI workflows stop with exit 2 when CI leaves their target unset, never pass on the reference", async () => {
  const out = await Deno.makeTempDir();
  try {
    const root = new URL("../docs/", import.meta.url);
    const runs = [
      ...await workflowRuns(await Deno.readTextFile(new URL("ci.md", root))),
      ...await workflowRuns(await Deno.readTextFile(new URL("conformance.md", root))),
    ];
    assert.ok(runs.length >= 3, `${runs.length} workflow runs found`);
    for (const { args, variables } of runs) {
      assert.ok(variables.some((v) => v.startsWith("SETCHAT_API_URL")), `${args.join(" ")}: no target URL mapped`);
      // CI passes an unset variable or secret as an empty string.
      const unset = (name: string) => (variables.includes(name) ? "" : undefined);
      const outArgs = args.map((a, i) => (args[i - 1] === "--out" ? join(out, a) : a));
      const { exitCode, lines } = await cli(outArgs, unset);
      assert.equal(exitCode, 2, `${args.join(" ")}: ${lines.join("\n")}`);
      assert.match(lines[0]!, /^Cannot run: there is no target URL, though SETCHAT_API_URLS? is set but empty/);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the documented deploy step reads recovery.env's quoted tokens back as they were returned", async () => {
  const ci = await Deno.readTextFile(new URL("../docs/ci.md", import.meta.url));
  const step = /- name: Deploy the server tokens[\s\S]*?run: \|\n((?: {10}.*\n)+)/.exec(ci);
  assert.ok(step, "no deploy step in docs/ci.md");
  const script = step[1]!.split("\n").map((l) => l.slice(10)).join("\n");
  const dir = await Deno.makeTempDir();
  try {
    const log = new RotationLog({
      file: join(dir, "reports", "destructive", "recovery.env"),
      tenantId: "ten_a",
      foreignTenantId: "ten_b",
      target: "https://staging.example",
    });
    await log.record({ caseId: "rot-a", tenantId: "ten_a", token: "sk_first+/=", expected: true });
    await log.record({ caseId: "rot-b", tenantId: "ten_b", token: "~sk_foreign", expected: true });
    await log.settle("ten_a", "sk_active~.-_");
    // A stand-in for the GitHub CLI, which the step calls to deploy each token.
    await Deno.mkdir(join(dir, "bin"));
    await Deno.writeTextFile(join(dir, "bin", "gh"), '#!/bin/sh\nprintf "%s|" "$@" >> gh.log\necho >> gh.log\n', {
      mode: 0o755,
    });
    const out = await new Deno.Command("bash", {
      args: ["-euo", "pipefail", "-c", script],
      cwd: dir,
      env: { PATH: `${join(dir, "bin")}:${Deno.env.get("PATH") ?? ""}` },
      clearEnv: true,
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.deepEqual((await Deno.readTextFile(join(dir, "gh.log"))).trim().split("\n"), [
      "secret|set|SETCHAT_SERVER_TOKEN|--body|sk_active~.-_|",
      "secret|set|SETCHAT_FOREIGN_SERVER_TOKEN|--body|~sk_foreign|",
    ]);
    await assert.rejects(Deno.stat(join(dir, "reports", "destructive", "recovery.env")), "the file is deleted");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
