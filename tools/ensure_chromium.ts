/**
 * Part of `deno task test`: makes sure Chromium is there for the browser
 * checks. Installs Debian's package when it can (root, with apt); otherwise
 * stops the test command with what to install. It never skips silently.
 */
import { findChromium, INSTALL_HINT } from "../conformance/browser/find_chromium.ts";

async function run(cmd: string, args: string[]): Promise<boolean> {
  const out = await new Deno.Command(cmd, { args, stdout: "inherit", stderr: "inherit" }).output().catch(() =>
    undefined
  );
  return out?.success ?? false;
}

if (import.meta.main) {
  if (await findChromium()) Deno.exit(0);
  const configured = Deno.env.get("SETCHAT_CHROMIUM");
  if (configured) {
    console.error(
      `SETCHAT_CHROMIUM is ${configured}, which is not a file: point it at a Chrome or Chromium executable.`,
    );
    Deno.exit(1);
  }
  const canApt = Deno.uid?.() === 0 && await run("sh", ["-c", "command -v apt-get >/dev/null"]);
  if (!canApt) {
    console.error(`${INSTALL_HINT}. The browser checks need it.`);
    Deno.exit(1);
  }
  console.log("Chromium is missing: installing Debian's package (apt-get install -y chromium)…");
  const ok = await run("apt-get", ["update", "-qq"]) &&
    await run("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "chromium"]);
  if (!ok || !(await findChromium())) {
    console.error(`Could not install Chromium with apt-get. ${INSTALL_HINT}.`);
    Deno.exit(1);
  }
  console.log(`Chromium installed: ${await findChromium()}`);
}
