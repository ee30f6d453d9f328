/**
 * What only the embedded store's operator, or a race, can see: its files and
 * their lock, what survives a restart, when credential uses reach the disk,
 * a write that keeps losing races, reads that race a write, and the bounded
 * caches in front of its records (whose bound is the store's memory). Registered as
 * tests by `kv_store_test.ts`, and run against every mutant of the store by
 * `deno task mutation` (the conformance suite cannot reach these paths over
 * HTTP, or not deterministically).
 */
import assert from "node:assert/strict";
import { capturingConsole } from "../console_capture.ts";
import { AppError } from "../domain/app_error.ts";
import { indexOf } from "../domain/visibility.ts";
import { StartupError } from "../domain/startup_error.ts";
import { generateSigningKey } from "../identity/signing_keys.ts";
import { generateSecret } from "../identity/secret_token.ts";
import { provisionTenant } from "../provisioning.ts";
import { K } from "./kv_keys.ts";
import { Lru } from "./lru.ts";
import { KvStore, openKvStore } from "./kv_store.ts";
import type {
  ConversationRecord,
  CredentialRecord,
  MessageRecord,
  NewTenant,
  SessionRecord,
  SiteRecord,
  Store,
  TenantRecord,
} from "./store.ts";
import { conversation, newToken, sessionInput, visitorMessage } from "./store_contract.ts";

const NOW = Date.UTC(2026, 10, 22, 12);

/** One check of the KV store: a name and what it runs. */
export interface KvStoreCheck {
  name: string;
  fn: () => Promise<void>;
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "setchat-kv-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function modeOf(info: Deno.FileInfo): string {
  return ((info.mode ?? 0) & 0o777).toString(8);
}

/** Waits until `read` answers `want`, or fails after a few seconds (the write it waits for is asynchronous). */
async function eventually<T>(read: () => Promise<T>, want: T, what: string): Promise<void> {
  let got: T | undefined;
  for (const started = Date.now(); Date.now() - started < 5_000;) {
    got = await read();
    if (got === want) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`${what}: got ${String(got)}, want ${String(want)}`);
}

/**
 * A KV that misbehaves on demand: its next read of a key named `kind` is
 * held back (it reads at once, and answers only when released, as a slow
 * read that began before a write and ends after it), its next `n` atomic
 * writes lose their race (they answer not ok, writing nothing) or fail (as
 * on a full disk). It records the `expireIn` of every key an atomic write
 * sets: what the store asks Deno KV to remove, and when.
 */
