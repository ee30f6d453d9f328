import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "./cli.ts";
import { FixtureError, loadFixtures } from "./fixtures.ts";
import { killTable, killTableMarkdown } from "./kill_table.ts";
import { MUTANTS } from "./mutants.ts";
import { toHtml, toJson, toJUnit } from "./reporters.ts";
import { exitCodeOf, needsOf, runSuite } from "./runner.ts";
import { startInProcessTarget } from "./target.ts";
import { formatMarkdown, formatText } from "../tools/docs.ts";
import { fixtureSchemaText } from "../tools/fixture_schema.ts";

const cases = await loadFixtures("fixtures");

function readmeSection(text: string, name: string): string {
  const open = `<!-- generated:${name} -->`;
  return text.slice(text.indexOf(open) + open.length, text.indexOf(`<!-- /generated:${name} -->`)).trim();
}

Deno.test("the fixtures load, cover every clause, and their JSON Schema file is up to date", async () => {
  assert.ok(cases.length >= 80, `${cases.length} cases`);
  const { CLAUSE_IDS } = await import("./clauses.ts");
  const { SCENARIOS } = await import("./browser/scenarios.ts");
  const checked = new Set([...cases, ...SCENARIOS].map((c) => c.clause));
  for (const clause of CLAUSE_IDS) assert.ok(checked.has(clause), `no case or scenario checks ${clause}`);
  assert.equal(
    await Deno.readTextFile("fixtures/fixture.schema.json"),
    await formatText(fixtureSchemaText(), "json"),
    "fixtures/fixture.schema.json is stale: run `deno task docs`",
  );
});

Deno.test("the whole suite passes against the reference, nothing skipped", async () => {
  const target = await startInProcessTarget();
  try {
    const run = await runSuite({ target, cases });
    const failed = run.results.filter((r) => r.status !== "passed");
    assert.deepEqual(failed.map((r) => `${r.id}: ${r.reason}`), []);
    assert.equal(exitCodeOf(run), 0);
  } finally {
    await target.close();
  }
});

Deno.test("every broken build is caught by at least one case, as the README's kill table says", async () => {
  const kills = await killTable();
  assert.equal(kills.length, MUTANTS.length);
  assert.ok(kills.length >= 15);
  for (const k of kills) assert.ok(k.caughtBy.length > 0, `${k.mutant} (${k.bug}) survives the suite`);
  const readme = await Deno.readTextFile("README.md");
  const expected = (await formatMarkdown(killTableMarkdown(kills))).trim();
  assert.equal(readmeSection(readme, "kills"), expected, "README's kill table is stale: run `deno task docs`");
});

Deno.test("reports of a failing run hold a reproduction and no secret", async () => {
  const mutant = MUTANTS.find((m) => m.name === "merges-by-email")!;
  const target = await startInProcessTarget(mutant.options());
  try {
    const run = await runSuite({ target, cases: cases.filter((c) => c.tags.includes("no-merge")) });
    assert.equal(exitCodeOf(run), 1);
    const failed = run.results.find((r) => r.status === "failed")!;
    assert.match(failed.curl!, /curl -sS -X POST "\$SETCHAT_API_URL\/api\/widget\/visitor-token"/);
    assert.match(failed.curl!, /Bearer \$SETCHAT_SERVER_TOKEN/);
    assert.match(failed.curl!, /jq -r '\.sessionToken'/);
    const reports = { json: toJson(run), junit: toJUnit(run), html: toHtml(run) };
    for (const [name, text] of Object.entries(reports)) {
      for (const secret of [target.vars.serverToken!, target.vars.adminToken!]) {
        assert.ok(!text.includes(secret), `${name} report shows a token`);
      }
      assert.ok(!/setchat_(wss|dev)_[0-9A-Za-z]{20}/.test(text), `${name} report shows a session or device credential`);
      assert.ok(!/eyJ[\w-]{20,}\.[\w-]{20,}\.[\w-]{20,}/.test(text), `${name} report shows a visitor token`);
    }
    const junit = reports.junit;
    assert.equal(junit.match(/<testcase /g)!.length, run.results.length);
    assert.equal(junit.match(/<failure /g)!.length, run.counts.failed);
    assert.match(reports.html, new RegExp(failed.id));
    assert.equal(JSON.parse(reports.json).exitCode, 1);
  } finally {
    await target.close();
  }
});

