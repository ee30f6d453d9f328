/** The reports as people and CI read them: the HTML page in a real browser, on a desk and on a phone, and JUnit. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { launchChromium } from "./browser/chromium.ts";
import { loadFixtures } from "./fixtures.ts";
import { namedProfile } from "./levels.ts";
import { MUTANTS } from "./proof/mutants.ts";
import { toHtml, toJUnit } from "./reporters.ts";
import { runSuite } from "./runner.ts";
import { startInProcessTarget } from "./target.ts";
import { SUITE_VERSION } from "./version.ts";
import { CONTRACT_VERSION } from "../src/contract/meta.ts";

Deno.test("the HTML report puts failures first, filters by search, and fits a phone's width", async () => {
  const target = await startInProcessTarget(MUTANTS.find((m) => m.name === "merges-by-email")!.options());
  const dir = await Deno.makeTempDir();
  const browser = await launchChromium();
  try {
    const cases = (await loadFixtures(new URL("../fixtures", import.meta.url).pathname))
      .filter((c) => c.tags.includes("no-merge") || c.tags.includes("rotation"));
    const run = await runSuite({ target, cases, profile: namedProfile("reference", "test") });
    const file = join(dir, "report.html");
    await Deno.writeTextFile(file, toHtml(run));
    for (const width of [1280, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`file://${file}`);
      const rows = page.locator("tr[data-status]");
      assert.equal(await rows.first().getAttribute("data-status"), "failed", "a failure comes first");
      // Evaluated in the page: typed loosely, since this file is checked without the DOM's types.
      const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") as number;
      assert.ok(overflow <= 0, `${width} px: the page scrolls sideways by ${overflow} px`);
      const idWidth = (await rows.first().locator("code").first().boundingBox())!.width;
      assert.ok(idWidth > 150, `${width} px: the case id is squeezed to ${idWidth} px`);
      await page.fill("#q", "rot-rotate-revoke");
      assert.equal(await page.locator("tr[data-status]:not([hidden])").count(), 1);
      await page.fill("#q", "no such case anywhere");
      assert.equal(await page.locator("tr[data-status]:not([hidden])").count(), 0);
      assert.ok(await page.locator("#none").isVisible(), "an empty search says so");
      await page.close();
    }
  } finally {
    await browser.close();
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JUnit names the suite's and the contract's versions, shows warnings, and leaves out cases outside the profile", async () => {
  const target = await startInProcessTarget(MUTANTS.find((m) => m.name === "cacheable-tokens")!.options());
  try {
    const cases = (await loadFixtures(new URL("../fixtures", import.meta.url).pathname))
      .filter((c) => c.id === "s2s-mint-minimal" || c.id === "vis-verified-other-device" || c.id === "meta-openapi");
    const run = await runSuite({ target, cases, profile: namedProfile("s2s", "test") });
    assert.deepEqual(run.results.map((r) => r.status).sort(), ["not-in-profile", "not-in-profile", "warning"]);
    const junit = toJUnit(run);
    assert.equal((junit.match(/<testcase /g) ?? []).length, 1, "only the case the profile holds");
    assert.ok(!junit.includes("<skipped"), "no case outside the profile is a skip");
    assert.match(junit, /<testsuites [^>]*tests="1" failures="0" skipped="0"/);
    assert.match(junit, new RegExp(`<property name="suite.version" value="${SUITE_VERSION.replaceAll(".", "\\.")}"/>`));
    assert.match(junit, new RegExp(`<property name="contract.version" value="${CONTRACT_VERSION}"/>`));
    assert.match(junit, /<property name="not-in-profile" value="2"\/>/);
    assert.match(junit, /<property name="warnings" value="1"\/>/);
    assert.match(junit, /<property name="warning" value="step 1 \(mint\): \[should\] header cache-control[^"]*"\/>/);
    assert.match(junit, /<system-out>warning\n/);
    const html = toHtml(run);
    assert.match(
      html,
      new RegExp(`SetChat conformance suite ${SUITE_VERSION.replaceAll(".", "\\.")}, checking contract`),
    );
    assert.match(
      html.split("\n")[0]!,
      /<title>SetChat conformance of the reference, in process .*\(suite [\d.]+, contract/,
    );
  } finally {
    await target.close();
  }
});