function unreliable(kv: Deno.Kv): {
  kv: Deno.Kv;
  hold(kind: string): () => void;
  lose(n: number): void;
  fail(n: number): void;
  expiries: { key: Deno.KvKey; expireIn: number | undefined }[];
} {
  let held: { kind: string; released: Promise<void> } | undefined;
  let losing = 0;
  let failing = 0;
  const expiries: { key: Deno.KvKey; expireIn: number | undefined }[] = [];
  const get = async (key: Deno.KvKey, options?: { consistency?: Deno.KvConsistencyLevel }) => {
    const gate = held && key[0] === held.kind ? held.released : undefined;
    if (gate) held = undefined;
    const entry = await kv.get(key, options);
    await gate;
    return entry;
  };
  const atomic = () => {
    const op = kv.atomic();
    const commit = op.commit.bind(op);
    const set = op.set.bind(op);
    op.set = (key, value, options) => {
      expiries.push({ key, expireIn: options?.expireIn });
      set(key, value, options);
      return op;
    };
    op.commit = () => {
      if (failing > 0) return (failing--, Promise.reject(new Error("the disk is full")));
      return losing > 0 ? (losing--, Promise.resolve({ ok: false as const })) : commit();
    };
    return op;
  };
  return {
    kv: new Proxy(kv, {
      get: (target, p) => {
        if (p === "get") return get;
        if (p === "atomic") return atomic;
        const v = Reflect.get(target, p, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    }),
    hold(kind) {
      let release!: () => void;
      held = { kind, released: new Promise<void>((r) => (release = r)) };
      return release;
    },
    lose(n) {
      losing = n;
    },
    fail(n) {
      failing = n;
    },
    expiries,
  };
}

/** A store on `kv`, and a tenant with one site. */
async function withTenant(kv: Deno.Kv) {
  const store = new KvStore(kv);
  const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
  return { store, tenant, site: sites[0]! };
}

function conversationOf(tenantId: string, site: SiteRecord, at: number) {
  return conversation({ tenantId, siteId: site.id, siteApiKey: site.apiKey, externalUserId: "u", at });
}

/**
 * The records of a store as today's version writes them, each under its key
 * spelled out here rather than taken from `kv_keys.ts`: a store on disk is
 * read by the next version in place, so a key's name is part of what an
 * operator relies on when upgrading. Changing the layout needs a migration.
 */
async function todaysLayout() {
  const tenantId = "ten_layout";
  const site: SiteRecord = { id: "site_layout", tenantId, apiKey: "pk_layout", name: "s", createdAt: NOW };
  const token: CredentialRecord = { ...newToken(tenantId, NOW), tenantId };
  const tenant: TenantRecord = { id: tenantId, name: "A", createdAt: NOW, currentS2sTokenId: token.id };
  const key = await generateSigningKey(NOW);
  const input = sessionInput(site.id, tenantId, generateSecret("dev").hash, true);
  const { device } = input;
  const visitor = input.updateVisitor(null, "vis_layout");
  const session: SessionRecord = { ...input.session, visitorId: visitor.id, expiresAt: Date.now() + 3600_000 };
  const owner = { tenantId, siteId: site.id, siteApiKey: site.apiKey, externalUserId: "u", at: NOW };
  const verified: ConversationRecord = { ...conversation(owner), id: "conv_layout_v", messageCount: 1 };
  const anonymous: ConversationRecord = {
    ...conversation({ ...owner, at: NOW + 1 }),
    id: "conv_layout_d",
    verified: false,
    externalUserId: null,
    deviceId: device.id,
  };
  const message: MessageRecord = { ...visitorMessage(verified.id, "hi", NOW + 2), id: "msg_1", seq: 1 };
  const entries: [Deno.KvKey, unknown][] = [
    [["tenant", tenantId], tenant],
    [["site_by_key", site.apiKey], site],
    [["tenant_site", tenantId, site.id], site.apiKey],
    [["credential", token.hash], token],
    [["tenant_credential", tenantId, "s2s", token.id], token.hash],
    [["credential_last_used", token.id], new Deno.KvU64(BigInt(NOW + 5))],
    [["signing_key", key.kid], key],
    [["signing_key_initialised"], key.kid],
    [["device", device.hash], device],
    [["session", session.hash], session],
    [["visitor", visitor.id], visitor],
    [["visitor_of", "device", site.id, "", device.id], visitor.id],
    [["conversation", verified.id], verified],
    [["conversation", anonymous.id], anonymous],
    [["history", "verified", site.id, "", "u", verified.id], verified.id],
    [["history", "device", site.id, "", device.id, anonymous.id], anonymous.id],
    [["tenant_conversation", tenantId, verified.id], verified.id],
    [["tenant_conversation", tenantId, anonymous.id], anonymous.id],
    [["site_conversation", site.id, verified.id], verified.id],
    [["site_conversation", site.id, anonymous.id], anonymous.id],
    [["message", verified.id, 1], message],
  ];
  return {
    entries,
    records: { tenant, site, token, key, device, session, visitor, verified, anonymous, message },
    /** Opening a session again on the same device, as the widget does after a reload. */
    reopen: { ...sessionInput(site.id, tenantId, device.hash, false), device, history: input.history },
  };
}

const STORE_FILE_SUFFIXES = ["", "-wal", "-shm", ".lock"];

/** The checks, in the order they run. */
export const KV_STORE_CHECKS: KvStoreCheck[] = [
  {
    name: "a file store's files are its owner's alone (0600), also those an older version or a copy left readable",
    fn: () =>
      inTempDir(async (dir) => {
        // A copy of a store taken while it was open (a process that died leaves the same): its -wal and -shm
        // hold data, and SQLite narrows the mode only of a file it creates or finds empty.
        const live = `${dir}/live.kv`;
        const old = `${dir}/old.kv`;
        {
          await using store = await openKvStore({ path: live });
          await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
          for (const suffix of STORE_FILE_SUFFIXES) {
            await Deno.copyFile(live + suffix, old + suffix);
            await Deno.chmod(old + suffix, 0o644);
          }
        }
        for (const path of [old, `${dir}/fresh.kv`]) {
          await using store = await openKvStore({ path });
          await provisionTenant(store, { name: "B", siteNames: ["s"], nowMs: NOW });
          for (const suffix of STORE_FILE_SUFFIXES) {
            assert.equal(modeOf(await Deno.stat(path + suffix)), "600", `the mode of ${path + suffix}`);
          }
        }
      }),
  },
  {
    name: "on Windows, which has no file modes, a store opens without setting any",
    fn: () =>
      inTempDir(async (dir) => {
        const path = `${dir}/store.kv`;
        await Deno.writeTextFile(path, "");
        await Deno.chmod(path, 0o644);
        // Deno.chmod throws on Windows: a store that set modes there would not open at all.
        await using store = await openKvStore({ path, os: "windows" });
        await provisionTenant(store, { name: "W", siteNames: ["s"], nowMs: NOW });
        assert.equal(modeOf(await Deno.stat(path)), "644", "a mode was set as on a system that has them");
      }),
  },
  {
    name: "a store whose file's mode cannot be narrowed does not open: the error names the file",
    fn: () =>
      inTempDir(async (dir) => {
        const path = `${dir}/store.kv`;
        // A -wal that links to itself: no mode can be set through it.
        await Deno.symlink(`${path}-wal`, `${path}-wal`);
        for (let attempt = 0; attempt < 2; attempt++) {
          await assert.rejects(openKvStore({ path }), (e) => {
            assert.ok(e instanceof Error && !(e instanceof StartupError), String(e));
            assert.ok(e.message.includes(`${path}-wal`), `attempt ${attempt + 1}: ${e.message}`);
            return true;
          });
        }
      }),
  },
  {
    name: "a file store is locked to one process: a second open is data_dir_in_use until the first closes",
    fn: () =>
      inTempDir(async (dir) => {
        const path = `${dir}/store.kv`;
        const first = await openKvStore({ path });
        await assert.rejects(openKvStore({ path }), (e) => {
          assert.ok(e instanceof StartupError && e.code === "data_dir_in_use", String(e));
          assert.ok(e.message.includes(path) && e.message.includes("another server process"), e.message);
          return true;
        });
        await first.close();
        await (await openKvStore({ path })).close();
      }),
  },
  {
    name: "a store that cannot open lets go of its lock: trying again gives the same error, not data_dir_in_use",
    fn: () =>
      inTempDir(async (dir) => {
        const path = `${dir}/store.kv`;
        await Deno.mkdir(path);
        for (let attempt = 0; attempt < 2; attempt++) {
          await assert.rejects(openKvStore({ path }), (e) => !(e instanceof StartupError), `attempt ${attempt + 1}`);
        }
      }),
  },
  {
    name: "stores in memory are apart from each other and leave no file behind",
    fn: async () => {
      const leftovers = STORE_FILE_SUFFIXES.map((s) => `:memory:${s}`);
      const a = await openKvStore({ path: ":memory:" });
      const b = await openKvStore({ path: ":memory:" });
      await provisionTenant(a, { name: "A", siteNames: ["s"], nowMs: NOW });
      assert.equal(await b.isEmpty(), true);
      await a.close();
      await b.close();
      const found: string[] = [];
      for (const file of leftovers) {
        try {
          await Deno.remove(file);
          found.push(file);
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
      }
      assert.deepEqual(found, [], "files written to the working directory by a store in memory");
    },
  },
  {
    name: "a reopened file store keeps its signing keys and tenants, and creates no key",
    fn: () =>
      inTempDir(async (dir) => {
        const path = `${dir}/store.kv`;
        let kids: string[];
        {
          await using store = await openKvStore({ path });
          kids = (await store.signingKeys(() => generateSigningKey(NOW))).map((k) => k.kid);
          await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
        }
        await using store = await openKvStore({ path });
        const again = await store.signingKeys(() => Promise.reject(new Error("a key was created again")));
        assert.deepEqual(again.map((k) => k.kid), kids);
        assert.equal(await store.isEmpty(), false);
      }),
  },
  {
    name: "a credential used again after a listing shows the later use",
    fn: async () => {
      await using store = await openKvStore({ path: ":memory:" });
      const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      const [token] = await store.listS2sTokens(tenant.id);
      store.recordCredentialUse(token!, NOW + 1_000);
      assert.equal((await store.listS2sTokens(tenant.id))[0]!.lastUsedAt, NOW + 1_000);
      store.recordCredentialUse(token!, NOW + 2_000);
      assert.equal((await store.listS2sTokens(tenant.id))[0]!.lastUsedAt, NOW + 2_000);
    },
  },
  {
    name: "credential uses reach the file every 30 seconds, with no listing to write them",
    fn: () =>
      inTempDir(async (dir) => {
        const path = `${dir}/store.kv`;
        await using store = await openKvStore({ path });
        const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
        const [token] = await store.listS2sTokens(tenant.id);
        // What a process that died now would leave: the file, read by another connection.
        using raw = await Deno.openKv(path);
        const written = async () => (await raw.get<Deno.KvU64>(K.lastUsed(token!.id))).value?.value;
        store.recordCredentialUse(token!, NOW);
        await eventually(written, BigInt(NOW), "the first use");
        // Uses within 30 seconds of the last write wait in memory. A write of them would begin within a turn of
        // the event loop; a write of the store's own, begun after it, reaches the file after it.
        store.recordCredentialUse(token!, NOW + 29_999);
        await new Promise((r) => setTimeout(r, 0));
        await store.createConversation(conversationOf(tenant.id, sites[0]!, NOW), []);
        assert.equal(await written(), BigInt(NOW), "a use 29.999 seconds after the last write was written at once");
        store.recordCredentialUse(token!, NOW + 30_000);
        await eventually(written, BigInt(NOW + 30_000), "a use 30 seconds later");
      }),
  },
  {
    name: "uses of more credentials than one write holds are all kept",
    fn: async () => {
      await using store = await openKvStore({ path: ":memory:" });
      const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      const [token] = await store.listS2sTokens(tenant.id);
      for (let i = 0; i < 1_200; i++) {
        store.recordCredentialUse({ ...token!, id: `s2s_other${i}` } as CredentialRecord, NOW + 1);
      }
      store.recordCredentialUse(token!, NOW + 2);
      assert.equal((await store.listS2sTokens(tenant.id))[0]!.lastUsedAt, NOW + 2);
    },
  },
  {
    name: "a write that keeps losing races is busy: a 503 that says when to retry",
    fn: async () => {
      await using store = await openKvStore({ path: ":memory:", attempts: 1 });
      const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      const c = conversationOf(tenant.id, sites[0]!, NOW);
      await store.createConversation(c, []);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.addMessage(c.id, visitorMessage(c.id, `m${i}`, NOW + i))),
      );
      const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
      assert.ok(refused.length > 0, "ten writes at once, each tried once, all got through");
      for (const e of refused) {
        assert.ok(e instanceof AppError && e.code === "busy", String(e));
        assert.equal(e.status, 503);
        assert.equal(e.headers["retry-after"], "1");
      }
      const stored = (await store.getConversation(c.id))!.messageCount;
      assert.equal(stored, results.length - refused.length, "every answered write, and no other, is stored");
    },
  },
  {
    name:
      "a write that loses twenty races in a row is tried again, a short while later each time, until it gets through",
    fn: async () => {
      using raw = await Deno.openKv(":memory:");
      const unlucky = unreliable(raw);
      const { store, tenant, site } = await withTenant(unlucky.kv);
      const c = conversationOf(tenant.id, site, NOW);
      await store.createConversation(c, []);
      unlucky.lose(20);
      const started = performance.now();
      const m = await store.addMessage(c.id, visitorMessage(c.id, "hi", NOW + 1));
      // The pauses are a random part of 1, 2, 4 ... 64 and then 100 ms: twenty of them add up to less than
      // 150 ms about once in thirty million runs (thirteen draws of 100 ms summing below 1.5 draws). A write
      // that tried again at once would take a few milliseconds; a loaded machine only makes it longer.
      const waited = performance.now() - started;
      assert.ok(waited >= 150, `twenty lost races were tried again within ${waited.toFixed(0)} ms: no back-off`);
      assert.equal(m.seq, 1);
      assert.equal((await store.getConversation(c.id))?.messageCount, 1);
    },
  },
  {
    name: "a write that loses every race is tried its number of times, then refused as busy, saying what it was doing",
    fn: async () => {
      using raw = await Deno.openKv(":memory:");
      const unlucky = unreliable(raw);
      const attempts = 3;
      const store = new KvStore(unlucky.kv, undefined, attempts);
      const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      const c = conversationOf(tenant.id, sites[0]!, NOW);
      await store.createConversation(c, []);
      const deviceHash = generateSecret("dev").hash;
      const input = sessionInput(sites[0]!.id, tenant.id, deviceHash, true);
      const { session } = await store.openSession({
        ...input,
        session: { ...input.session, expiresAt: NOW + 3600_000 },
      });
      // The first write of a pair makes the second one write something (revoke-previous needs a previous token).
      const writes: [string, () => Promise<unknown>][] = [
        [`adding a message to ${c.id}`, () => store.addMessage(c.id, visitorMessage(c.id, "hi", NOW + 1))],
        [`rotating the server token of ${tenant.id}`, () => store.rotateS2sToken(tenant.id, newToken(tenant.id))],
        [
          `revoking the previous server tokens of ${tenant.id}`,
          () => store.revokePreviousS2sTokens(tenant.id, NOW + 2),
        ],
        ["opening a session", () => store.openSession(sessionInput(sites[0]!.id, tenant.id, deviceHash, false))],
        ["ending a session", () => store.endSession(session, NOW + 3)],
      ];
      for (const [what, write] of writes) {
        unlucky.lose(attempts);
        const refused = await write().then(() => undefined, (error: unknown) => error);
        assert.ok(refused instanceof AppError, `${what}: not refused after losing ${attempts} races in a row`);
        assert.equal(refused.code, "busy");
        assert.equal(refused.message, `Cannot finish ${what}: too many writes to the same record at once`);
        assert.deepEqual(refused.headers, { "retry-after": "1" });
        unlucky.lose(attempts - 1);
        await write();
      }
    },
  },
  {
    name: "a read that raced a write is answered but never cached: the next read sees the write",
    fn: async () => {
      // A credential read while it is revoked.
      {
        using raw = await Deno.openKv(":memory:");
        const slow = unreliable(raw);
        const { store, tenant } = await withTenant(slow.kv);
        const first = (await store.listS2sTokens(tenant.id))[0]!;
        await store.rotateS2sToken(tenant.id, newToken(tenant.id));
        const release = slow.hold("credential");
        const raced = store.findCredential(first.hash);
        await store.revokePreviousS2sTokens(tenant.id, NOW + 1);
        release();
        await raced;
        assert.equal((await store.findCredential(first.hash))?.status, "revoked", "a revoked credential");
      }
      // A session and its device read while the session ends.
      for (const kind of ["session", "device"]) {
        using raw = await Deno.openKv(":memory:");
        const slow = unreliable(raw);
        const { store, tenant, site } = await withTenant(slow.kv);
        const deviceHash = generateSecret("dev").hash;
        // A session that has not expired by the real clock: the cache keeps no other.
        const input = sessionInput(site.id, tenant.id, deviceHash, true);
        const expiresAt = Date.now() + 3600_000;
        const { session } = await store.openSession({ ...input, session: { ...input.session, expiresAt } });
        const release = slow.hold(kind);
        const raced = kind === "session" ? store.findSession(session.hash) : store.findDevice(deviceHash);
        await store.endSession(session, NOW + 9);
        release();
        await raced;
        assert.equal(await store.findSession(session.hash), null, `an ended session (${kind} read raced)`);
        assert.equal((await store.findDevice(deviceHash))?.retiredAt, NOW + 9, `a retired device (${kind} read raced)`);
      }
      // A conversation read while a message is added.
      {
        using raw = await Deno.openKv(":memory:");
        const slow = unreliable(raw);
        const { store, tenant, site } = await withTenant(slow.kv);
        const c = conversationOf(tenant.id, site, NOW);
        await store.createConversation(c, []);
        const release = slow.hold("conversation");
        const raced = store.getConversation(c.id);
        await store.addMessage(c.id, visitorMessage(c.id, "hi", NOW + 1));
        release();
        await raced;
        assert.equal((await store.getConversation(c.id))?.messageCount, 1, "a conversation with a new message");
      }
    },
  },
  {
    name: "a write to a record that does not exist is refused with an error naming it",
    fn: async () => {
      await using store = await openKvStore({ path: ":memory:" });
      await assert.rejects(
        store.addMessage("conv_unknown", {
          conversationId: "conv_unknown",
          author: "agent",
          authorName: null,
          text: "hi",
          createdAt: NOW,
        }),
        (e) => e instanceof AppError && e.code === "conversation_not_found" && e.message.includes("conv_unknown"),
      );
      await assert.rejects(
        store.rotateS2sToken("ten_unknown", newToken("ten_unknown")),
        (e) => e instanceof AppError && e.code === "tenant_not_found" && e.message.includes("ten_unknown"),
      );
    },
  },
  {
    name: "ids too long for a key name nothing: every lookup by one answers nothing",
    fn: async () => {
      await using store = await openKvStore({ path: ":memory:" });
      const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      const long = "x".repeat(5_000);
      assert.equal(await store.getTenant(long), null);
      assert.equal(await store.getVisitor(long), null);
      assert.equal(await store.getConversation(long), null);
      assert.deepEqual(await store.listMessages(long), []);
      assert.equal(await store.findS2sToken(long, tenant.currentS2sTokenId), null);
      assert.equal(await store.findS2sToken(tenant.id, long), null);
    },
  },
  {
    name: "a tenant or conversation that exists is not created again: the error, for the operator's log, names it",
    fn: async () => {
      await using store = await openKvStore({ path: ":memory:" });
      const made: NewTenant[] = [];
      const recording = new Proxy(store, {
        get: (target, p) =>
          p === "createTenant"
            ? (t: NewTenant) => (made.push(t), target.createTenant(t))
            : ((v) => (typeof v === "function" ? v.bind(target) : v))(Reflect.get(target, p, target)),
      }) as Store;
      const { tenant, sites } = await provisionTenant(recording, { name: "A", siteNames: ["s"], nowMs: NOW });
      // The answer is a 500 that shows no detail: the log line is all an operator has to find the record.
      await assert.rejects(store.createTenant(made[0]!), (e) => e instanceof Error && e.message.includes(tenant.id));
      const c = conversationOf(tenant.id, sites[0]!, NOW);
      await store.createConversation(c, []);
      await assert.rejects(store.createConversation(c, []), (e) => e instanceof Error && e.message.includes(c.id));
    },
  },
  {
    name: "a device whose sessions end one after another keeps the time it was first retired",
    fn: async () => {
      await using store = await openKvStore({ path: ":memory:" });
      const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      const deviceHash = generateSecret("dev").hash;
      const first = await store.openSession(sessionInput(sites[0]!.id, tenant.id, deviceHash, true));
      const second = await store.openSession(sessionInput(sites[0]!.id, tenant.id, deviceHash, false));
      assert.match(first.visitor.id, /^vis_/, "a visitor's id begins with vis_, as the contract shows it");
      await store.endSession(first.session, NOW + 9);
      await store.endSession(second.session, NOW + 20);
      assert.equal((await store.findDevice(deviceHash))?.retiredAt, NOW + 9);
    },
  },
  {
    name: "a listing whose last page is full ends with no cursor",
    fn: async () => {
      await using store = await openKvStore({ path: ":memory:" });
      const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      for (let i = 0; i < 4; i++) {
        await store.createConversation(
          conversationOf(tenant.id, sites[0]!, NOW + i),
          [],
        );
      }
      const page1 = await store.listTenantConversations(tenant.id, { limit: 2 });
      assert.equal(page1.conversations.length, 2);
      assert.ok(page1.nextCursor);
      const page2 = await store.listTenantConversations(tenant.id, { limit: 2, cursor: page1.nextCursor });
      assert.equal(page2.conversations.length, 2);
      assert.equal(page2.nextCursor, null);
    },
  },
  {
    name: "a credential use the store cannot write is in the operator's log, saying so and why; later uses are written",
    fn: async () => {
      using raw = await Deno.openKv(":memory:");
      const broken = unreliable(raw);
      const { store, tenant } = await withTenant(broken.kv);
      const [token] = await store.listS2sTokens(tenant.id);
      const lines = await capturingConsole(async (lines) => {
        broken.fail(1);
        store.recordCredentialUse(token!, NOW);
        await store.listS2sTokens(tenant.id);
        return lines;
      });
      // Checks may run side by side: only the lines naming this failure are this check's.
      // The first line of each: the error's stack follows it.
      const logged = lines.filter((line) => line.includes("the disk is full")).map((line) => line.split("\n")[0]);
      assert.deepEqual(logged, ["error: Cannot record credential use: Error: the disk is full"]);
      store.recordCredentialUse(token!, NOW + 30_000);
      assert.equal((await store.listS2sTokens(tenant.id))[0]!.lastUsedAt, NOW + 30_000);
    },
  },
  {
    name: "a session's record is kept an hour past the session's end, then left to Deno KV to remove",
    fn: async () => {
      using raw = await Deno.openKv(":memory:");
      const recording = unreliable(raw);
      const { store, tenant, site } = await withTenant(recording.kv);
      const input = sessionInput(site.id, tenant.id, generateSecret("dev").hash, true);
      const lifetime = 24 * 3600_000;
      const { session } = await store.openSession({
        ...input,
        session: { ...input.session, expiresAt: input.session.createdAt + lifetime },
      });
      const sessionKey = ["session", session.hash];
      const asked = recording.expiries.filter((e) => JSON.stringify(e.key) === JSON.stringify(sessionKey));
      assert.deepEqual(asked.map((e) => e.expireIn), [lifetime + 3600_000], "the expiry asked of Deno KV");
      const others = recording.expiries.filter((e) => e.expireIn !== undefined && !asked.includes(e));
      assert.deepEqual(others, [], "only a session's record expires");
    },
  },
  {
    name: "a session Deno KV has removed, an hour past its end, is gone from the cache too",
    fn: async () => {
      using raw = await Deno.openKv(":memory:");
      const { store, tenant, site } = await withTenant(raw);
      const input = sessionInput(site.id, tenant.id, generateSecret("dev").hash, true);
      // By the real clock, this session ended an hour and a minute ago: Deno KV may remove its record at any time.
      const expiresAt = Date.now() - 3600_000 - 60_000;
      const { session } = await store.openSession({
        ...input,
        session: { ...input.session, createdAt: expiresAt - 600_000, expiresAt },
      });
      assert.equal((await store.findSession(session.hash))?.id, session.id, "a record Deno KV still holds");
      await raw.delete(["session", session.hash]);
      assert.equal(await store.findSession(session.hash), null, "a record Deno KV has removed");
    },
  },
  {
    name: "a cached session answers as the store with no cache does, whichever way a test clock is off the real one",
    fn: async () => {
      for (const offset of [2 * 3600_000, 0, -2 * 3600_000]) {
        using raw = await Deno.openKv(":memory:");
        const recording = unreliable(raw);
        // The real clock, as Deno KV expires records by it: the check moves it to where Deno KV may drop one.
        let realNow = Date.now();
        const store = new KvStore(recording.kv, undefined, undefined, () => realNow);
        const { tenant, sites } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
        const input = sessionInput(sites[0]!.id, tenant.id, generateSecret("dev").hash, true);
        // A 15-minute session opened while the application's clock is `offset` off the real one.
        const createdAt = realNow + offset;
        const { session } = await store.openSession({
          ...input,
          session: { ...input.session, createdAt, expiresAt: createdAt + 900_000 },
        });
        const key = JSON.stringify(["session", session.hash]);
        const [keptFor] = recording.expiries.filter((e) => JSON.stringify(e.key) === key).map((e) => e.expireIn);
        // From then on Deno KV may drop the record at any time.
        const droppable = realNow + keptFor!;
        // A store opened afresh for each read has nothing cached: it answers what Deno KV holds.
        const fresh = () => new KvStore(raw, undefined, undefined, () => realNow).findSession(session.hash);
        const same = async (what: string) =>
          assert.deepEqual(await store.findSession(session.hash), await fresh(), what);
        await same(`offset ${offset}: just opened`);
        realNow = droppable - 1;
        assert.deepEqual(await fresh(), session, `offset ${offset}: kept until then`);
        await same(`offset ${offset}: a millisecond before Deno KV may drop the record`);
        realNow = droppable;
        await raw.delete(["session", session.hash]);
        await same(`offset ${offset}: Deno KV has dropped the record as soon as it may`);
      }
    },
  },
  {
    name: "revoke-previous with nothing to revoke answers at once, even while every write loses its race",
    fn: async () => {
      using raw = await Deno.openKv(":memory:");
      const contended = unreliable(raw);
      const store = new KvStore(contended.kv, undefined, 2);
      const { tenant } = await provisionTenant(store, { name: "A", siteNames: ["s"], nowMs: NOW });
      contended.lose(1_000);
      assert.deepEqual(await store.revokePreviousS2sTokens(tenant.id, NOW + 1), []);
    },
  },
  {
    name: "a store written under today's key layout is read in place: an upgrade keeps every record",
    fn: () =>
      inTempDir(async (dir) => {
        const path = `${dir}/store.kv`;
        const layout = await todaysLayout();
        {
          using raw = await Deno.openKv(path);
          for (const [key, value] of layout.entries) await raw.set(key, value);
        }
        const { tenant, site, token, key, device, session, visitor, verified, anonymous, message } = layout.records;
        await using store = await openKvStore({ path });
        assert.deepEqual(await store.getTenant(tenant.id), tenant);
        assert.deepEqual(await store.findSiteByApiKey(site.apiKey), site);
        assert.deepEqual(await store.listSites(tenant.id), [site]);
        assert.deepEqual(await store.findCredential(token.hash), token);
        assert.deepEqual(await store.findS2sToken(tenant.id, token.id), token);
        assert.deepEqual(await store.listS2sTokens(tenant.id), [{ ...token, lastUsedAt: NOW + 5 }]);
        assert.deepEqual(await store.signingKeys(() => Promise.reject(new Error("a key was created"))), [key]);
        assert.deepEqual(await store.findDevice(device.hash), device);
        assert.deepEqual(await store.findSession(session.hash), session);
        assert.deepEqual(await store.getVisitor(visitor.id), visitor);
        assert.deepEqual(await store.listHistory(indexOf(verified), 10), [verified]);
        assert.deepEqual(await store.listHistory(indexOf(anonymous), 10), [anonymous]);
        assert.deepEqual(await store.getConversation(verified.id), verified);
        const listed = await store.listTenantConversations(tenant.id, { limit: 10 });
        assert.deepEqual(listed.conversations.map((c) => c.id).sort(), [anonymous.id, verified.id].sort());
        assert.deepEqual(await store.listMessages(verified.id), [message]);
        assert.equal((await store.addMessage(verified.id, visitorMessage(verified.id, "again", NOW + 9))).seq, 2);
        const again = await store.openSession(layout.reopen);
        assert.equal(again.visitor.id, visitor.id, "a visitor found again through its history");
      }),
  },
  {
    name: "a cache in front of the store holds at most its bound, dropping the least recently used entry",
    fn: () => {
      const lru = new Lru<string, number>(2);
      lru.set("a", 1);
      lru.set("b", 2);
      assert.equal(lru.get("a"), 1, "reading a makes b the least recently used");
      assert.equal(lru.get("missing"), undefined);
      lru.set("c", 3);
      assert.equal(lru.get("b"), undefined);
      assert.equal(lru.get("a"), 1);
      assert.equal(lru.get("c"), 3);
      lru.set("d", 4);
      assert.equal(lru.get("a"), undefined, "two entries at most, and a read that missed took no room");
      assert.equal(lru.get("c"), 3);
      assert.equal(lru.get("d"), 4);
      return Promise.resolve();
    },
  },
  {
    name: "a cache forgets an entry on delete() and every entry on clear(); set() replaces without growing",
    fn: () => {
      const lru = new Lru<string, number>(2);
      lru.set("a", 1);
      lru.set("a", 2);
      lru.set("b", 3);
      assert.equal(lru.get("a"), 2);
      assert.equal(lru.get("b"), 3, "replacing a did not count as a second entry");
      lru.delete("a");
      assert.equal(lru.get("a"), undefined);
      assert.equal(lru.get("b"), 3);
      lru.clear();
      assert.equal(lru.get("b"), undefined);
      return Promise.resolve();
    },
  },
];
