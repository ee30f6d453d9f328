import assert from "node:assert/strict";
import { renderReadme } from "./docs.ts";

Deno.test("README.md's generated sections match the code (run `deno task docs` to update)", async () => {
  const text = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.equal(await renderReadme(text), text);
});
