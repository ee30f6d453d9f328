import assert from "node:assert/strict";
import { StartupError } from "../domain/startup_error.ts";
import { provisionTenant } from "../provisioning.ts";
import { MIGRATIONS } from "./pg_migrations.ts";
import { redactUrl } from "./database_url.ts";
import { LISTINGS, openPostgresStore } from "./pg_store.ts";
import { testPostgres } from "./pg_test_utils.ts";
import { generateSecret, hashSecret } from "../identity/secret_token.ts";
import { newToken, runStoreContract, sessionInput } from "./store_contract.ts";

const NOW = Date.UTC(2026, 10, 22, 12);

Deno.test("PostgresStore meets the store contract", async (t) => {
  await using pg = await testPostgres();
  const databases: AsyncDisposable[] = [];
  try {
    await runStoreContract(t, {
      open: async () => {
        const db = await pg.database();
        databases.push(db);
        return await openPostgresStore({ url: db.url });
      },
    });
  } finally {
    for (const db of databases) await db[Symbol.asyncDispose]();
  }
});

Deno.test("openPostgresStore() applies each migration once when several instances start together", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore({ url: db.url, max: 2 })));
  try {
    const rows = await stores[0]!.sql`select version from setchat_migrations order by version`;
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    // Reopening applies nothing and keeps the data.
    await provisionTenant(stores[0]!, { name: "A", siteNames: ["s"], nowMs: NOW });
    await using again = await openPostgresStore({ url: db.url, max: 1 });
    assert.equal(await again.isEmpty(), false);
  } finally {
    for (const s of stores) await s.close();
  }
});

Deno.test("initialiseOnce() creates once even when asked for a pool of one connection", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  await using store = await openPostgresStore({ url: db.url, max: 1 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("initialiseOnce() waits for a connection its own lock holds")), 10_000);
  });
  try {
    assert.equal(await Promise.race([store.initialiseOnce(() => Promise.resolve("created")), stalled]), "created");
  } finally {
    clearTimeout(timer);
  }
});

Deno.test("openPostgresStore() refuses a database migrated by a newer server", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  {
    await using store = await openPostgresStore({ url: db.url, max: 1 });
    await store.sql`insert into setchat_migrations (version, name) values (9999, 'from the future')`;
  }
  await assert.rejects(
    openPostgresStore({ url: db.url, max: 1 }),
    (e) => e instanceof StartupError && e.code === "database_unusable" && /newer than this server's/.test(e.message),
  );
});

Deno.test("openPostgresStore() reports an unreachable database as a StartupError without the password", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(
    openPostgresStore({ url: `postgres://setchat:hunter2@127.0.0.1:${port}/setchat`, max: 1 }),
    (e) =>
      e instanceof StartupError && e.code === "database_unusable" && !e.message.includes("hunter2") &&
      e.message.includes("connection refused") && !e.message.includes("\n"),
  );
  assert.equal(redactUrl("postgres://u:secret@h:5432/d"), "postgres://u:***@h:5432/d");
});

Deno.test("PostgresStore answers every listing from an index, never a sequential scan", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  await using store = await openPostgresStore({ url: db.url, max: 1 });
  const sql = store.sql;
  // Enough rows in every listed table that a scan would cost more than an index.
  await sql`insert into tenants (id, data) select 'ten_' || i, '{}' from generate_series(1, 2000) i`;
  await sql`insert into sites (id, tenant_id, api_key, data)
    select 'site_' || i, 'ten_' || (i % 2000 + 1), 'key_' || i, '{}' from generate_series(1, 20000) i`;
  await sql`insert into credentials (hash, id, tenant_id, kind, data)
    select 'h' || i, 's2s_' || i, 'ten_' || (i % 2000 + 1), case when i % 2 = 0 then 's2s' else 'adm' end, '{}'
    from generate_series(1, 20000) i`;
  await sql`insert into conversations (id, tenant_id, site_id, history_key, data)
    select 'conv_' || lpad(i::text, 8, '0'), 'ten_' || (i % 2000 + 1), 'site_' || (i % 20000 + 1),
      '["device","s","","d' || (i % 10000) || '"]', '{}'
    from generate_series(1, 50000) i`;
  await sql`insert into messages (conversation_id, seq, data)
    select 'conv_' || lpad((i % 50000 + 1)::text, 8, '0'), i / 50000 + 1, '{}' from generate_series(0, 99999) i`;
  await sql`analyze`;
  const params: Record<keyof typeof LISTINGS, unknown[]> = {
    sites: ["ten_7"],
    s2sTokens: ["ten_7"],
    history: ['["device","s","","d7"]', 50],
    tenantConversations: ["ten_7", "\u{10FFFF}", 51],
    siteConversations: ["site_7", "ten_7", "\u{10FFFF}", 51],
    messages: ["conv_00000007", 0],
  };
  for (const [name, text] of Object.entries(LISTINGS) as [keyof typeof LISTINGS, string][]) {
    const plan = (await sql.unsafe(`explain ${text}`, params[name] as never[])).map((r) => r["QUERY PLAN"]).join("\n");
    assert.ok(!/Seq Scan/.test(plan), `${name} scans:\n${plan}`);
    assert.match(plan, /Index/, `${name} uses no index:\n${plan}`);
  }
});

