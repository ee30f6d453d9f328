import { basename } from "node:path";
import assert from "node:assert/strict";
import { parseCommandLine } from "./config.ts";
import { StartupError } from "./domain/startup_error.ts";
import { startServer } from "./server.ts";
import { storeFiles } from "./store/kv_store.ts";

function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split("\n").filter((l) => /^[A-Z_]+=/.test(l)).map((
      l,
    ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

Deno.test("startServer() creates the demo tenant once, writes dev.env 0600, and a restart keeps revocations", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const { config } = parseCommandLine(["--port", "0", "--data", dataDir, "--log", "off"], () => undefined);
    let env: Record<string, string>;
    let rotated: string;
    {
      await using server = await startServer(config);
      assert.ok(server.demo, "first start creates the demo tenants");
      const info = await Deno.stat(`${dataDir}/dev.env`);
      assert.equal(info.mode! & 0o777, 0o600);
      env = parseEnvFile(await Deno.readTextFile(`${dataDir}/dev.env`));
      assert.deepEqual(Object.keys(env).sort(), [
        "SETCHAT_ADMIN_TOKEN",
        "SETCHAT_API_URL",
        "SETCHAT_FOREIGN_ADMIN_TOKEN",
        "SETCHAT_FOREIGN_OTHER_SITE_API_KEY",
        "SETCHAT_FOREIGN_SERVER_TOKEN",
        "SETCHAT_FOREIGN_SITE_API_KEY",
        "SETCHAT_FOREIGN_TENANT_ID",
        "SETCHAT_OTHER_SITE_API_KEY",
        "SETCHAT_SERVER_TOKEN",
        "SETCHAT_SITE_API_KEY",
        "SETCHAT_TENANT_ID",
      ]);
      assert.equal(env.SETCHAT_API_URL, server.publicUrl);
      // The vendor docs' curl example, over a real socket.
      const mint = await fetch(`${server.url}/api/widget/visitor-token`, {
        method: "POST",
        headers: { authorization: `Bearer ${env.SETCHAT_SERVER_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ siteApiKey: env.SETCHAT_SITE_API_KEY, externalUserId: "user-42" }),
      });
      assert.equal(mint.status, 200);
      assert.equal((await mint.json()).expiresIn, 300);
      const ops = `${server.url}/api/tenants/${env.SETCHAT_TENANT_ID}/widget-identity/s2s-token`;
      const auth = { authorization: `Bearer ${env.SETCHAT_ADMIN_TOKEN}` };
      rotated = (await (await fetch(`${ops}/rotate`, { method: "POST", headers: auth })).json()).token;
      assert.equal((await fetch(`${ops}/revoke-previous`, { method: "POST", headers: auth })).status, 200);
    }
    await using again = await startServer(config);
    assert.equal(again.demo, undefined, "a restart creates nothing");
    const mint = (token: string) =>
      fetch(`${again.url}/api/widget/visitor-token`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ siteApiKey: env.SETCHAT_SITE_API_KEY, externalUserId: "user-42" }),
      });
    const old = await mint(env.SETCHAT_SERVER_TOKEN!);
    assert.equal(old.status, 401);
    assert.equal((await old.json()).code, "auth_revoked");
    const current = await mint(rotated);
    assert.equal(current.status, 200);
    await current.body?.cancel();
    const after = parseEnvFile(await Deno.readTextFile(`${dataDir}/dev.env`));
    assert.equal(after.SETCHAT_API_URL, again.publicUrl, "dev.env follows the new port");
    assert.equal(after.SETCHAT_SERVER_TOKEN, env.SETCHAT_SERVER_TOKEN, "plaintext tokens are never rewritten");
    const jwks = await (await fetch(`${again.url}/.well-known/jwks.json`)).json();
    assert.equal(jwks.keys.length, 1, "the signing key survives the restart");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("parseCommandLine() reads flags before environment and checks them", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const c = parseCommandLine([], env({}));
  assert.deepEqual([c.help, c.build], [false, false]);
  assert.deepEqual(
    [c.config.port, c.config.dataDir, c.config.visitorTokenLifetime, c.config.hostname, c.config.log],
    [8787, ".setchat", 300, "127.0.0.1", "pretty"],
  );
  const e = parseCommandLine(
    [],
    env({ PORT: "9000", SETCHAT_DATA_DIR: "/d", SETCHAT_VISITOR_TOKEN_TTL: "900", SETCHAT_LOG: "json" }),
  ).config;
  assert.deepEqual([e.port, e.dataDir, e.visitorTokenLifetime, e.log], [9000, "/d", 900, "json"]);
  const f = parseCommandLine(
    ["--port", "9100", "--data", "/f", "--log", "off", "--build"],
    env({ PORT: "9000", SETCHAT_DATA_DIR: "/d", SETCHAT_LOG: "json" }),
  );
  assert.deepEqual([f.config.port, f.config.dataDir, f.config.log, f.build], [9100, "/f", "off", true]);
  const refused = (args: string[], vars: Record<string, string>, message: RegExp) =>
    assert.throws(
      () => parseCommandLine(args, env(vars)),
      (e) => e instanceof StartupError && e.code === "invalid_setting" && message.test(e.message),
    );
  refused(["--port", "http"], {}, /^Cannot use --port "http"/);
  refused(["--port", ""], {}, /^Cannot use --port ""/);
  refused([], { SETCHAT_VISITOR_TOKEN_TTL: "3600" }, /300 to 900/);
  refused([], { SETCHAT_LOG: "xml" }, /^Cannot use SETCHAT_LOG "xml"/);
  refused(["--prot", "1"], {}, /^Cannot read the command line: unknown option '--prot'/);
  assert.equal(parseCommandLine(["--prot", "-h"], env({ PORT: "x" })).help, true);
});

Deno.test("startServer() refuses a data directory another server is using", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const { config } = parseCommandLine(["--port", "0", "--data", dataDir, "--log", "off"], () => undefined);
    {
      await using _first = await startServer(config);
      await assert.rejects(startServer(config), /another server process is using it/);
    }
    // Once the first has stopped, the directory is free again.
    await using again = await startServer(config);
    assert.equal(again.demo, undefined);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("startServer() creates every store file 0600, and narrows those an older version left open", async () => {
  const dataDir = await Deno.makeTempDir();
  const files = storeFiles(`${dataDir}/store.kv`);
  const modes = async () =>
    Object.fromEntries(
      await Promise.all(files.map(async (f) => [basename(f), ((await Deno.stat(f)).mode! & 0o777).toString(8)])),
    );
  const private600 = Object.fromEntries(files.map((f) => [basename(f), "600"]));
  const writeSome = async (url: string) => {
    const env = parseEnvFile(await Deno.readTextFile(`${dataDir}/dev.env`));
    for (let i = 0; i < 5; i++) {
      const minted = await fetch(`${url}/api/widget/visitor-token`, {
        method: "POST",
        headers: { authorization: `Bearer ${env.SETCHAT_SERVER_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ siteApiKey: env.SETCHAT_SITE_API_KEY, externalUserId: `user-${i}` }),
      });
      const session = await fetch(`${url}/api/widget/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ siteApiKey: env.SETCHAT_SITE_API_KEY, visitorToken: (await minted.json()).token }),
      });
      assert.equal(session.status, 201);
      await session.body?.cancel();
    }
  };
  try {
    const { config } = parseCommandLine(["--port", "0", "--data", dataDir, "--log", "off"], () => undefined);
    {
      await using server = await startServer(config);
      await writeSome(server.url);
      assert.deepEqual(await modes(), private600);
    }
    // A store written before files were kept private.
    for (const file of files) await Deno.chmod(file, 0o644).catch(() => {});
    await using again = await startServer(config);
    await writeSome(again.url);
    assert.deepEqual(await modes(), private600);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("--test-clock is off by default, refused where others could reach the server, and moves the whole server's time", async () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(parseCommandLine([], env({})).config.testClock, undefined);
  assert.equal(parseCommandLine(["--test-clock"], env({})).config.testClock, true);
  assert.equal(parseCommandLine([], env({ SETCHAT_TEST_CLOCK: "1" })).config.testClock, true);
  assert.equal(parseCommandLine([], env({ SETCHAT_TEST_CLOCK: "0" })).config.testClock, undefined);
  const refused = (args: string[], vars: Record<string, string> = {}) =>
    assert.throws(
      () => parseCommandLine(args, env(vars)),
      (e) => e instanceof StartupError && e.code === "test_clock_refused",
    );
  refused(["--test-clock", "--host", "0.0.0.0"]);
  refused(["--test-clock", "--host", "192.168.1.20"]);
  refused(["--test-clock", "--database", "postgres://setchat@127.0.0.1:5432/setchat"]);
  refused([], { SETCHAT_TEST_CLOCK: "true", HOST: "0.0.0.0" });
  assert.throws(
    () => parseCommandLine([], env({ SETCHAT_TEST_CLOCK: "yes" })),
    /SETCHAT_TEST_CLOCK "yes": it is 1 \(on\) or 0 \(off\)/,
  );
  assert.equal(parseCommandLine(["--test-clock", "--host", "localhost"], env({})).config.testClock, true);

  // Off: no clock route, and the discovery document names none.
  const { config } = parseCommandLine(["--port", "0", "--data", ":memory:", "--log", "off"], () => undefined);
  await using plain = await startServer(config);
  assert.equal((await fetch(`${plain.url}/api/test/clock`)).status, 404);
  assert.equal((await (await fetch(`${plain.url}/.well-known/setchat.json`)).json()).testClock, undefined);

  // On: an admin token moves the time every answer is given in.
  await using server = await startServer({ ...config, testClock: true });
  const discovery = await (await fetch(`${server.url}/.well-known/setchat.json`)).json();
  assert.equal(discovery.testClock, "/api/test/clock");
  const admin = server.demo!.acme.adminToken;
  const move = async (body: unknown, token = admin) =>
    await fetch(`${server.url}/api/test/clock`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  assert.equal((await move({ advanceSeconds: 60 }, server.demo!.acme.serverToken)).status, 401);
  assert.equal((await move({ advanceSeconds: 1.5 })).status, 400);
  const frozen = await (await move({ freeze: true, advanceSeconds: 3600 })).json();
  assert.equal(frozen.frozen, true);
  assert.ok(Math.abs(frozen.offsetSeconds - 3600) < 2, `offset ${frozen.offsetSeconds}`);
  const minted = await fetch(`${server.url}/api/widget/visitor-token`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.demo!.acme.serverToken}`, "content-type": "application/json" },
    body: JSON.stringify({ siteApiKey: server.demo!.acme.sites[0]!.apiKey, externalUserId: "u" }),
  });
  const { token } = await minted.json();
  const iat = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).iat;
  assert.equal(iat * 1000, frozen.nowMs, "a token minted on the frozen clock is issued at its time");
  const reset = await (await move({ reset: true })).json();
  assert.deepEqual([reset.frozen, Math.round(reset.offsetSeconds)], [false, 0]);
});
