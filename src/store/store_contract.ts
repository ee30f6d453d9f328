/**
 * One contract every {@linkcode Store} meets, run against each of them (KV in
 * memory, KV on a file, PostgreSQL) by their own test files:
 * `await runStoreContract(t, { open })`.
 */
import assert from "node:assert/strict";
import { AppError } from "../domain/app_error.ts";
import { NEW_VISITOR } from "../domain/visitor.ts";
import { newId } from "../identity/encoding.ts";
import { generateSigningKey } from "../identity/signing_keys.ts";
import { generateSecret } from "../identity/secret_token.ts";
import { provisionTenant } from "../provisioning.ts";
import type {
  ConversationRecord,
  CredentialRecord,
  DeviceRecord,
  MessageRecord,
  OpenSession,
  Store,
  VisitorRecord,
} from "./store.ts";

const NOW = Date.UTC(2026, 10, 22, 12);

/** How the contract gets a fresh, empty store; it closes each store it opens. */
export interface StoreUnderTest {
  open(): Promise<Store>;
}

/** A new server token of `tenantId`, as rotation makes one. */
export function newToken(tenantId: string, at = NOW + 1000): CredentialRecord {
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

/** A conversation of `c.tenantId` on `c.siteId`, with no message yet. */
export function conversation(
  c: Pick<ConversationRecord, "tenantId" | "siteId" | "siteApiKey"> & { externalUserId: string; at: number },
): ConversationRecord {
  return {
    id: newId("conv", c.at),
    tenantId: c.tenantId,
    siteId: c.siteId,
    siteApiKey: c.siteApiKey,
    visitorId: "vis_x",
    identityMethod: "visitor_token",
    verified: true,
    externalUserId: c.externalUserId,
    deviceId: "dev_x",
    workspace: null,
    kind: "chat",
    subject: null,
    flowId: null,
    createdAt: c.at,
    updatedAt: c.at,
    messageCount: 0,
    lastMessage: null,
  } as ConversationRecord;
}

/** A visitor's message `text` in `conversationId`, written at `createdAt`. */
export function visitorMessage(
  conversationId: string,
  text: string,
  createdAt: number,
): Omit<MessageRecord, "id" | "seq"> {
  return { conversationId, author: "visitor", authorName: null, text, createdAt };
}

/** What opening a session of `tenantId` on `siteId` writes, with the device `deviceHash`. */
export function sessionInput(siteId: string, tenantId: string, deviceHash: string, deviceIsNew: boolean): OpenSession {
  const device: DeviceRecord = { id: newId("dev", NOW), siteId, hash: deviceHash, createdAt: NOW, retiredAt: null };
  const session = generateSecret("wss");
  return {
    device,
    deviceIsNew,
    history: { kind: "device", siteId, workspace: null, deviceId: device.id },
    updateVisitor: (current, id): VisitorRecord =>
      current ? { ...current, updatedAt: NOW + 1 } : {
        ...NEW_VISITOR,
        id,
        tenantId,
        siteId,
        siteApiKey: "site_x",
        workspace: null,
        createdAt: NOW,
        updatedAt: NOW,
      },
    session: {
      id: newId("wss", NOW),
      hash: session.hash,
      tenantId,
      siteId,
      siteApiKey: "site_x",
      deviceId: device.id,
      deviceHash,
      workspace: null,
      method: "anonymous",
      verified: false,
      externalUserId: null,
      displayName: null,
      displayEmail: null,
      createdAt: NOW,
      expiresAt: NOW + 3600_000,
    },
  };
}

/** Runs every case of the contract as a step of `t`. */
export async function runStoreContract(t: Deno.TestContext, under: StoreUnderTest): Promise<void> {
  const step = (name: string, fn: (store: Store) => Promise<void>) =>
    t.step(name, async () => {
      await using store = await under.open();
      await fn(store);
    });

  await step(
    "rotateS2sToken() lets one of many concurrent rotations win, never a third active token",
    async (store) => {
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
    },
  );

  await step("revokePreviousS2sTokens() revokes all but the current, never it, and is idempotent", async (store) => {
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

  await step("rotation and revocation racing each other leave exactly one current, active token", async (store) => {
    const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
    for (let round = 0; round < 5; round++) {
      await Promise.allSettled([
        store.rotateS2sToken(tenant.id, newToken(tenant.id, NOW + round)),
        store.revokePreviousS2sTokens(tenant.id, NOW + round),
        store.rotateS2sToken(tenant.id, newToken(tenant.id, NOW + round)),
        store.revokePreviousS2sTokens(tenant.id, NOW + round),
      ]);
      await store.revokePreviousS2sTokens(tenant.id, NOW + round);
      const tokens = await store.listS2sTokens(tenant.id);
      const active = tokens.filter((t) => t.status === "active");
      assert.equal(active.length, 1);
      assert.equal(active[0]!.id, (await store.getTenant(tenant.id))!.currentS2sTokenId);
    }
  });

  await step(
    "findS2sToken() finds a tenant's server token by id in any state, never another tenant's",
    async (store) => {
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
      assert.equal(await store.findS2sToken(a.tenant.id, "s2s_\u0000\ud800"), null);
    },
  );

  await step("rotateS2sToken() can rotate again once the previous token is revoked", async (store) => {
    const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
    for (let i = 0; i < 5; i++) {
      await store.rotateS2sToken(tenant.id, newToken(tenant.id, NOW + 1000 * (i + 1)));
      await store.revokePreviousS2sTokens(tenant.id, NOW + i);
    }
    const tokens = await store.listS2sTokens(tenant.id);
    assert.equal(tokens.length, 6);
    assert.equal(tokens.filter((t) => t.status === "active").length, 1);
  });

  await step("rotation of an unknown tenant is tenant_not_found", async (store) => {
    await assert.rejects(
      store.rotateS2sToken("ten_nope", newToken("ten_nope")),
      (e) => e instanceof AppError && e.code === "tenant_not_found",
    );
  });

  await step("recordCredentialUse() coalesces uses and keeps the latest", async (store) => {
    const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
    const [token] = await store.listS2sTokens(tenant.id);
    assert.equal(token!.lastUsedAt, null);
    store.recordCredentialUse(token!, NOW + 5);
    store.recordCredentialUse(token!, NOW + 9);
    store.recordCredentialUse(token!, NOW + 7);
    assert.equal((await store.listS2sTokens(tenant.id))[0]!.lastUsedAt, NOW + 9);
  });

  await step("isEmpty() and initialiseOnce() create the first tenants once", async (store) => {
    assert.equal(await store.isEmpty(), true);
    const made = await store.initialiseOnce(() => provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW }));
    assert.ok(made);
    assert.equal(await store.isEmpty(), false);
    assert.equal(await store.initialiseOnce(() => Promise.reject(new Error("must not run"))), undefined);
    assert.deepEqual((await store.listSites(made.tenant.id)).map((s) => s.apiKey), [made.sites[0]!.apiKey]);
    assert.equal((await store.findSiteByApiKey(made.sites[0]!.apiKey))?.id, made.sites[0]!.id);
    assert.equal(await store.findSiteByApiKey("site_unknown"), null);
  });

  await step("signingKeys() creates the first key once and returns it afterwards", async (store) => {
    const first = await store.signingKeys(() => generateSigningKey(NOW));
    const again = await store.signingKeys(() => Promise.reject(new Error("must not run")));
    assert.equal(first.length, 1);
    assert.deepEqual(again.map((k) => k.kid), first.map((k) => k.kid));
  });

  await step("openSession() finds the visitor of a history again; endSession() retires the device", async (store) => {
    const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
    const siteId = sites[0]!.id;
    const deviceHash = generateSecret("dev").hash;
    const input = sessionInput(siteId, tenant.id, deviceHash, true);
    const first = await store.openSession(input);
    const second = await store.openSession({
      ...sessionInput(siteId, tenant.id, deviceHash, false),
      history: input.history,
    });
    assert.equal(second.visitor.id, first.visitor.id);
    assert.equal((await store.getVisitor(first.visitor.id))?.updatedAt, NOW + 1);
    assert.equal((await store.findSession(first.session.hash))?.visitorId, first.visitor.id);
    assert.equal((await store.findDevice(deviceHash))?.retiredAt, null);
    await store.endSession(first.session, NOW + 9);
    assert.equal(await store.findSession(first.session.hash), null);
    assert.equal((await store.findDevice(deviceHash))?.retiredAt, NOW + 9);
    assert.ok(await store.findSession(second.session.hash), "only the ended session goes");
    assert.equal(await store.findSessionWithDevice(first.session.hash), null);
    const other = await store.findSessionWithDevice(second.session.hash);
    assert.equal(other?.session.id, second.session.id);
    assert.equal(other?.device?.retiredAt, NOW + 9, "the other tab's session comes with its retired device");
  });

  await step("openSession() run at once for one history makes one visitor", async (store) => {
    const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
    const siteId = sites[0]!.id;
    const base = sessionInput(siteId, tenant.id, generateSecret("dev").hash, false);
    const opened = await Promise.all(
      Array.from(
        { length: 6 },
        () => store.openSession({ ...sessionInput(siteId, tenant.id, "h", false), history: base.history }),
      ),
    );
    assert.equal(new Set(opened.map((o) => o.visitor.id)).size, 1);
  });

  await step("listHistory(), listTenantConversations() and messages list newest first, by prefix", async (store) => {
    const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s", "t"], nowMs: NOW });
    const other = await provisionTenant(store, { name: "B", siteNames: ["s"], nowMs: NOW });
    const [s, t2] = sites as [typeof sites[0], typeof sites[0]];
    const made: ConversationRecord[] = [];
    for (let i = 0; i < 5; i++) {
      const site = i % 2 === 0 ? s : t2;
      const c = conversation({
        tenantId: tenant.id,
        siteId: site.id,
        siteApiKey: site.apiKey,
        externalUserId: i < 3 ? "u1" : "u\u0000\ud800",
        at: NOW + i * 1000,
      });
      await store.createConversation(c, []);
      made.push(c);
    }
    await store.createConversation(
      conversation({
        tenantId: other.tenant.id,
        siteId: other.sites[0]!.id,
        siteApiKey: other.sites[0]!.apiKey,
        externalUserId: "u1",
        at: NOW,
      }),
      [],
    );
    const history = (externalUserId: string) =>
      store.listHistory({ kind: "verified", siteId: s.id, workspace: null, externalUserId }, 10);
    assert.deepEqual((await history("u1")).map((c) => c.id), [made[2]!.id, made[0]!.id]);
    assert.deepEqual((await history("u\u0000\ud800")).map((c) => c.id), [made[4]!.id]);
    assert.deepEqual(await history("u"), []);

    const page1 = await store.listTenantConversations(tenant.id, { limit: 3 });
    assert.deepEqual(page1.conversations.map((c) => c.id), [made[4]!.id, made[3]!.id, made[2]!.id]);
    const page2 = await store.listTenantConversations(tenant.id, { limit: 3, cursor: page1.nextCursor! });
    assert.deepEqual(page2.conversations.map((c) => c.id), [made[1]!.id, made[0]!.id]);
    assert.equal(page2.nextCursor, null);
    const bySite = await store.listTenantConversations(tenant.id, { limit: 10, siteId: t2.id });
    assert.deepEqual(bySite.conversations.map((c) => c.id), [made[3]!.id, made[1]!.id]);
    const foreign = await store.listTenantConversations(other.tenant.id, { limit: 10, siteId: s.id });
    assert.deepEqual(foreign.conversations, [], "another tenant's site lists nothing");

    const c = made[0]!;
    assert.equal((await store.getConversation(c.id))?.messageCount, 0, "read once before the messages arrive");
    const messages = await Promise.all(
      Array.from(
        { length: 4 },
        (_, i) => store.addMessage(c.id, visitorMessage(c.id, `m${i}`, NOW + i)),
      ),
    );
    assert.deepEqual(messages.map((m) => m.seq).sort(), [1, 2, 3, 4], "concurrent messages get distinct numbers");
    assert.equal((await store.getConversation(c.id))?.messageCount, 4, "a conversation read earlier is read anew");
    const listed = await store.listMessages(c.id);
    assert.deepEqual(listed.map((m) => m.seq), [1, 2, 3, 4]);
    assert.deepEqual((await store.listMessages(c.id, listed[1]!.seq)).map((m) => m.seq), [3, 4]);
    await assert.rejects(
      store.addMessage("conv_unknown", {
        conversationId: "x",
        author: "agent",
        authorName: null,
        text: "",
        createdAt: NOW,
      }),
      (e) => e instanceof AppError && e.code === "conversation_not_found",
    );
    assert.deepEqual(await store.listMessages(c.id, 4), [], "nothing after the last message");
    assert.equal(await store.getConversation("conv_\u0000"), null);
    assert.deepEqual(
      (await store.listTenantConversations(tenant.id, { limit: 3, cursor: "\u0000" })).conversations,
      [],
    );
  });
}
