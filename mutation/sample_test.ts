import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { SAMPLE, type SampleMutant, switched } from "./sample.ts";
import { startInProcessTarget } from "../conformance/target.ts";
import { launchChromium } from "../conformance/browser/chromium.ts";
import { runBrowserScenarios } from "../conformance/browser/run.ts";
import { SCENARIOS } from "../conformance/browser/scenarios.ts";
import { buildWidgetMutant } from "../conformance/proof/widget_mutants.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SKIPPED = new Set([".git", "reports", ".stryker-tmp", "node_modules", ".setchat", "docs"]);

/** A copy of the repository, to patch without touching the one tests run from. */
async function copyRepository(to: string): Promise<void> {
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const from = join(dir, e.name);
      const rel = relative(ROOT, from);
      if (SKIPPED.has(rel) || e.name.endsWith(".kv")) continue;
      if (e.isDirectory) {
        await Deno.mkdir(join(to, rel), { recursive: true });
        await walk(from);
      } else if (e.isFile) {
        await Deno.copyFile(from, join(to, rel));
      }
    }
  };
  await walk(ROOT);
}

const describe = (m: SampleMutant) => `${m.name} (${m.mutator}: ${m.original} -> ${m.replacement})`;

Deno.test("the sample holds a few dozen mutants across the rooms, each with the cases that catch it", () => {
  const server = SAMPLE.filter((m) => !m.file.startsWith("widget/"));
  assert.ok(server.length >= 24, `${server.length} server mutants`);
  const rooms = new Set(server.map((m) => m.file.slice(0, m.file.lastIndexOf("/"))));
  for (const room of ["src/domain", "src/identity", "src/http", "src/http/routes", "src/store"]) {
    assert.ok(rooms.has(room), `no sample mutant in ${room}`);
  }
  assert.equal(new Set(SAMPLE.map((m) => m.name)).size, SAMPLE.length, "names are unique");
  for (const m of SAMPLE) assert.ok(m.caughtBy.length > 0, `${m.name} names no case`);
});

Deno.test("every server mutant of the sample is caught by the cases that caught it in the mutation run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "setchat-sample-" });
  try {
    await copyRepository(dir);
    const server = SAMPLE.filter((m) => !m.file.startsWith("widget/"));
    for (const file of new Set(server.map((m) => m.file))) {
      const path = join(dir, file);
      await Deno.writeTextFile(path, switched(await Deno.readTextFile(path), server.filter((m) => m.file === file)));
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "mutation/sample_worker.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const runs = text.trim().split("\n").map((l) => JSON.parse(l) as { name: string | null; failed: string[] });
    assert.deepEqual(runs[0], { name: null, failed: [] }, "with no mutant switched on, every case passes");
    const survivors = runs.slice(1).filter((r) => r.failed.length === 0).map((r) => r.name);
    assert.deepEqual(
      survivors.map((name) => describe(SAMPLE.find((m) => m.name === name)!)),
      [],
      "these mutants now pass the cases that caught them: a check was removed or weakened",
    );
    assert.equal(runs.length, server.length + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every widget mutant of the sample is caught by the browser scenarios that caught it", async () => {
  const widget = SAMPLE.filter((m) => m.file.startsWith("widget/"));
  assert.ok(widget.length >= 3, `${widget.length} widget mutants`);
  const target = await startInProcessTarget();
  const browser = await launchChromium();
  try {
    for (const m of widget) {
      const script = await buildWidgetMutant({
        name: m.name.replace(/[^\w-]+/g, "-"),
        bug: describe(m),
        breaks: "LOGOUT",
        file: m.file.slice("widget/".length),
        patches: [[m.original, m.replacement]],
      });
      const scenarios = SCENARIOS.filter((s) => m.caughtBy.includes(s.id));
      assert.equal(scenarios.length, m.caughtBy.length, `${m.name} names a scenario that does not exist`);
      const results = await runBrowserScenarios({ target, browser, scenarios, widgetScript: script, concurrency: 2 });
      // As the mutation run counts it: in the reference profile, a reference widget's choice broken is a kill too.
      assert.ok(
        results.some((r) => r.status === "failed" || r.status === "deviation"),
        `${describe(m)} passes the scenarios that caught it`,
      );
    }
  } finally {
    await browser.close();
    await target.close();
  }
});
