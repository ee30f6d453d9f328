import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "./cli.ts";

async function cli(args: string[]) {
  const lines: string[] = [];
  const { exitCode, run } = await main(args, { print: (l) => lines.push(l), env: () => undefined, terminal: false });
  return { exitCode, run, text: lines.join("\n") };
}

Deno.test("--shard runs apart and --merge makes them one run: one JUnit, one HTML page, one exit code", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shard = (i: number, ...more: string[]) =>
      cli(["--shard", `${i}/2`, "--reporter", "json", "--out", join(dir, `shard-${i}`), ...more]);
    const one = await shard(1);
    const two = await shard(2);
    assert.deepEqual([one.exitCode, two.exitCode], [0, 0], one.text + two.text);
    const total = one.run!.results.length + two.run!.results.length;
    const all = await cli(["--list"]);
    assert.match(all.text, new RegExp(`^${total} cases\\.`, "m"), "the two shards ran every case once");

    const merged = await cli(["--merge", dir, "--reporter", "json,junit,html", "--out", join(dir, "merged")]);
    assert.equal(merged.exitCode, 0, merged.text);
    assert.equal(merged.run!.results.length, total);
    assert.equal(merged.run!.counts.passed, one.run!.counts.passed + two.run!.counts.passed);
    assert.match(merged.text, /Merging 2 reports/);
    assert.match(merged.text, /Merged the 2 shards of one run\./);
    assert.match(merged.text, /Wrote .*merged\/junit\.xml/);
    const junit = await Deno.readTextFile(join(dir, "merged", "junit.xml"));
    assert.equal(junit.match(/<testcase /g)?.length, total);
    assert.match(await Deno.readTextFile(join(dir, "merged", "report.html")), new RegExp(`of ${total} cases shown`));

    // A failure in one shard fails the merged run.
    const path = join(dir, "shard-2", "conformance.json");
    const report = JSON.parse(await Deno.readTextFile(path));
    report.results[0].status = "failed";
    report.results[0].reason = "step 1 (mint): [must] status: expected 200, got 500";
    await Deno.writeTextFile(path, JSON.stringify(report));
    const failing = await cli(["--merge", join(dir, "shard-1"), path, "--reporter", "junit", "--out", join(dir, "m2")]);
    assert.equal(failing.exitCode, 1);
    assert.match(await Deno.readTextFile(join(dir, "m2", "junit.xml")), /<failure message="step 1 \(mint\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--merge refuses reports that are not one run, in one sentence and exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = (name: string) => join(dir, name);
    await cli(["--tag", "rotation", "--shard", "1/2", "--reporter", "json", "--out", out("a")]);
    await cli(["--tag", "rotation", "--shard", "2/2", "--profile", "s2s", "--reporter", "json", "--out", out("b")]);
    await Deno.writeTextFile(out("other.json"), JSON.stringify({ hello: "world" }));
    const refused = async (paths: string[], why: RegExp) => {
      const r = await cli(["--merge", ...paths, "--out", out("m")]);
      assert.equal(r.exitCode, 2, r.text);
      assert.match(r.text, why);
    };
    await refused([out("a")], /^Cannot merge: shard 2\/2 missing, so its cases did not run/);
    await refused([out("a"), join(out("a"), "conformance.json")], /^Cannot merge: shard 1\/2 is given twice \(.* and /);
    await refused([out("a"), out("b")], /^Cannot merge .*: its profile \(s2s: must, should\) is not the one of/);
    await refused([out("other.json")], /^Cannot merge .*other\.json: it is not a conformance\.json of this suite/);
    await refused([out("nothing-here")], /^Cannot merge .*nothing-here: no such file or folder/);
    await Deno.mkdir(out("empty"));
    await refused([out("empty")], /^Cannot merge: no conformance\.json found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--merge refuses shards of another selection or count, and reports of another target", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = (name: string) => join(dir, name);
    const run = (name: string, ...args: string[]) =>
      cli(["--tag", "rotation", "--reporter", "json", "--out", out(name), ...args]);
    await run("a1", "--shard", "1/2");
    await run("a2", "--shard", "2/2");
    await run("narrow2", "--shard", "2/2", "--exclude-tag", "policy");
    await run("three", "--shard", "3/3");
    const refused = async (paths: string[], why: RegExp) => {
      const r = await cli(["--merge", ...paths.map(out), "--out", out("m")]);
      assert.equal(r.exitCode, 2, r.text);
      assert.match(r.text, why);
    };
    await refused(["a1", "narrow2"], /it was made from another selection \(\d+ cases of suite [\d.]+\) than/);
    await refused(["a1", "a2", "three"], /it is shard 3\/3, and .* is shard 1\/2/);
    // A report of another target, made by hand from a real one.
    const other = JSON.parse(await Deno.readTextFile(join(out("a2"), "conformance.json")));
    other.target = "https://other.example.com";
    await Deno.mkdir(out("elsewhere"));
    await Deno.writeTextFile(join(out("elsewhere"), "conformance.json"), JSON.stringify(other));
    await refused(["a1", "elsewhere"], /it ran against https:\/\/other\.example\.com, and .* against the reference/);
    // A report of another suite.
    const older = JSON.parse(await Deno.readTextFile(join(out("a2"), "conformance.json")));
    older.versions = { suite: "0.9.0", contract: "1.0" };
    await Deno.mkdir(out("older"));
    await Deno.writeTextFile(join(out("older"), "conformance.json"), JSON.stringify(older));
    await refused(["a1", "older"], /it was made by suite 0\.9\.0, contract 1\.0, and .* by suite [\d.]+, contract/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--merge takes other reports beside the shards, and --strict and --no-skips hold against the whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = (name: string) => join(dir, name);
    const base = ["--tag", "s2s", "--reporter", "json"];
    await cli([...base, "--exclude-tag", "destructive", "--shard", "1/2", "--out", out("s1")]);
    await cli([...base, "--exclude-tag", "destructive", "--shard", "2/2", "--out", out("s2")]);
    const destructive = await cli(["--tag", "destructive", "--reporter", "json", "--out", out("d")]);
    const merged = await cli(["--merge", out("s1"), out("s2"), out("d"), "--out", out("m")]);
    assert.equal(merged.exitCode, 0, merged.text);
    assert.match(merged.text, /Merged the 2 shards of one run and 1 other report\(s\)\./);
    assert.ok(merged.run!.results.length > destructive.run!.results.length);
    // A warning in one shard (made by hand) fails the merged run once --strict asks.
    const path = join(out("s1"), "conformance.json");
    const report = JSON.parse(await Deno.readTextFile(path));
    report.results[0].status = "warning";
    report.results[0].reason = "step 1 (mint): [should] header: expected cache-control no-store";
    report.results[1].status = "skipped";
    report.results[1].reason = "needs SETCHAT_OTHER_SITE_API_KEY";
    await Deno.writeTextFile(path, JSON.stringify(report));
    const lenient = await cli(["--merge", out("s1"), out("s2"), "--out", out("m2")]);
    assert.equal(lenient.exitCode, 0);
    assert.equal((await cli(["--merge", out("s1"), out("s2"), "--strict", "--out", out("m3")])).exitCode, 1);
    assert.equal((await cli(["--merge", out("s1"), out("s2"), "--no-skips", "--out", out("m4")])).exitCode, 1);
    const mixed = await cli(["--merge", out("s1"), "--target", "http://x", "--out", out("m5")]);
    assert.equal(mixed.exitCode, 2);
    assert.match(mixed.text, /^Cannot use --target with --merge: a merge reads its reports only/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
