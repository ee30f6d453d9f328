import assert from "node:assert/strict";
import { AppError } from "../domain/app_error.ts";
import { newId } from "../identity/encoding.ts";
import { generateSecret } from "../identity/secret_token.ts";
import { provisionTenant } from "../provisioning.ts";
import { openKvStore } from "./kv_store.ts";
import type { CredentialRecord } from "./store.ts";

const NOW = Date.UTC(2026, 10, 22, 12);

function newToken(tenantId: string, at = NOW + 1000): CredentialRecord {
  const s = generateSecret("s2s");
  return {
    kind: "s2s",
    id: newId("s2s", at),
    tenantId,
    hash: s.hash,
    displayPrefix: s.displayPrefix,
    status: "active",
    createdAt: at,
    revokedAt: null,
  };
}

Deno.test("KvStore.rotateS2sToken() lets one of many concurrent rotations win, never a third active token", async () => {
  await using store = await openKvStore({ path: ":memory:" });
  const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
  const results = await Promise.allSettled(
    Array.from({ length: 8 }, () => store.rotateS2sToken(tenant.id, newToken(tenant.id))),
  );
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
  for (const r of results) {
    if (r.status === "rejected") assert.ok(r.reason instanceof AppError && r.reason.code === "rotation_pending");
  }
  const tokens = await store.listS2sTokens(tenant.id);
  assert.equal(tokens.length, 2, "the first token and exactly one rotated token");
  assert.equal(tokens.filter((t) => t.status === "active").length, 2);
  const current = (await store.getTenant(tenant.id))!.currentS2sTokenId;
  assert.ok(tokens.some((t) => t.id === current && t.id !== tokens[0]!.id));
});

Deno.test("KvStore.revokePreviousS2sTokens() revokes all but the current, never it, and is idempotent", async () => {
  await using store = await openKvStore({ path: ":memory:" });
  const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
  const next = newToken(tenant.id);
  await store.rotateS2sToken(tenant.id, next);
  const revoked = await store.revokePreviousS2sTokens(tenant.id, NOW + 1);
  assert.equal(revoked.length, 1);
  assert.equal(revoked[0]!.status, "revoked");
  assert.equal(revoked[0]!.revokedAt, NOW + 1);
  assert.deepEqual(await store.revokePreviousS2sTokens(tenant.id, NOW + 2), []);
  const tokens = await store.listS2sTokens(tenant.id);
  assert.deepEqual(tokens.map((t) => [t.id === next.id, t.status]), [[false, "revoked"], [true, "active"]]);
  assert.equal((await store.findCredential(next.hash))!.status, "active");
  // Concurrent revocations agree and leave the current token alone.
  await store.rotateS2sToken(tenant.id, newToken(tenant.id));
  const all = await Promise.all(Array.from({ length: 5 }, () => store.revokePreviousS2sTokens(tenant.id, NOW + 3)));
  assert.equal(all.flat().length, 1);
  assert.equal((await store.listS2sTokens(tenant.id)).filter((t) => t.status === "active").length, 1);
});

Deno.test("KvStore.findS2sToken() finds a tenant's server token by id in any state, never another tenant's", async () => {
  await using store = await openKvStore({ path: ":memory:" });
  const a = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
  const b = await provisionTenant(store, { name: "B", siteNames: ["s"], nowMs: NOW });
  const first = a.tenant.currentS2sTokenId;
  // Read first, so that the revocation below must get past a cached answer.
  assert.equal((await store.findS2sToken(a.tenant.id, first))?.status, "active");
  await store.rotateS2sToken(a.tenant.id, newToken(a.tenant.id));
  await store.revokePreviousS2sTokens(a.tenant.id, NOW + 1);
  const revoked = await store.findS2sToken(a.tenant.id, first);
  assert.equal(revoked?.status, "revoked");
  assert.equal(revoked?.id, first);
  assert.equal(await store.findS2sToken(b.tenant.id, first), null, "another tenant's id");
  assert.equal(await store.findS2sToken(a.tenant.id, "s2s_unknown"), null);
  assert.equal(await store.findS2sToken(a.tenant.id, "x".repeat(5000)), null);
});

Deno.test("KvStore.rotateS2sToken() can rotate again once the previous token is revoked", async () => {
  await using store = await openKvStore({ path: ":memory:" });
  const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
  for (let i = 0; i < 5; i++) {
    await store.rotateS2sToken(tenant.id, newToken(tenant.id, NOW + 1000 * (i + 1)));
    await store.revokePreviousS2sTokens(tenant.id, NOW + i);
  }
  const tokens = await store.listS2sTokens(tenant.id);
  assert.equal(tokens.length, 6);
  assert.equal(tokens.filter((t) => t.status === "active").length, 1);
});

Deno.test("KvStore rotation of an unknown tenant is tenant_not_found", async () => {
  await using store = await openKvStore({ path: ":memory:" });
  await assert.rejects(
    store.rotateS2sToken("ten_nope", newToken("ten_nope")),
    (e) => e instanceof AppError && e.code === "tenant_not_found",
  );
});

Deno.test("KvStore.recordCredentialUse() coalesces uses and keeps the latest", async () => {
  await using store = await openKvStore({ path: ":memory:" });
  const { tenant, serverToken: _ } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
  const [token] = await store.listS2sTokens(tenant.id);
  assert.equal(token!.lastUsedAt, null);
  store.recordCredentialUse(token!, NOW + 5);
  store.recordCredentialUse(token!, NOW + 9);
  store.recordCredentialUse(token!, NOW + 7);
  assert.equal((await store.listS2sTokens(tenant.id))[0]!.lastUsedAt, NOW + 9);
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
