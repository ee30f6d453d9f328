/**
 * Deliberately broken widgets: each is the reference widget with a few exact
 * lines changed, bundled apart. A patch whose lines are not found exactly
 * once is an error, so a change to the widget cannot quietly disarm one.
 */
import { join } from "node:path";
import { bundle } from "../../tools/build.ts";
import type { ClauseId } from "../clauses.ts";

/** One broken widget. */
export interface WidgetMutant {
  name: string;
  bug: string;
  breaks: ClauseId;
  /** The file of `widget/` the patches change. */
  file: string;
  /** Exact text of that file and what replaces it. */
  patches: [find: string, replace: string][];
}

/** The gallery of broken widgets. */
export const WIDGET_MUTANTS: WidgetMutant[] = [
  {
    name: "reset-keeps-device",
    bug: "`reset()` clears the panel but neither ends the session nor forgets the device credential",
    breaks: "LOGOUT",
    file: "session.ts",
    patches: [
      ["    this.#storage?.forget();\n", ""],
      ["    if (api && toEnd) await api.endSession(toEnd).catch(() => {});\n", ""],
    ],
  },
  {
    name: "keeps-history-after-identity-loss",
    bug: "Keeps showing the history it had when the visitor's identity is lost",
    breaks: "WIDGET-IDENTITY-LOST",
    file: "session.ts",
    patches: [[
      "    this.#effects.clearData();\n    this.#state = transition(this.#state, event);\n",
      "",
    ]],
  },
  {
    name: "falls-back-to-anonymous",
    bug: "Starts an anonymous session when the visitor's identity is lost",
    breaks: "WIDGET-IDENTITY-LOST",
    file: "session.ts",
    patches: [[
      "    this.#effects.changed();\n" +
      '    if (this.#state.name === "identity-lost") this.#effects.emit("identity-lost", { reason: this.#state.reason });\n',
      "    void this.open(undefined, false);\n",
    ]],
  },
];

const ROOT = new URL("../../", import.meta.url);

/** Applies the patches to `text`; throws unless each fragment is found exactly once. */
export function applyPatches(text: string, mutant: WidgetMutant): string {
  let out = text;
  for (const [find, replace] of mutant.patches) {
    const count = out.split(find).length - 1;
    if (count !== 1) {
      throw new Error(`Cannot build the broken widget "${mutant.name}": its patch matches ${count} times, not once`);
    }
    out = out.replace(find, replace);
  }
  return out;
}

async function copyTree(from: URL, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile && entry.name.endsWith(".ts")) {
      await Deno.copyFile(new URL(entry.name, from), join(to, entry.name));
    }
  }
}

/** Bundles a broken widget; returns its script. */
export async function buildWidgetMutant(mutant: WidgetMutant): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `setchat-widget-${mutant.name}-` });
  try {
    await copyTree(new URL("widget/", ROOT), join(dir, "widget"));
    await copyTree(new URL("src/contract/", ROOT), join(dir, "src", "contract"));
    const file = join(dir, "widget", mutant.file);
    await Deno.writeTextFile(file, applyPatches(await Deno.readTextFile(file), mutant));
    await bundle({ entry: join(dir, "widget", "mod.ts"), output: join(dir, "widget.js") });
    return await Deno.readTextFile(join(dir, "widget.js"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
