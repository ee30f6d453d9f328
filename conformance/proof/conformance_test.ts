import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../cli.ts";
import { FixtureError, type LoadedCase, loadFixtures } from "../fixtures.ts";
import { killTable, killTableMarkdown } from "./kill_table.ts";
import { declaredProfile, namedProfile } from "../levels.ts";
import { MUTANTS } from "./mutants.ts";
import { Redactor } from "../redact.ts";
import { toHtml, toJson, toJUnit } from "../reporters.ts";
import { exitCodeOf, movesClock, needsOf, runSuite } from "../runner.ts";
import { parseEnvFile, startInProcessTarget } from "../target.ts";
import { docSection, formatMarkdown, formatText } from "../../tools/docs.ts";
import { fixtureSchemaText, GENERATED_INPUTS, generatedInputsText } from "../../tools/fixture_schema.ts";

const cases = await loadFixtures("fixtures");

Deno.test("the fixtures load, cover every clause, and their JSON Schema file is up to date", async () => {
  assert.ok(cases.length >= 150, `${cases.length} cases`);
  const { CLAUSE_IDS } = await import("../clauses.ts");
  const { SCENARIOS } = await import("../browser/scenarios.ts");
  const { BROWSER_CHECKS } = await import("../browser/judge.ts");
  const checked = new Set([...cases, ...SCENARIOS, ...Object.values(BROWSER_CHECKS)].map((c) => c.clause));
  for (const clause of CLAUSE_IDS) assert.ok(checked.has(clause), `no case or scenario checks ${clause}`);
  assert.equal(
    await Deno.readTextFile("fixtures/fixture.schema.json"),
    await formatText(fixtureSchemaText(), "json"),
    "fixtures/fixture.schema.json is stale: run `deno task docs`",
  );
  assert.equal(
    await Deno.readTextFile(GENERATED_INPUTS),
    await formatText(generatedInputsText(), "json"),
    "fixtures/generated_inputs.json is stale: run `deno task docs`",
  );
});

