import assert from "node:assert/strict";
import { HELP, parseBenchArgs } from "./main.ts";

Deno.test("parseBenchArgs() reads --help and --soak-seconds, and names the fix for anything else", () => {
  assert.deepEqual(parseBenchArgs(["--help"]), { help: true });
  assert.deepEqual(parseBenchArgs(["-h"]), { help: true });
  assert.deepEqual(parseBenchArgs([]), { help: false, soakSeconds: 60 });
  assert.deepEqual(parseBenchArgs(["--soak-seconds", "10"]), { help: false, soakSeconds: 10 });
  assert.throws(
    () => parseBenchArgs(["--soak"]),
    /^TypeError: Cannot read the command line: .*--soak.*run with --help/,
  );
  assert.throws(() => parseBenchArgs(["--soak-seconds", "0"]), /Cannot soak for "0" seconds/);
  for (const option of ["--soak-seconds", "--help"]) assert.ok(HELP.includes(option), option);
});

/** `deno task bench` with `args`, its output captured. */
function bench(...args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("./main.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("deno task bench --help prints the help and runs nothing", async () => {
  const out = await bench("--help");
  assert.equal(out.code, 0);
  assert.equal(new TextDecoder().decode(out.stdout).trim(), HELP);
  const wrong = await bench("--nope");
  assert.equal(wrong.code, 2);
  assert.match(new TextDecoder().decode(wrong.stderr), /Cannot read the command line: .*--nope.*--help/);
});
