import assert from "node:assert/strict";
import { provisionTenant } from "../provisioning.ts";
import { openKvStore } from "./kv_store.ts";
import { KV_STORE_CHECKS } from "./kv_store_checks.ts";
import { newToken, runStoreContract } from "./store_contract.ts";

const NOW = Date.UTC(2026, 10, 22, 12);

Deno.test("KvStore in memory meets the store contract", async (t) => {
  await runStoreContract(t, { open: () => openKvStore({ path: ":memory:" }) });
});

Deno.test("KvStore on a file meets the store contract", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    let n = 0;
    await runStoreContract(t, { open: () => openKvStore({ path: `${dir}/store${n++}.kv` }) });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KvStore on a file keeps tenants, tokens and revocations across a reopen", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/store.kv`;
    let tenantId: string;
    let firstHash: string;
    {
      await using store = await openKvStore({ path });
      const p = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      tenantId = p.tenant.id;
      firstHash = (await store.listS2sTokens(tenantId))[0]!.hash;
      await store.rotateS2sToken(tenantId, newToken(tenantId));
      await store.revokePreviousS2sTokens(tenantId, NOW);
    }
    await using store = await openKvStore({ path });
    assert.equal((await store.findCredential(firstHash))!.status, "revoked");
    assert.equal((await store.listS2sTokens(tenantId)).length, 2);
    assert.equal(await store.isEmpty(), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KvStore stores only hashes and display prefixes of tokens", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/store.kv`;
    let plaintexts: string[];
    {
      await using store = await openKvStore({ path });
      const p = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      plaintexts = [p.serverToken, p.adminToken];
    }
    const raw = new TextDecoder("latin1").decode(await Deno.readFile(path)) +
      new TextDecoder("latin1").decode(await Deno.readFile(`${path}-wal`).catch(() => new Uint8Array()));
    for (const p of plaintexts) {
      assert.ok(!raw.includes(p), "plaintext token found in the store file");
      assert.ok(!raw.includes(p.slice(16)), "secret part of a token found in the store file");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const check of KV_STORE_CHECKS) Deno.test(`KvStore: ${check.name}`, check.fn);
