import assert from "node:assert/strict";
import postgres from "postgres";
import { parseEnvFile } from "../conformance/target.ts";
import { startServer } from "./server.ts";
import { testPostgres } from "./store/pg_test_utils.ts";
import { TEST_SERVER_CONFIG, testCluster, type TestServer } from "./test_utils.ts";

async function mint(server: TestServer, token: string): Promise<Response> {
  return await server.call("POST", "/api/widget/visitor-token", {
    token,
    body: { siteApiKey: server.demo.acme.sites[0]!.apiKey, externalUserId: "user-42" },
  });
}

async function code(response: Response): Promise<string> {
  return (await response.json()).code;
}

Deno.test("testCluster() starts two instances on one database: demo tenants once, one signing key for both", async () => {
  await using cluster = await testCluster();
  const [a, b] = cluster.servers as [TestServer, TestServer];
  assert.equal(cluster.servers.length, 2);
  assert.notEqual(a.url, b.url);
  const sql = postgres(cluster.databaseUrl, { max: 1 });
  try {
    assert.equal(Number((await sql`select count(*) as n from tenants`)[0]!.n), 2, "Acme and Globex, once");
    assert.equal(Number((await sql`select count(*) as n from signing_keys`)[0]!.n), 1);
  } finally {
    await sql.end();
  }
  assert.deepEqual(
    await (await a.call("GET", "/.well-known/jwks.json")).json(),
    await (await b.call("GET", "/.well-known/jwks.json")).json(),
  );
  // A visitor token minted on one instance opens a verified session on the other.
  const minted = await mint(a, cluster.demo.acme.serverToken);
  assert.equal(minted.status, 200);
  const session = await b.call("POST", "/api/widget/sessions", {
    body: { siteApiKey: cluster.demo.acme.sites[0]!.apiKey, visitorToken: (await minted.json()).token },
  });
  assert.equal(session.status, 201);
  const identity = (await session.json()).identity;
  assert.deepEqual([identity.verified, identity.externalUserId], [true, "user-42"]);
});

Deno.test("Two instances: revoke-previous on one holds on the other at its next request", async () => {
  await using cluster = await testCluster();
  const [a, b] = cluster.servers as [TestServer, TestServer];
  const old = cluster.demo.acme.serverToken;
  const admin = cluster.demo.acme.adminToken;
  const ops = `/api/tenants/${cluster.demo.acme.tenant.id}/widget-identity/s2s-token`;
  // B uses the old token first, so that anything it kept would be stale.
  const early = await mint(b, old);
  assert.equal(early.status, 200);
  const earlyVisitorToken = (await early.json()).token;
  const rotated = await a.call("POST", `${ops}/rotate`, { token: admin });
  assert.equal(rotated.status, 200);
  const fresh = (await rotated.json()).token as string;
  assert.equal((await mint(b, fresh)).status, 200, "the rotated token works on the other instance at once");
  assert.equal((await mint(b, old)).status, 200, "the previous token works until revoked");
  // A second rotation while one is pending is refused on the other instance too.
  assert.equal(await code(await b.call("POST", `${ops}/rotate`, { token: admin })), "rotation_pending");
  assert.equal((await a.call("POST", `${ops}/revoke-previous`, { token: admin })).status, 200);
  const refused = await mint(b, old);
  assert.equal(refused.status, 401);
  assert.equal(await code(refused), "auth_revoked");
  const exchange = await b.call("POST", "/api/widget/sessions", {
    body: { siteApiKey: cluster.demo.acme.sites[0]!.apiKey, visitorToken: earlyVisitorToken },
  });
  assert.equal(exchange.status, 401);
  assert.equal(await code(exchange), "visitor_token_revoked");
  assert.equal((await mint(b, fresh)).status, 200);
});

Deno.test("Two instances: rotations sent to both at once let exactly one through", async () => {
  await using cluster = await testCluster();
  const admin = cluster.demo.acme.adminToken;
  const ops = `/api/tenants/${cluster.demo.acme.tenant.id}/widget-identity/s2s-token`;
  const answers = await Promise.all(
    Array.from({ length: 8 }, (_, i) => cluster.servers[i % 2]!.call("POST", `${ops}/rotate`, { token: admin })),
  );
  const statuses = await Promise.all(answers.map(async (r) => [r.status, (await r.json()).code ?? "ok"]));
  assert.equal(statuses.filter(([s]) => s === 200).length, 1, JSON.stringify(statuses));
  for (const [s, c] of statuses) if (s !== 200) assert.equal(c, "rotation_pending");
  const revokes = await Promise.all(
    Array.from(
      { length: 6 },
      (_, i) => cluster.servers[i % 2]!.call("POST", `${ops}/revoke-previous`, { token: admin }),
    ),
  );
  for (const r of revokes) assert.equal(r.status, 200, await r.text());
  const listed = await (await cluster.servers[1]!.call("GET", `${ops}s`, { token: admin })).json();
  assert.equal(listed.tokens.filter((t: { status: string }) => t.status === "active").length, 1);
});

