import assert from "node:assert/strict";
import { SUITE_VERSION, VERSIONS } from "./version.ts";
import suitePackage from "../package.json" with { type: "json" };
import { CONTRACT_VERSION } from "../src/contract/meta.ts";

const ROOT = new URL("../", import.meta.url);
const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

Deno.test("SUITE_VERSION is the npm package's, in semver", () => {
  assert.equal(SUITE_VERSION, suitePackage.version);
  assert.match(SUITE_VERSION, SEMVER);
  assert.deepEqual(VERSIONS, { suite: SUITE_VERSION, contract: CONTRACT_VERSION });
});

Deno.test("CHANGELOG.md starts with this version, and its versions only go down", async () => {
  const headings = [...(await Deno.readTextFile(new URL("CHANGELOG.md", ROOT))).matchAll(/^## (.+)$/gm)].map((m) =>
    m[1]!
  );
  assert.equal(headings[0], SUITE_VERSION, "the changelog says what this version changes");
  const numbers = headings.map((h) => {
    const parts = SEMVER.exec(h);
    assert.ok(parts, `"${h}" is a version`);
    return [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  });
  for (let i = 1; i < numbers.length; i++) {
    const [a, b] = [numbers[i - 1]!, numbers[i]!];
    const order = a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
    assert.ok(order > 0, `${headings[i - 1]} comes after ${headings[i]}`);
  }
});

Deno.test("the docs pin the package and the action at this major version", async () => {
  const major = SUITE_VERSION.split(".")[0]!;
  const files = ["README.md", "CHANGELOG.md"];
  for await (const e of Deno.readDir(new URL("docs/", ROOT))) if (e.name.endsWith(".md")) files.push(`docs/${e.name}`);
  let pins = 0;
  for (const file of files) {
    const whole = await Deno.readTextFile(new URL(file, ROOT));
    // The changelog's entries are history: what 1.3.0 told vendors to run stays as it was. Its preamble is current.
    const text = file === "CHANGELOG.md" ? whole.split(/^## /m)[0]! : whole;
    for (const [pin, version] of text.matchAll(/@setchat\/conformance@([\w.]+)|setchat-identity@v([\w.]+)/g)) {
      const v = version ?? pin.split("@v")[1]!;
      pins++;
      assert.equal(v.split(".")[0], major, `${file}: ${pin} pins another major version than ${SUITE_VERSION}`);
    }
  }
  assert.ok(pins > 0, "the docs show how to pin the suite");
});
