/**
 * The suite judged on an implementation it was not built with: the
 * independent server (`independent/`: the S2S, widget and agent surfaces),
 * written from the contract alone with other legitimate choices, and each bug
 * planted in it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { BUG_NAMES, startIndependentServer } from "../../independent/server.ts";
import { main } from "../cli.ts";
import { loadFixtures } from "../fixtures.ts";
import { needsOf } from "../runner.ts";
import {
  independentVerdictMarkdown,
  PLANTED,
  plantedKillTable,
  plantedKillTableMarkdown,
  runAgainstIndependent,
} from "./kill_table.ts";
import { docSection, formatMarkdown } from "../../tools/docs.ts";

Deno.test("the independent implementation passes every surface it declares, nothing skipped for want, no known failures", async () => {
  const server = await startIndependentServer();
  const dir = await Deno.makeTempDir();
  try {
    const envFile = join(dir, "staging.env");
    const keyFile = join(dir, "signing-key.json");
    await Deno.writeTextFile(keyFile, JSON.stringify(server.signingJwk));
    const env = { ...server.env, SETCHAT_SIGNING_KEY_FILE: keyFile };
    await Deno.writeTextFile(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n"));
    const out = join(dir, "reports");
    const lines: string[] = [];
    const { exitCode, run } = await main(
      [
        "--env-file",
        envFile,
        "--allow-destructive",
        "--no-skips",
        "--reporter",
        "pretty,json,junit,html",
        "--out",
        out,
      ],
      (l) => lines.push(l),
    );
    assert.equal(exitCode, 0, lines.join("\n"));
    assert.deepEqual(run!.profile.surfaces, ["s2s", "widget", "agent"], "the surfaces its discovery document declares");
    assert.equal(run!.checks.must.failed, 0);
    assert.ok(run!.checks.must.passed > 1500, `${run!.checks.must.passed} must checks`);
    assert.ok(run!.counts.warning > 0, "its own choices (plain JSON errors, 400 for a foreign site) warn");
    assert.equal(run!.checks.reference.passed + run!.checks.reference.failed, 0, "no reference check is held");
    assert.ok(run!.counts["not-in-profile"] > 0);
    // What it does not declare is not applicable, and said so: its widget script, and a clock a test can move (the
    // cases that need one say so); everything else ran.
    const skipped = run!.results.filter((r) => r.status === "skipped");
    const script = skipped.filter((r) => r.id === "meta-widget-script");
    assert.equal(script.length, 1);
    assert.match(script[0]!.reason!, /^not applicable: the target declares no widget script/);
    const cases = await loadFixtures(new URL("../../fixtures", import.meta.url).pathname);
    const clockCases = new Set(cases.filter((c) => needsOf(c).includes("clock")).map((c) => c.id));
    for (const r of skipped.filter((r) => r !== script[0])) {
      assert.ok(clockCases.has(r.id), `${r.id} skipped: ${r.reason}`);
      assert.match(r.reason!, /^not applicable: the target's clock cannot be moved/);
    }
    for (
      const id of [
        "rot-list-no-plaintext",
        "token-resigned-other-tenant",
        "rot-revoked-minter",
        "ses-device-other-site",
      ]
    ) {
      assert.ok(["passed", "warning"].includes(run!.results.find((r) => r.id === id)!.status), id);
    }
    assert.equal(
      await docSection("independent-verdict"),
      (await formatMarkdown(independentVerdictMarkdown(exitCode, run!.results))).trim(),
      "the independent implementation's verdict in docs/conformance.md is stale: run `deno task docs`",
    );
    // The new server token is found where the discovery document says, and the report names the field.
    const rotate = run!.results.find((r) => r.id === "rot-rotate-revoke")!.steps.find((s) => s.name === "rotate")!;
    assert.ok(
      rotate.checks!.some((c) => c.check.startsWith(`new server token at "credential.secret"`) && c.ok),
      JSON.stringify(rotate.checks),
    );
    // Every rotation and revocation case ran to its end.
    for (const id of ["rot-rotate-revoke", "rot-two-rotations", "rot-cross-tenant", "rot-revoke-own-tenant-only"]) {
      const r = run!.results.find((x) => x.id === id)!;
      assert.ok(["passed", "warning"].includes(r.status), `${id}: ${r.status} ${r.reason ?? ""}`);
      assert.ok(r.steps.every((s) => s.ok), `${id} stopped early`);
    }
    // The closing notes say, tenant by tenant, which tokens the run knows are active.
    const notes = run!.notes.join("\n");
    assert.match(
      notes,
      new RegExp(`1 of the \\d+ server tokens this run knows for tenant ${server.env.SETCHAT_TENANT_ID} is active`),
    );
    assert.match(notes, new RegExp(`for the other tenant ${server.env.SETCHAT_FOREIGN_TENANT_ID} is active`));
    assert.match(notes, /\(the one deployed, say\), is revoked/);
    // Its credentials have their own shape: none may reach a report.
    const recovery = await Deno.readTextFile(join(out, "recovery.env"));
    const secrets = [
      server.env.SETCHAT_SERVER_TOKEN,
      server.env.SETCHAT_ADMIN_TOKEN,
      server.env.SETCHAT_FOREIGN_ADMIN_TOKEN,
      // recovery.env single-quotes each token.
      ...recovery.split("\n").filter((l) => l.startsWith("SETCHAT_")).map((l) => /^\w+='(.+)'$/.exec(l)![1]!),
    ];
    assert.ok(secrets.length >= 6);
    for (const f of ["conformance.json", "junit.xml", "report.html", "recovery.env"]) {
      assert.equal((await Deno.stat(join(out, f))).mode! & 0o777, 0o600, `${f} is readable by others`);
      if (f === "recovery.env") continue;
      const text = await Deno.readTextFile(join(out, f));
      for (const s of secrets) assert.ok(!text.includes(s), `${f} shows a credential (${s.slice(0, 6)}…)`);
    }
    const printed = lines.join("\n");
    for (const s of secrets) assert.ok(!printed.includes(s), `the terminal shows a credential (${s.slice(0, 6)}…)`);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a target without a discovery document gets the s2s profile, and the report says what was left out", async () => {
  const server = await startIndependentServer({ discovery: false });
  try {
    const lines: string[] = [];
    const env = (name: string) => (server.env as unknown as Record<string, string>)[name];
    const { exitCode, run } = await main(["--tag", "smoke"], { print: (l) => lines.push(l), env });
    assert.equal(exitCode, 0, lines.join("\n"));
    assert.equal(run!.profile.name, "s2s");
    assert.match(run!.profile.source, /serves no \/\.well-known\/setchat\.json/);
    assert.match(lines.join("\n"), /Left out: the widget, agent, browser surfaces/);
    assert.ok(run!.results.some((r) => r.status === "not-in-profile"));
    // What it does not declare is not applicable to it, even on a surface it has: no token claims another tenant.
    const dir = await Deno.makeTempDir();
    try {
      const keyFile = join(dir, "key.json");
      await Deno.writeTextFile(keyFile, JSON.stringify(server.signingJwk));
      const withKey = (name: string) => name === "SETCHAT_SIGNING_KEY_FILE" ? keyFile : env(name);
      const attack = await main(["--profile", "full", "--filter", "token-resigned-other-tenant", "--out", dir], {
        print: () => {},
        env: withKey,
      });
      const result = attack.run!.results[0]!;
      assert.equal(result.status, "skipped");
      assert.match(result.reason!, /^not applicable: the target declares no tenant claim/);
      assert.equal(attack.exitCode, 2, "nothing ran");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await server.close();
  }
});

Deno.test("every bug planted in the independent implementation makes the run exit 1 through the case that names it", async () => {
  assert.deepEqual(Object.keys(PLANTED).sort(), [...BUG_NAMES].sort(), "every planted bug names its case");
  const kills = await plantedKillTable();
  assert.ok(kills.filter((k) => k.level === "must").length >= 20);
  for (const k of kills) {
    if (k.level === "must") {
      assert.equal(k.exitCode, 1, `${k.bug} (${k.description}): exit ${k.exitCode}`);
      assert.equal(k.namedStatus, "failed", `${k.bug}: ${k.named} is ${k.namedStatus}`);
    } else {
      assert.equal(k.namedStatus, "warning", `${k.bug}: ${k.named} is ${k.namedStatus}`);
      assert.equal(k.strictExitCode, 1, `${k.bug}: exit ${k.strictExitCode} with --strict`);
    }
  }
  assert.equal(
    await docSection("planted-kills"),
    (await formatMarkdown(plantedKillTableMarkdown(kills))).trim(),
    "the planted-bug table of docs/conformance.md is stale: run `deno task docs`",
  );
});

Deno.test("two bugs at once are both caught", async () => {
  const { exitCode, results, close } = await runAgainstIndependent(["sub-case-folded", "stale-node-cache"]);
  try {
    assert.equal(exitCode, 1);
    for (const id of ["s2s-sub-exact", "rot-rotate-revoke"]) {
      assert.equal(results.find((r) => r.id === id)?.status, "failed", id);
    }
  } finally {
    await close();
  }
});

Deno.test("named node by node, the independent implementation passes, and its node-local bugs fail every time", async () => {
  const run = async (bugs: ("stale-node-cache" | "node-local-signing-key")[]) => {
    await using server = await startIndependentServer({ bugs });
    const env = (name: string) => (server.env as unknown as Record<string, string>)[name];
    const targets = server.nodeUrls.flatMap((url) => ["--target", url]);
    const dir = await Deno.makeTempDir();
    try {
      const lines: string[] = [];
      const args = [...targets, "--profile", "s2s", "--allow-destructive", "--out", dir];
      const result = await main(args, { print: (l) => lines.push(l), env });
      return { ...result, text: lines.join("\n") };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  const correct = await run([]);
  assert.equal(correct.exitCode, 0, correct.text);
  assert.equal(correct.run!.nodes?.length, 2);
  // The dispatcher's round robin spreads requests as they come; naming the nodes fixes which node answers which step.
  for (
    const [bug, id] of [["stale-node-cache", "rot-rotate-revoke"], [
      "node-local-signing-key",
      "s2s-mint-signature",
    ]] as const
  ) {
    const broken = await run([bug]);
    assert.equal(broken.exitCode, 1, `${bug}: ${broken.text}`);
    assert.equal(broken.run!.results.find((r) => r.id === id)?.status, "failed", `${bug}: ${id}`);
  }
});

Deno.test("without a discovery document, the new server token is the one string of the rotate answer that mints", async () => {
  await using server = await startIndependentServer({ discovery: false });
  const dir = await Deno.makeTempDir();
  try {
    const env = (name: string) => (server.env as unknown as Record<string, string>)[name];
    const lines: string[] = [];
    const { exitCode, run } = await main(
      ["--filter", "rot-rotate-returns-token-once", "--allow-destructive", "--out", dir],
      { print: (l) => lines.push(l), env },
    );
    assert.equal(exitCode, 0, lines.join("\n"));
    const steps = run!.results[0]!.steps;
    const found = steps.flatMap((s) => s.checks ?? []).filter((c) => c.check.startsWith("new server token at"));
    assert.deepEqual(
      found.map((c) => c.check),
      Array(2).fill(`new server token at "credential.secret" (the one string of the answer that mints)`),
    );
    // It never reaches a report: the reproduction takes it from the field the run found.
    const recovery = await Deno.readTextFile(join(dir, "recovery.env"));
    assert.match(recovery, /SETCHAT_SERVER_TOKEN='sk_/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
