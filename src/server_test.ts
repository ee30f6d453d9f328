import assert from "node:assert/strict";
import { parseServerConfig } from "./config.ts";
import { startServer } from "./server.ts";

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
    const config = parseServerConfig(["--port", "0", "--data", dataDir], () => undefined);
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

Deno.test("parseServerConfig() reads flags before environment and checks them", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const c = parseServerConfig([], env({}));
  assert.deepEqual([c.port, c.dataDir, c.visitorTokenLifetime, c.hostname], [8787, ".setchat", 300, "127.0.0.1"]);
  const e = parseServerConfig([], env({ PORT: "9000", SETCHAT_DATA_DIR: "/d", SETCHAT_VISITOR_TOKEN_TTL: "900" }));
  assert.deepEqual([e.port, e.dataDir, e.visitorTokenLifetime], [9000, "/d", 900]);
  const f = parseServerConfig(["--port", "9100", "--data", "/f"], env({ PORT: "9000", SETCHAT_DATA_DIR: "/d" }));
  assert.deepEqual([f.port, f.dataDir], [9100, "/f"]);
  assert.throws(() => parseServerConfig(["--port", "http"], env({})), /port "http"/);
  assert.throws(() => parseServerConfig([], env({ SETCHAT_VISITOR_TOKEN_TTL: "3600" })), /300 to 900/);
  assert.throws(() => parseServerConfig(["--prot", "1"], env({})));
});

Deno.test("startServer() refuses a data directory another server is using", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const config = parseServerConfig(["--port", "0", "--data", dataDir], () => undefined);
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
