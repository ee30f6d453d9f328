/**
 * Part of `deno task test`: makes sure the programs the tests start are
 * there: Chromium for the browser checks, PostgreSQL's server programs for
 * the tests of the PostgreSQL store (which start a server of their own),
 * Node.js for the backend example written for it.
 * Installs what is missing from Debian's packages when it can (root, with
 * apt); otherwise stops the test command with what to install. It never skips
 * silently.
 */
import { findChromium, INSTALL_HINT } from "../conformance/browser/find_chromium.ts";
import { findPostgresBin, POSTGRES_INSTALL_HINT } from "../src/store/pg_test_utils.ts";

/** A program the tests need, and the Debian package it comes in. */
interface Program {
  name: string;
  /** Debian's package. */
  pkg: string;
  /** What needs it. */
  why: string;
  hint: string;
  /** Where it is, or nothing when it is missing. */
  find(): Promise<string | null | undefined>;
}

const PROGRAMS: Program[] = [
  {
    name: "Chromium",
    pkg: "chromium",
    why: "The browser checks need it",
    hint: INSTALL_HINT,
    find: () => findChromium(),
  },
  {
    name: "PostgreSQL",
    pkg: "postgresql",
    why: "The tests of the PostgreSQL store need it",
    hint: POSTGRES_INSTALL_HINT,
    // A server of the tester's own stands in for the programs.
    find: async () => Deno.env.get("SETCHAT_TEST_DATABASE_URL") ?? await findPostgresBin(),
  },
  {
    name: "Node.js",
    pkg: "nodejs",
    why: "The node:http backend example runs under it, as integrators run it",
    hint: "Install Node.js 18 or later (Debian: apt-get install nodejs), or put `node` on the PATH.",
    find: async () => (await run("sh", ["-c", "command -v node >/dev/null"])) ? "node" : null,
  },
];

async function run(cmd: string, args: string[]): Promise<boolean> {
  const out = await new Deno.Command(cmd, { args, stdout: "inherit", stderr: "inherit" }).output().catch(() =>
    undefined
  );
  return out?.success ?? false;
}

if (import.meta.main) {
  const configured = Deno.env.get("SETCHAT_CHROMIUM");
  if (configured && !(await findChromium())) {
    console.error(
      `SETCHAT_CHROMIUM is ${configured}, which is not a file: point it at a Chrome or Chromium executable.`,
    );
    Deno.exit(1);
  }
  const missing: Program[] = [];
  for (const p of PROGRAMS) if (!(await p.find())) missing.push(p);
  if (missing.length === 0) Deno.exit(0);
  const canApt = Deno.uid?.() === 0 && await run("sh", ["-c", "command -v apt-get >/dev/null"]);
  if (!canApt) {
    for (const p of missing) console.error(`${p.hint}. ${p.why}.`);
    Deno.exit(1);
  }
  const pkgs = missing.map((p) => p.pkg);
  console.log(`${missing.map((p) => p.name).join(" and ")} missing: installing Debian's ${pkgs.join(", ")}…`);
  // The postgresql package starts a cluster of its own; the tests never use it.
  const installed = await run("apt-get", ["update", "-qq"]) &&
    await run("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", ...pkgs]);
  let ok = installed;
  for (const p of missing) {
    const where = await p.find();
    if (where) console.log(`${p.name} installed: ${where}`);
    else {
      console.error(`Could not install ${p.name} with apt-get. ${p.hint}.`);
      ok = false;
    }
  }
  Deno.exit(ok ? 0 : 1);
}
