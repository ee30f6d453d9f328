import assert from "node:assert/strict";
import postgres from "postgres";
import { findPostgresBin, testPostgres } from "./pg_test_utils.ts";

Deno.test("findPostgresBin() finds initdb and pg_ctl", async () => {
  const bin = await findPostgresBin();
  assert.ok(bin, "the test command installs PostgreSQL first");
  assert.ok((await Deno.stat(`${bin}/initdb`)).isFile);
});

Deno.test("testPostgres() gives each database its own name and stops its server at the end", async () => {
  let url: string;
  {
    await using pg = await testPostgres();
    await using a = await pg.database();
    await using b = await pg.database();
    assert.notEqual(a.url, b.url);
    url = a.url;
    const sql = postgres(url, { max: 1 });
    assert.equal((await sql`select 1 as one`)[0]!.one, 1);
    if (!Deno.env.get("SETCHAT_TEST_DATABASE_URL")) {
      const backend = Number((await sql`select pg_backend_pid() as pid`)[0]!.pid);
      assert.ok((await pg.processes()).includes(backend), "the backend serving a connection is one of its processes");
    }
    await sql.end();
  }
  if (Deno.env.get("SETCHAT_TEST_DATABASE_URL")) return;
  const sql = postgres(url, { max: 1, connect_timeout: 2 });
  await assert.rejects(sql`select 1`, "the server is stopped");
  await sql.end();
});
