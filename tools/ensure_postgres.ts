/**
 * Part of `deno task test`: makes sure PostgreSQL's server programs are there
 * for the tests of the PostgreSQL store, which start a server of their own.
 * Installs Debian's package when it can (root, with apt); otherwise stops the
 * test command with what to install. It never skips silently. With
 * `SETCHAT_TEST_DATABASE_URL` set, the tests use that server instead.
 */
import { findPostgresBin, POSTGRES_INSTALL_HINT } from "../src/store/pg_test_utils.ts";

async function run(cmd: string, args: string[]): Promise<boolean> {
  const out = await new Deno.Command(cmd, { args, stdout: "inherit", stderr: "inherit" }).output().catch(() =>
    undefined
  );
  return out?.success ?? false;
}

if (import.meta.main) {
  if (Deno.env.get("SETCHAT_TEST_DATABASE_URL") || await findPostgresBin()) Deno.exit(0);
  const canApt = Deno.uid?.() === 0 && await run("sh", ["-c", "command -v apt-get >/dev/null"]);
  if (!canApt) {
    console.error(`${POSTGRES_INSTALL_HINT}. The tests of the PostgreSQL store need it.`);
    Deno.exit(1);
  }
  console.log("PostgreSQL is missing: installing Debian's package (apt-get install -y postgresql)…");
  // The package would start a cluster of its own; the tests never use it.
  const ok = await run("apt-get", ["update", "-qq"]) &&
    await run("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "postgresql"]);
  if (!ok || !(await findPostgresBin())) {
    console.error(`Could not install PostgreSQL with apt-get. ${POSTGRES_INSTALL_HINT}.`);
    Deno.exit(1);
  }
  console.log(`PostgreSQL installed: ${await findPostgresBin()}`);
}
