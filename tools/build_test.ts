import assert from "node:assert/strict";
import { bundle } from "./build.ts";

Deno.test("the widget bundle stays under 20 KB gzipped and carries no zod", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const built = await bundle({ entry: "widget/mod.ts", output: "widget.js" }, {
      outputRoot: new URL(`file://${dir}/`),
    });
    assert.ok(built.gzipBytes < 20 * 1024, `${built.gzipBytes} bytes gzipped`);
    const text = await Deno.readTextFile(`${dir}/widget.js`);
    assert.ok(text.includes("SetChat"));
    assert.ok(!/\bZodError\b|zod\.dev/.test(text), "the schemas were bundled: the widget must import types only");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