Deno.test("PostgresStore.findSession() no longer answers a session past its grace, as KV lets it expire", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  await using store = await openPostgresStore({ url: db.url, max: 1 });
  const session = { hash: "h_kept", deviceHash: "d" };
  await store.sql`insert into sessions (hash, data, purge_at) values
    ('h_kept', ${JSON.stringify(session)}, ${Date.now() + 60_000}),
    ('h_gone', ${JSON.stringify({ ...session, hash: "h_gone" })}, ${Date.now() - 1})`;
  assert.equal((await store.findSession("h_kept"))?.hash, "h_kept");
  assert.equal(await store.findSession("h_gone"), null);
});

Deno.test("Two PostgresStores on one database: a revocation or a logout through one holds at the other's next lookup, though it kept the record", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  await using a = await openPostgresStore({ url: db.url, max: 2 });
  await using b = await openPostgresStore({ url: db.url, max: 2 });
  const { tenant, sites, serverToken } = await provisionTenant(a, { name: "A", siteNames: ["s"], nowMs: NOW });
  const hash = hashSecret(serverToken);
  for (let i = 0; i < 3; i++) assert.equal((await b.findCredential(hash))?.status, "active");
  await a.rotateS2sToken(tenant.id, newToken(tenant.id));
  assert.equal((await b.findCredential(hash))?.status, "active", "rotation alone revokes nothing");
  await a.revokePreviousS2sTokens(tenant.id, NOW + 2);
  assert.equal((await b.findCredential(hash))?.status, "revoked");

  const deviceHash = generateSecret("dev").hash;
  const opened = await a.openSession(sessionInput(sites[0]!.id, tenant.id, deviceHash, true));
  const other = await a.openSession(sessionInput(sites[0]!.id, tenant.id, deviceHash, false));
  for (let i = 0; i < 3; i++) {
    assert.equal((await b.findSession(opened.session.hash))?.id, opened.session.id);
    assert.equal((await b.findDevice(deviceHash))?.retiredAt, null);
    assert.equal((await b.findSessionWithDevice(other.session.hash))?.device?.retiredAt, null);
  }
  await a.endSession(opened.session, NOW + 9);
  assert.equal(
    (await b.findSessionWithDevice(other.session.hash))?.device?.retiredAt,
    NOW + 9,
    "read together, the other tab's device is seen retired",
  );
  assert.equal(await b.findSessionWithDevice(opened.session.hash), null);
  assert.equal(await b.findSession(opened.session.hash), null);
  assert.equal(
    (await b.findDevice(deviceHash))?.retiredAt,
    NOW + 9,
    "the other tab's session stands on a retired device",
  );
  assert.equal((await b.findSession(other.session.hash))?.id, other.session.id);
});

Deno.test("PostgresStore keeps what it read: lookups at once share one check of what changed, and read no record again", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  const statements: string[] = [];
  await using store = await openPostgresStore({ url: db.url, max: 4, onStatement: (text) => statements.push(text) });
  const { serverToken } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
  const hash = hashSecret(serverToken);
  await store.findCredential(hash);
  const count = (pattern: RegExp) => statements.filter((s) => pattern.test(s)).length;
  const [reads, checks] = [count(/from credentials/), count(/pg_current_snapshot/)];
  const found = await Promise.all(Array.from({ length: 20 }, () => store.findCredential(hash)));
  assert.ok(found.every((c) => c?.hash === hash));
  assert.equal(count(/from credentials/), reads, "no credential read again");
  assert.equal(count(/pg_current_snapshot/) - checks, 1, "twenty lookups at once, one check");
});

Deno.test("PostgresStore.findSessionWithDevice() serves a cached session and its device after one check", async () => {
  await using pg = await testPostgres();
  await using db = await pg.database();
  const statements: string[] = [];
  await using store = await openPostgresStore({ url: db.url, max: 2, onStatement: (text) => statements.push(text) });
  const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
  const opened = await store.openSession(sessionInput(sites[0]!.id, tenant.id, generateSecret("dev").hash, true));
  await store.findSessionWithDevice(opened.session.hash);
  const count = (pattern: RegExp) => statements.filter((s) => pattern.test(s)).length;
  const [reads, checks] = [count(/from (sessions|devices)/), count(/pg_current_snapshot/)];
  const found = await store.findSessionWithDevice(opened.session.hash);
  assert.equal(found?.device?.hash, opened.session.deviceHash);
  assert.equal(count(/from (sessions|devices)/), reads, "neither read again");
  assert.equal(count(/pg_current_snapshot/) - checks, 1, "one check for both");
});