Deno.test("known failures are checked both ways", async () => {
  const mutant = MUTANTS.find((m) => m.name === "cors-everywhere")!;
  const target = await startInProcessTarget(mutant.options());
  try {
    const selected = cases.filter((c) => ["s2s-no-cors", "s2s-mint-minimal"].includes(c.id));
    const known = await runSuite({
      target,
      cases: selected,
      expectedFailures: new Map([["s2s-no-cors", "CORS on purpose"]]),
    });
    assert.deepEqual(known.results.map((r) => r.status).sort(), ["expected-failure", "passed"]);
    assert.equal(exitCodeOf(known), 0);
    const stale = await runSuite({
      target,
      cases: selected,
      expectedFailures: new Map([["s2s-no-cors", "CORS on purpose"], ["s2s-mint-minimal", "was broken once"]]),
    });
    assert.equal(stale.results.find((r) => r.id === "s2s-mint-minimal")!.status, "unexpected-pass");
    assert.equal(exitCodeOf(stale), 1);
  } finally {
    await target.close();
  }
});

Deno.test("a case missing a credential or key is skipped with the reason, not failed", async () => {
  const target = await startInProcessTarget();
  try {
    target.vars.adminToken = undefined;
    target.signingKey = undefined;
    const run = await runSuite({ target, cases, allowDestructive: false });
    const reasons = new Map(run.results.filter((r) => r.status === "skipped").map((r) => [r.id, r.reason]));
    assert.equal(run.counts.failed, 0);
    assert.match(reasons.get("rot-list-no-plaintext")!, /needs SETCHAT_ADMIN_TOKEN/);
    assert.match(reasons.get("token-resigned-expired")!, /not applicable: needs the target's private signing key/);
    assert.equal(reasons.get("token-alg-none"), undefined, "black-box attacks still run");
    assert.equal(exitCodeOf(run), 0);
  } finally {
    await target.close();
  }
});

Deno.test("the command line refuses broken fixtures, empty selections and unreachable targets with exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "broken.json"),
      JSON.stringify({ suite: "x", cases: [{ id: "Bad Id", title: "t", clause: "NOPE", tags: ["a"], steps: [] }] }),
    );
    const lines: string[] = [];
    const broken = await main(["--fixtures", dir], (l) => lines.push(l));
    assert.equal(broken.exitCode, 2);
    const text = lines.join("\n");
    assert.match(text, /broken\.json: cases\.0\.id: must be kebab-case/);
    assert.match(text, /broken\.json: cases\.0\.clause/);
    await assert.rejects(loadFixtures(dir), FixtureError);
    assert.equal((await main(["--tag", "no-such-tag"], () => {})).exitCode, 2);
    const unreachable = await main(
      ["--target", "http://127.0.0.1:9", "--server-token", "x", "--timeout", "2000"],
      (l) => lines.push(l),
    );
    assert.equal(unreachable.exitCode, 2);
    assert.match(lines.at(-1)!, /Cannot reach http:\/\/127\.0\.0\.1:9/);
    assert.equal((await main(["--reporter", "xml"], () => {})).exitCode, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the suite passes against a separate `deno task serve`, destructive cases included, and says how to recover", async () => {
  const dir = await Deno.makeTempDir();
  const serve = new Deno.Command(Deno.execPath(), {
    args: ["task", "serve", "--port", "0", "--data", join(dir, "data")],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const envFile = join(dir, "data", "dev.env");
    for (let i = 0; i < 200; i++) {
      try {
        if ((await Deno.readTextFile(envFile)).includes("SETCHAT_FOREIGN_SITE_API_KEY")) break;
      } catch { /* not written yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await Deno.readTextFile(envFile);
    const out = join(dir, "reports");
    const lines: string[] = [];
    const { exitCode, run } = await main(
      ["--env-file", envFile, "--allow-destructive", "--reporter", "pretty,json,junit,html", "--out", out],
      (l) => lines.push(l),
    );
    assert.equal(exitCode, 0, lines.join("\n"));
    const needKey = cases.filter((c) => needsOf(c).includes("signingKey")).length;
    assert.equal(run!.counts.skipped, needKey, "only the cases needing the private signing key are not applicable");
    assert.equal(run!.counts.failed, 0);
    const rotated = await Deno.stat(join(out, "rotated-server-token.env"));
    const newToken = (await Deno.readTextFile(join(out, "rotated-server-token.env"))).trim().split("=")[1]!;
    assert.equal(rotated.mode! & 0o777, 0o600);
    assert.match(run!.notes.join("\n"), /rotated-server-token\.env/);
    for (const f of ["conformance.json", "junit.xml", "report.html"]) {
      const text = await Deno.readTextFile(join(out, f));
      for (const line of before.split("\n").filter((l) => /TOKEN=/.test(l))) {
        assert.ok(!text.includes(line.split("=")[1]!), `${f} shows a token from dev.env`);
      }
      assert.ok(!text.includes(newToken), `${f} shows the token the run rotated in`);
    }
  } finally {
    serve.kill("SIGTERM");
    await serve.status;
    await serve.stdout.cancel();
    await serve.stderr.cancel();
    await Deno.remove(dir, { recursive: true });
  }
});
