import assert from "node:assert/strict";
import { renderDocs } from "./docs.ts";

Deno.test("the docs' generated sections match the code (run `deno task docs` to update)", async () => {
  for (const { file, text, rendered } of await renderDocs()) assert.equal(rendered, text, file.pathname);
});

const ROOT = new URL("../", import.meta.url);

/** README, CONTRIBUTING and every page under docs/. */
async function docFiles(): Promise<URL[]> {
  const files = [new URL("README.md", ROOT), new URL("CONTRIBUTING.md", ROOT)];
  for await (const e of Deno.readDir(new URL("docs/", ROOT))) {
    if (e.isFile && e.name.endsWith(".md")) files.push(new URL(`docs/${e.name}`, ROOT));
  }
  return files;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replaceAll(" ", "-");
}

function anchorsIn(text: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(anchorOf(m[1]!));
  }
  return out;
}

Deno.test("every relative link of the docs reaches a file, and its #anchor a heading of that file", async () => {
  const broken: string[] = [];
  for (const file of await docFiles()) {
    const text = await Deno.readTextFile(file);
    const prose = text.replace(/```[\s\S]*?```/g, "");
    for (const [, href] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(href!)) continue;
      const [path, anchor] = href!.split("#");
      const target = path ? new URL(path, file) : file;
      const stat = await Deno.stat(target).catch(() => undefined);
      if (!stat) {
        broken.push(`${file.pathname.slice(ROOT.pathname.length)}: ${href} (no such file)`);
        continue;
      }
      if (anchor && stat.isFile && !anchorsIn(await Deno.readTextFile(target)).has(anchor)) {
        broken.push(`${file.pathname.slice(ROOT.pathname.length)}: ${href} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
