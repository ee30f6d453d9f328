/**
 * The runner's room as its layout states it: what ships is apart from what
 * proves it, and the reference is loaded only when a run asks for it.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface ModuleInfo {
  specifier: string;
  dependencies?: { isDynamic?: boolean; code?: { specifier?: string }; type?: { specifier?: string } }[];
}

/** The files `entry` loads before it runs anything: its static imports, transitively, relative to the root. */
async function staticGraph(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { roots: string[]; modules: ModuleInfo[] };
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const stack = [...info.roots];
  while (stack.length) {
    const specifier = stack.pop()!;
    if (seen.has(specifier) || !modules.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of modules.get(specifier)!.dependencies ?? []) {
      if (dep.isDynamic) continue;
      if (dep.code?.specifier) stack.push(dep.code.specifier);
    }
  }
  const root = new URL(`file://${ROOT}`).href;
  return [...seen].filter((s) => s.startsWith(root)).map((s) => s.slice(root.length));
}

Deno.test("the runner loads the contract and itself only: the reference waits until a run asks for it", async () => {
  const files = await staticGraph("conformance/mod.ts");
  assert.ok(files.includes("conformance/runner.ts") && files.includes("src/contract/meta.ts"), files.join("\n"));
  const outside = files.filter((f) => !/^(conformance\/(?!proof\/)|src\/contract\/|package\.json$)/.test(f));
  assert.deepEqual(outside, [], "the runner's static imports reach the reference, its tools or the proof");
});

Deno.test("nothing the runner ships imports what proves it", async () => {
  for await (const entry of Deno.readDir(new URL("../conformance/proof/", import.meta.url))) {
    assert.ok(entry.isFile && entry.name.endsWith(".ts"), `conformance/proof/ holds modules only: ${entry.name}`);
  }
  const shipped = (await staticGraph("conformance/mod.ts")).filter((f) => f.startsWith("conformance/"));
  for (const file of shipped) {
    const text = await Deno.readTextFile(`${ROOT}${file}`);
    assert.doesNotMatch(text, /from "[./]*proof\//, `${file} imports from conformance/proof/`);
  }
});
