/** The HTML report as a person reads it: in a real browser, on a desk and on a phone. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { launchChromium } from "./browser/chromium.ts";
import { loadFixtures } from "./fixtures.ts";
import { namedProfile } from "./levels.ts";
import { MUTANTS } from "./mutants.ts";
import { toHtml } from "./reporters.ts";
import { runSuite } from "./runner.ts";
import { startInProcessTarget } from "./target.ts";

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