Deno.test("Two instances: a widget logout on one ends the session and retires the device on the other", async () => {
  await using cluster = await testCluster();
  const [a, b] = cluster.servers as [TestServer, TestServer];
  const opened = await a.call("POST", "/api/widget/sessions", {
    body: { siteApiKey: cluster.demo.acme.sites[0]!.apiKey },
  });
  assert.equal(opened.status, 201);
  const { sessionToken, deviceCredential } = await opened.json();
  assert.equal((await b.call("GET", "/api/widget/conversations", { token: sessionToken })).status, 200);
  const started = await b.call("POST", "/api/widget/conversations", {
    token: sessionToken,
    body: { kind: "chat", text: "Hello" },
  });
  assert.equal(started.status, 201);
  assert.equal((await a.call("DELETE", "/api/widget/session", { token: sessionToken })).status, 204);
  const after = await b.call("GET", "/api/widget/conversations", { token: sessionToken });
  assert.equal(after.status, 401);
  assert.equal(await code(after), "session_invalid");
  // The retired device credential never opens its history again, on any instance.
  const reopened = await b.call("POST", "/api/widget/sessions", {
    body: { siteApiKey: cluster.demo.acme.sites[0]!.apiKey, deviceCredential },
  });
  assert.equal(reopened.status, 201);
  const next = await reopened.json();
  assert.notEqual(next.deviceCredential, deviceCredential, "a retired device gets a new credential");
  assert.deepEqual(
    (await (await a.call("GET", "/api/widget/conversations", { token: next.sessionToken })).json()).conversations,
    [],
  );
});

Deno.test("startServer() twice at once on one database and one data directory writes dev.env once, consistently", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  const dataDir = await Deno.makeTempDir();
  try {
    const config = { ...TEST_SERVER_CONFIG, dataDir, databaseUrl: db.url };
    const servers = await Promise.all([startServer(config), startServer(config)]);
    try {
      const creators = servers.filter((s) => s.demo);
      assert.equal(creators.length, 1, "one instance creates the demo tenants");
      const env = parseEnvFile(await Deno.readTextFile(`${dataDir}/dev.env`));
      assert.equal(env.SETCHAT_SERVER_TOKEN, creators[0]!.demo!.acme.serverToken);
      assert.equal(env.SETCHAT_TENANT_ID, creators[0]!.demo!.acme.tenant.id);
      assert.equal((await Deno.stat(`${dataDir}/dev.env`)).mode! & 0o777, 0o600);
      assert.deepEqual(
        [...Deno.readDirSync(dataDir)].map((e) => e.name),
        ["dev.env"],
        "no KV file and no temporary file",
      );
      for (const s of servers) {
        const res: Response = await fetch(`${s.url}/api/widget/visitor-token`, {
          method: "POST",
          headers: { authorization: `Bearer ${env.SETCHAT_SERVER_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ siteApiKey: env.SETCHAT_SITE_API_KEY, externalUserId: "u" }),
        });
        assert.equal(res.status, 200);
        await res.body?.cancel();
      }
    } finally {
      for (const s of servers) await s.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

async function serve(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("../main.ts", import.meta.url).pathname, "--port", "0", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { SETCHAT_DATA_DIR: ":memory:" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("main.ts refuses a database URL that is not postgres:// in one line, exit 2", async () => {
  const run = await serve(["--database", "mysql://root@127.0.0.1/setchat"]);
  assert.equal(run.code, 2);
  assert.equal(run.stderr.trim().split("\n").length, 1);
  assert.match(run.stderr, /^Cannot use --database: a database URL starts with postgres:\/\//);
});

Deno.test("main.ts stops on an unreachable database in one line without its password, exit 2", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const run = await serve(["--database", `postgres://setchat:hunter2@127.0.0.1:${port}/setchat`]);
  assert.equal(run.code, 2);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(
    run.stderr,
    /^Cannot use the database postgres:\/\/setchat:\*\*\*@127\.0\.0\.1:\d+\/setchat: connection refused/,
  );
  assert.ok(!run.stderr.includes("hunter2"));
});

Deno.test("main.ts on PostgreSQL prints where the store is, without the password", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  const url = new URL(db.url);
  url.password = "unused";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("../main.ts", import.meta.url).pathname, "--port", "0", "--log", "off"],
    stdout: "piped",
    stderr: "piped",
    env: { SETCHAT_DATA_DIR: ":memory:", SETCHAT_DATABASE_URL: url.toString() },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  child.kill("SIGTERM");
  await reader.cancel();
  await child.stderr.cancel();
  await child.status;
  assert.match(text, /\(store in postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/setchat_test_\w+\)/);
  assert.ok(!text.includes("unused"));
});