Deno.test("loadFixtures() refuses a level raised, a reference-only endpoint in a must step, and a must step reading a reference capture", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mint = { method: "POST", path: "/api/widget/visitor-token", auth: "{{serverToken}}", json: {} };
    const file = {
      suite: "x",
      cases: [
        {
          id: "raised",
          title: "t",
          clause: "S2S-MINT",
          tags: ["a"],
          level: "should",
          steps: [{ name: "s", level: "must", request: mint }],
        },
        {
          id: "openapi",
          title: "t",
          clause: "META",
          tags: ["a"],
          steps: [{ name: "s", request: { method: "GET", path: "/openapi.json" } }],
        },
        {
          id: "leak",
          title: "t",
          clause: "META",
          tags: ["a"],
          steps: [
            {
              name: "r",
              level: "reference",
              request: { method: "GET", path: "/api/version" },
              capture: { v: "version" },
            },
            { name: "m", request: { ...mint, json: { v: "{{v}}" } } },
          ],
        },
        {
          id: "block",
          title: "t",
          clause: "S2S-MINT",
          tags: ["a"],
          level: "should",
          steps: [{ name: "s", request: mint, expect: { should: { status: 400 } } }],
        },
      ],
    };
    await Deno.writeTextFile(join(dir, "f.json"), JSON.stringify(file));
    const error = await loadFixtures(dir).then(() => undefined, (e) => e);
    assert.ok(error instanceof FixtureError);
    const text = error.message;
    assert.match(text, /cases\.0\.steps\.0 \("s"\): level "must" is above its case's "should"/);
    assert.match(text, /cases\.1\.steps\.0 \("s"\): \/openapi\.json exists only in the reference/);
    assert.match(text, /cases\.2\.steps\.1 \("m"\): uses \{\{v\}\}, which only a reference step captures/);
    assert.match(text, /cases\.3\.steps\.0 \("s"\): a "should" block needs a must step/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the whole suite passes against the reference at every level, nothing skipped", async () => {
  const target = await startInProcessTarget();
  try {
    const run = await runSuite({ target, cases });
    const other = run.results.filter((r) => r.status !== "passed");
    assert.deepEqual(other.map((r) => `${r.id} (${r.status}): ${r.reason}`), []);
    for (const level of ["must", "should", "reference"] as const) {
      assert.equal(run.checks[level].failed, 0);
      assert.ok(run.checks[level].passed > 100, `${level}: ${run.checks[level].passed} checks`);
    }
    assert.equal(exitCodeOf({ ...run, strict: true }), 0);
  } finally {
    await target.close();
  }
});

Deno.test("every broken build of the reference is caught by at least one case, as the docs' kill table says", async () => {
  const kills = await killTable();
  assert.equal(kills.length, MUTANTS.length);
  assert.ok(kills.length >= 28);
  for (const k of kills) assert.ok(k.caughtBy.length > 0, `${k.mutant} (${k.bug}) survives the suite`);
  const byName = new Map(kills.map((k) => [k.mutant, k]));
  // The four written outside the project, each by the case made for it.
  assert.ok(byName.get("reaches-across-sites")!.caughtBy.includes("vis-other-site-by-id"));
  assert.ok(byName.get("agent-reads-any-tenant")!.caughtBy.includes("agent-foreign-conversation"));
  assert.ok(byName.get("user-ids-case-insensitive")!.caughtBy.includes("vis-user-id-case"));
  assert.deepEqual(byName.get("same-jti")!.caughtBy, ["s2s-jti-unique"]);
  assert.equal(byName.get("same-jti")!.level, "should");
  const expected = (await formatMarkdown(killTableMarkdown(kills))).trim();
  assert.equal(
    await docSection("kills"),
    expected,
    "the kill table of docs/conformance.md is stale: run `deno task docs`",
  );
});

Deno.test("a should failure is a warning: the run exits 0, and 1 with --strict", async () => {
  const mutant = MUTANTS.find((m) => m.name === "cacheable-tokens")!;
  const target = await startInProcessTarget(mutant.options());
  try {
    const selected = cases.filter((c) => c.id === "s2s-mint-minimal");
    const run = await runSuite({ target, cases: selected, profile: namedProfile("s2s", "test") });
    assert.equal(run.results[0]!.status, "warning");
    assert.match(run.results[0]!.reason!, /\[should\] header cache-control/);
    assert.equal(exitCodeOf(run), 0);
    assert.equal(exitCodeOf({ ...run, strict: true }), 1);
    assert.ok(run.results[0]!.curl, "a warning comes with its reproduction");
  } finally {
    await target.close();
  }
});

Deno.test("a case outside the profile is listed as not in profile, never failed or run", async () => {
  const target = await startInProcessTarget();
  try {
    const run = await runSuite({ target, cases, profile: namedProfile("s2s", "test") });
    const outside = run.results.filter((r) => r.status === "not-in-profile");
    assert.ok(outside.some((r) => r.id === "vis-verified-other-device" && /needs the widget surface/.test(r.reason!)));
    assert.ok(outside.some((r) => r.id === "meta-openapi" && /reference's own choices/.test(r.reason!)));
    assert.ok(outside.every((r) => r.steps.length === 0));
    assert.ok(run.results.filter((r) => r.status === "passed").every((r) => r.surfaces.every((s) => s === "s2s")));
    // A must step's reference check is not evaluated: no reference checks at all in this profile.
    assert.equal(run.checks.reference.passed + run.checks.reference.failed, 0);
    assert.equal(run.counts.failed, 0);
  } finally {
    await target.close();
  }
});

Deno.test("reports of a failing run hold a reproduction and no secret", async () => {
  const mutant = MUTANTS.find((m) => m.name === "merges-by-email")!;
  const target = await startInProcessTarget(mutant.options());
  try {
    const redactor = new Redactor();
    const run = await runSuite({ target, cases: cases.filter((c) => c.tags.includes("no-merge")), redactor });
    assert.equal(exitCodeOf(run), 1);
    const failed = run.results.find((r) => r.status === "failed")!;
    assert.match(failed.curl!, /curl -sS -w '\\n' -X POST "\$SETCHAT_API_URL"'\/api\/widget\/visitor-token'/);
    assert.match(failed.curl!, /Bearer '"\$SETCHAT_SERVER_TOKEN"/);
    assert.match(failed.curl!, /jq -r '\.sessionToken \/\/ empty'/);
    const reports = { json: toJson(run), junit: toJUnit(run), html: toHtml(run) };
    for (const [name, text] of Object.entries(reports)) {
      for (const secret of [target.vars.serverToken!, target.vars.adminToken!]) {
        assert.ok(!text.includes(secret), `${name} report shows a token`);
      }
      assert.ok(!/setchat_(wss|dev)_[0-9A-Za-z]{20}/.test(text), `${name} report shows a session or device credential`);
      assert.ok(!/eyJ[\w-]{20,}\.[\w-]{20,}\.[\w-]{20,}/.test(text), `${name} report shows a visitor token`);
      assert.match(text, /\bmust\b/, `${name} report does not show levels`);
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
  const mutant = MUTANTS.find((m) => m.name === "mints-for-foreign-site")!;
  const target = await startInProcessTarget(mutant.options());
  try {
    const selected = cases.filter((c) => ["s2s-site-of-another-tenant", "s2s-mint-minimal"].includes(c.id));
    const known = await runSuite({
      target,
      cases: selected,
      expectedFailures: new Map([["s2s-site-of-another-tenant", "a known bug"]]),
    });
    assert.deepEqual(known.results.map((r) => r.status).sort(), ["expected-failure", "passed"]);
    assert.equal(exitCodeOf(known), 0);
    const stale = await runSuite({
      target,
      cases: selected,
      expectedFailures: new Map([["s2s-site-of-another-tenant", "a known bug"], [
        "s2s-mint-minimal",
        "was broken once",
      ]]),
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
    target.vars.foreignAdminToken = undefined;
    target.signingKey = undefined;
    const run = await runSuite({ target, cases, allowDestructive: false });
    const reasons = new Map(run.results.filter((r) => r.status === "skipped").map((r) => [r.id, r.reason]));
    assert.equal(run.counts.failed, 0);
    assert.match(reasons.get("rot-list-no-plaintext")!, /needs SETCHAT_ADMIN_TOKEN/);
    assert.match(reasons.get("s2s-auth-foreign-admin-token")!, /needs SETCHAT_FOREIGN_ADMIN_TOKEN/);
    assert.match(reasons.get("token-resigned-expired")!, /not applicable: needs the target's private signing key/);
    assert.equal(reasons.get("token-alg-none"), undefined, "black-box attacks still run");
    assert.equal(exitCodeOf(run), 0);
  } finally {
    await target.close();
  }
});

Deno.test("every case that can change credentials on a broken target is destructive", () => {
  for (const c of cases) {
    const rotatesOrRevokes = c.steps.some((s) =>
      "request" in s && /\/s2s-token\/(rotate|revoke-previous)$/.test(s.request.path)
    );
    assert.equal(c.destructive, rotatesOrRevokes, `${c.id}: destructive is ${c.destructive}`);
    assert.equal(c.tags.includes("destructive"), c.destructive, `${c.id}: tag and flag differ`);
  }
});

Deno.test("the command line refuses broken fixtures, empty selections, bad flags and unreachable targets with exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "broken.json"),
      JSON.stringify({ suite: "x", cases: [{ id: "Bad Id", title: "t", clause: "NOPE", tags: ["a"], steps: [] }] }),
    );
    const lines: string[] = [];
    // An empty environment throughout: the developer's own SETCHAT_* variables never reach a test.
    const quiet = { print: () => {}, env: () => undefined };
    const broken = await main(["--fixtures", dir], { ...quiet, print: (l) => lines.push(l) });
    assert.equal(broken.exitCode, 2);
    const text = lines.join("\n");
    assert.match(text, /broken\.json: cases\.0\.id: must be kebab-case/);
    assert.match(text, /broken\.json: cases\.0\.clause/);
    assert.equal((await main(["--tag", "no-such-tag"], quiet)).exitCode, 2);
    assert.equal((await main(["--profile", "everything"], quiet)).exitCode, 2);
    assert.equal((await main(["--reporter", "xml"], quiet)).exitCode, 2);
    lines.length = 0;
    const unreachable = await main(
      ["--target", "http://127.0.0.1:9", "--server-token", "x", "--site-api-key", "y", "--timeout", "2000"],
      { print: (l) => lines.push(l), env: () => undefined },
    );
    assert.equal(unreachable.exitCode, 2);
    assert.deepEqual(lines.length, 1);
    assert.match(lines[0]!, /^Cannot reach http:\/\/127\.0\.0\.1:9/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--list and --help show levels, surfaces, profiles and tags", async () => {
  const lines: string[] = [];
  const quiet = { env: () => undefined };
  assert.equal((await main(["--list", "--profile", "s2s"], { ...quiet, print: (l) => lines.push(l) })).exitCode, 0);
  const text = lines.join("\n");
  assert.match(text, /^s2s-mint-minimal {2}\[S2S-MINT, must\]/m);
  assert.match(text, /^rot-rotate-revoke {2}\[ROT-REVOKE, must, destructive\]/m);
  assert.match(text, /^vis-verified-other-device .*not in profile: needs the widget surface/m);
  assert.match(text, /^Tags: .*destructive/m);
  lines.length = 0;
  await main(["--help"], { ...quiet, print: (l) => lines.push(l) });
  for (const word of ["--profile", "--strict", "s2s:", "full:", "reference:", "must", "should", "widget", "agent"]) {
    assert.ok(lines.join("\n").includes(word), `--help does not mention ${word}`);
  }
});

Deno.test("the preflight stops a run with mixed-up credentials before any case, in one sentence", async () => {
  const target = await startInProcessTarget();
  try {
    const { serverToken, adminToken, siteApiKey, tenantId } = target.vars;
    const env = (vars: Record<string, string | undefined>) => (name: string) => vars[name];
    const base = { SETCHAT_API_URL: target.apiUrl, SETCHAT_SITE_API_KEY: siteApiKey, SETCHAT_TENANT_ID: tenantId };
    const runWith = async (vars: Record<string, string | undefined>) => {
      const lines: string[] = [];
      const { exitCode } = await main(["--allow-destructive"], {
        print: (l) => lines.push(l),
        env: env({ ...base, ...vars }),
      });
      return { exitCode, lines };
    };
    // Swapped: the admin token where the server token goes, and back.
    const swapped = await runWith({ SETCHAT_SERVER_TOKEN: adminToken, SETCHAT_ADMIN_TOKEN: serverToken });
    assert.equal(swapped.exitCode, 2);
    assert.deepEqual(swapped.lines.length, 1);
    assert.match(swapped.lines[0]!, /^Cannot run: the server token does not mint a visitor token .* answered 401/);
    const same = await runWith({ SETCHAT_SERVER_TOKEN: serverToken, SETCHAT_ADMIN_TOKEN: serverToken });
    assert.match(same.lines[0]!, /^Cannot run: SETCHAT_ADMIN_TOKEN is the same as SETCHAT_SERVER_TOKEN/);
    assert.equal(same.exitCode, 2);
    const none = await runWith({});
    assert.match(none.lines[0]!, /^Cannot run: SETCHAT_SERVER_TOKEN is not set/);
    // Nothing was rotated: the tenant still has its one server token.
    const list = await fetch(`${target.apiUrl}/api/tenants/${tenantId}/widget-identity/s2s-tokens`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.equal((await list.json()).tokens.length, 1);
  } finally {
    await target.close();
  }
});

Deno.test("the suite passes against a separate `deno task serve`, destructive cases included, and says how to recover", async () => {
  const dir = await Deno.makeTempDir();
  const serve = new Deno.Command(Deno.execPath(), {
    args: ["task", "serve", "--port", "0", "--data", join(dir, "data"), "--log", "off", "--test-clock"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const envFile = join(dir, "data", "dev.env");
    // The task builds the widget before it starts: on a busy machine that takes a while.
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      try {
        if ((await Deno.readTextFile(envFile)).includes("SETCHAT_FOREIGN_ADMIN_TOKEN")) break;
      } catch { /* not written yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await Deno.readTextFile(envFile);
    const out = join(dir, "reports");
    const lines: string[] = [];
    const { exitCode, run } = await main(
      ["--env-file", envFile, "--allow-destructive", "--reporter", "pretty,json,junit,html", "--out", out],
      { print: (l) => lines.push(l), env: () => undefined },
    );
    assert.equal(exitCode, 0, lines.join("\n"));
    assert.equal(run!.profile.name, "reference", "the reference declares every surface and its own choices");
    assert.match(run!.profile.source, /declared by .*\/\.well-known\/setchat\.json/);
    const needKey = cases.filter((c) => needsOf(c).includes("signingKey")).length;
    assert.equal(run!.counts.skipped, needKey, "only the cases needing the private signing key are not applicable");
    assert.equal(run!.counts.failed + run!.counts.warning + run!.counts.deviation, 0);
    const recovery = join(out, "recovery.env");
    assert.equal((await Deno.stat(recovery)).mode! & 0o777, 0o600);
    // Each value is single-quoted, so that sourcing the file expands nothing in it.
    const rotated = (await Deno.readTextFile(recovery)).split("\n").filter((l) => l.startsWith("SETCHAT_")).map((l) =>
      /^\w+='([^']+)'$/.exec(l)![1]!
    );
    assert.ok(rotated.length >= 4, `${rotated.length} rotated tokens in recovery.env`);
    // Sourcing the file leaves each tenant's active token in effect: the run can go on with it.
    const sourced = parseEnvFile(await Deno.readTextFile(recovery));
    const again = await main(
      ["--env-file", envFile, "--server-token", sourced.SETCHAT_SERVER_TOKEN!, "--tag", "smoke", "--out", out],
      { print: () => {}, env: () => undefined },
    );
    assert.equal(again.exitCode, 0, "the last token of recovery.env mints");
    assert.match(run!.notes.join("\n"), /recovery\.env/);
    assert.match(
      run!.notes.join("\n"),
      /After the run, 1 of the \d+ server tokens this run knows for tenant .* is active/,
    );
    for (const f of ["conformance.json", "junit.xml", "report.html"]) {
      assert.equal((await Deno.stat(join(out, f))).mode! & 0o777, 0o600, `${f} is readable by others`);
      const text = await Deno.readTextFile(join(out, f));
      for (const line of before.split("\n").filter((l) => /TOKEN=/.test(l))) {
        assert.ok(!text.includes(line.split("=")[1]!), `${f} shows a token from dev.env`);
      }
      for (const token of rotated) assert.ok(!text.includes(token), `${f} shows a token the run rotated in`);
    }
  } finally {
    serve.kill("SIGTERM");
    await serve.status;
    await serve.stdout.cancel();
    await serve.stderr.cancel();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseCli() skips a leading --, which keeps Node.js from reading --env-file when run through npx", async () => {
  const { parseCli } = await import("../cli.ts");
  assert.deepEqual(parseCli(["--", "--env-file", "x.env", "--profile", "s2s"]).envFiles, ["x.env"]);
  assert.throws(() => parseCli(["--env-file", "x.env", "--", "--profile", "s2s"]), TypeError);
});

Deno.test("declaredProfile() follows what a discovery document declares", () => {
  const of = (surfaces: ("s2s" | "widget" | "agent" | "browser")[], referenceChoices = false) =>
    declaredProfile({ surfaces, referenceChoices }, "test");
  assert.equal(of(["s2s"]).name, "s2s");
  assert.equal(of(["s2s", "widget", "agent", "browser"]).name, "full");
  assert.equal(of(["s2s", "widget", "agent", "browser"], true).name, "reference");
  const partial = of(["widget"], true);
  assert.deepEqual([partial.name, partial.surfaces, partial.levels], ["declared", ["s2s", "widget"], [
    "must",
    "should",
  ]]);
});

Deno.test("a wait moves a clock the run can move instead of waiting, and waits on a target without one", async () => {
  const moves: unknown[] = [];
  const target = await startInProcessTarget({
    wrap: (next) => async (request, info) => {
      if (new URL(request.url).pathname === "/api/test/clock") moves.push(await request.clone().json());
      return await next(request, info);
    },
  });
  const base = cases.find((c) => !c.destructive)!;
  const wait = (waitMs: number): LoadedCase => ({
    ...base,
    id: "wait-for-a-day",
    steps: [{ name: "a day passes", waitMs, advanceSeconds: 86_400 }],
  });
  try {
    // Were the run to wait instead, this case would take ten seconds and move nothing.
    const moved = await runSuite({ target, cases: [wait(10_000)] });
    assert.equal(moved.counts.passed, 1);
    assert.deepEqual(moves, [{ advanceSeconds: 86_400 }, { reset: true }]);
    assert.ok(movesClock(wait(1)), "a case whose wait may move the clock runs alone");
    moves.length = 0;
    target.vars.adminToken = undefined;
    const waited = await runSuite({ target, cases: [wait(1)] });
    assert.equal(waited.counts.passed, 1);
    assert.deepEqual(moves, [], "a target whose clock the run cannot move is waited on");
  } finally {
    await target.close();
  }
});
