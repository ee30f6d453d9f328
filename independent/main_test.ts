import assert from "node:assert/strict";
import { BUG_NAMES } from "./bugs.ts";
import { parseCli } from "./main.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

function command(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-write", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
}

Deno.test("parseCli() reads a port, repeated bugs and an env file, and skips a leading --", () => {
  assert.deepEqual(
    parseCli(["--", "--port", "8080", "--bug", "sub-trimmed", "--bug=aud-is-tenant", "--env-file", "x"]),
    {
      help: false,
      listBugs: false,
      port: 8080,
      bugs: ["sub-trimmed", "aud-is-tenant"],
      envFile: "x",
    },
  );
  assert.deepEqual(
    parseCli(["--signing-key", "key.json"]),
    { help: false, listBugs: false, port: 0, bugs: [], signingKey: "key.json" },
  );
  assert.deepEqual(parseCli([]), { help: false, listBugs: false, port: 0, bugs: [] });
});

Deno.test("parseCli() refuses an unknown bug, an unknown option, a bad port and a missing value", () => {
  assert.throws(() => parseCli(["--bug", "no-such-bug"]), /unknown bug "no-such-bug"/);
  assert.throws(() => parseCli(["--verbose"]), /unknown option "--verbose"/);
  assert.throws(() => parseCli(["--port", "http"]), /bad port/);
  assert.throws(() => parseCli(["--port", "70000"]), /bad port/);
  assert.throws(() => parseCli(["--env-file"]), /--env-file needs a value/);
});

Deno.test("main.ts --list-bugs prints every planted bug and --help the usage", async () => {
  const list = await command(["--list-bugs"]).output();
  assert.equal(list.code, 0);
  const lines = new TextDecoder().decode(list.stdout).trimEnd().split("\n");
  assert.deepEqual(lines.map((line) => line.split(/\s+/)[0]), [...BUG_NAMES]);
  const help = await command(["--help"]).output();
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /--env-file FILE/);
});

Deno.test("main.ts exits 2 on an unknown bug, naming it", async () => {
  const output = await command(["--bug", "no-such-bug"]).output();
  assert.equal(output.code, 2);
  assert.match(new TextDecoder().decode(output.stderr), /unknown bug "no-such-bug"/);
});

Deno.test("main.ts --env-file writes the variables with mode 0600 and serves until SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const envFile = `${dir}/target.env`;
  await Deno.writeTextFile(envFile, "stale\n", { mode: 0o644 });
  const keyFile = `${dir}/key.json`;
  const child = command(["--env-file", envFile, "--bug", "sub-trimmed", "--signing-key", keyFile]).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let printed = "";
    while (!printed.includes("Wrote")) {
      const { done, value } = await reader.read();
      if (done) break;
      printed += value;
    }
    reader.releaseLock();
    assert.match(printed, /listening on http:\/\/127\.0\.0\.1:\d+ \(bugs: sub-trimmed\)/);
    assert.doesNotMatch(printed, /SETCHAT_SERVER_TOKEN/);
    assert.equal((await Deno.stat(envFile)).mode! & 0o777, 0o600);
    const env = Object.fromEntries(
      (await Deno.readTextFile(envFile)).trimEnd().split("\n").map((line) => line.split("=", 2) as [string, string]),
    );
    assert.deepEqual(Object.keys(env), [
      "SETCHAT_API_URL",
      "SETCHAT_SERVER_TOKEN",
      "SETCHAT_SITE_API_KEY",
      "SETCHAT_TENANT_ID",
      "SETCHAT_ADMIN_TOKEN",
      "SETCHAT_OTHER_SITE_API_KEY",
      "SETCHAT_FOREIGN_SITE_API_KEY",
      "SETCHAT_FOREIGN_TENANT_ID",
      "SETCHAT_FOREIGN_ADMIN_TOKEN",
      "SETCHAT_FOREIGN_SERVER_TOKEN",
      "SETCHAT_FOREIGN_OTHER_SITE_API_KEY",
      "SETCHAT_SIGNING_KEY_FILE",
    ]);
    assert.equal(env.SETCHAT_SIGNING_KEY_FILE, keyFile);
    assert.equal((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
    const jwk = JSON.parse(await Deno.readTextFile(keyFile));
    assert.equal(jwk.kty, "EC");
    assert.equal(typeof jwk.d, "string", "the private key");
    const response = await fetch(`${env.SETCHAT_API_URL}/api/widget/visitor-token`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.SETCHAT_SERVER_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ siteApiKey: env.SETCHAT_SITE_API_KEY, externalUserId: "user-1" }),
    });
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await child.stderr.cancel();
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0);
  }
});
