/**
 * Crash safety of the file store: writers run against a server in a child
 * process, the server is killed with SIGKILL at a random moment, restarted on
 * the same data directory, and everything it acknowledged is read back.
 */
import assert from "node:assert/strict";
import { type ChildServer, type ChildServerHello, spawnChildServer } from "./child_server.ts";

type Credentials = NonNullable<ChildServerHello["demo"]>;

/** What the server answered 2xx to, so must keep. */
interface Acknowledged {
  /** Conversation id to its messages (id to text). */
  conversations: Map<string, Map<string, string>>;
  /** Server tokens that an acknowledged revoke-previous revoked. */
  revoked: Set<string>;
  /** Server tokens in the order rotations returned them; the first is the demo's. */
  rotated: string[];
  /** Answers other than 2xx during the load. */
  unexpected: string[];
  /**
   * When the newest acknowledged write of each kind was sent (test clock, ms): it was acknowledged after that. A
   * revocation counts only when it revoked a token.
   */
  lastSent: { conversation: number; message: number; revocation: number };
}

/** A seeded generator, so that a failure names the kill moments it had. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function call(url: string, method: string, token: string | undefined, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  // The body is read before the write counts as acknowledged: it carries the ids.
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, ok: res.ok, text };
}

/**
 * A widget writing: an anonymous session, a new conversation now and then, and
 * messages to any of its conversations (old ones too). Ends when the server is gone.
 */
async function conversationWriter(
  base: string,
  creds: Credentials,
  ack: Acknowledged,
  next: () => number,
): Promise<void> {
  try {
    const session = await call(`${base}/api/widget/sessions`, "POST", undefined, { siteApiKey: creds.siteApiKey });
    if (!session.ok) return void ack.unexpected.push(`session: ${session.status} ${session.text}`);
    const token = session.body.sessionToken as string;
    const mine: string[] = [];
    for (let n = 0;; n++) {
      if (mine.length === 0 || next() < 0.2) {
        const text = `conversation ${n}`;
        const sent = Date.now();
        const created = await call(`${base}/api/widget/conversations`, "POST", token, { kind: "chat", text });
        if (!created.ok) {
          ack.unexpected.push(`conversation: ${created.status} ${created.text}`);
          continue;
        }
        const id = created.body.conversation.id as string;
        ack.conversations.set(id, new Map([[created.body.messages[0].id, text]]));
        ack.lastSent.conversation = sent;
        mine.push(id);
        continue;
      }
      const id = mine[Math.floor(next() * mine.length)]!;
      const text = `message ${n}`;
      const sent = Date.now();
      const posted = await call(`${base}/api/widget/conversations/${id}/messages`, "POST", token, { text });
      if (posted.ok) {
        ack.conversations.get(id)!.set(posted.body.id, text);
        ack.lastSent.message = sent;
      } else ack.unexpected.push(`message: ${posted.status} ${posted.text}`);
    }
  } catch {
    // The server was killed: whatever was in flight is not acknowledged.
  }
}

/** An operator rotating then revoking the previous server token, over and over. Ends when the server is gone. */
async function revocationWriter(base: string, creds: Credentials, ack: Acknowledged): Promise<void> {
  const ops = `${base}/api/tenants/${creds.tenantId}/widget-identity/s2s-token`;
  try {
    while (true) {
      // Revoke first: a rotation acknowledged just before a kill leaves a previous token active.
      const newest = ack.rotated.at(-1)!;
      const sent = Date.now();
      const revoked = await call(`${ops}/revoke-previous`, "POST", creds.adminToken);
      if (revoked.ok) {
        // A repeated revoke-previous that revokes nothing is no fresh write to lose.
        if (revoked.body.revoked.length > 0) ack.lastSent.revocation = sent;
        // Every token older than the newest acknowledged one is revoked, whatever rotations went unacknowledged.
        for (const t of ack.rotated) if (t !== newest) ack.revoked.add(t);
      } else ack.unexpected.push(`revoke-previous: ${revoked.status} ${revoked.text}`);
      const rotated = await call(`${ops}/rotate`, "POST", creds.adminToken);
      if (rotated.ok) ack.rotated.push(rotated.body.token);
      else ack.unexpected.push(`rotate: ${rotated.status} ${rotated.text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch {
    // The server was killed.
  }
}

/**
 * Runs writers until the server is killed, `killAfterMs` after they start and
 * once `killWhen` holds: on a busy machine the writes the kill must interrupt
 * may take longer to start than the moment drawn.
 */
async function loadThenKill(
  server: ChildServer,
  creds: Credentials,
  ack: Acknowledged,
  options: { killAfterMs: number; next: () => number; killWhen?: () => boolean },
): Promise<void> {
  const base = server.hello.url;
  const writers = [
    ...Array.from({ length: 6 }, () => conversationWriter(base, creds, ack, options.next)),
    revocationWriter(base, creds, ack),
  ];
  await new Promise((r) => setTimeout(r, options.killAfterMs));
  // Bounded in time, not in turns: a condition that never comes still ends in a kill, and the test's own assertions
  // say what is missing.
  const deadline = Date.now() + 60_000;
  while (options.killWhen && !options.killWhen() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  const status = await server.stop("SIGKILL");
  assert.equal(status.signal, "SIGKILL");
  await Promise.all(writers);
}

/** Reads back every acknowledged write over HTTP; returns what is missing. */
async function missing(base: string, creds: Credentials, ack: Acknowledged): Promise<string[]> {
  const lost: string[] = [];
  const checks: (() => Promise<void>)[] = [];
  for (const [id, messages] of ack.conversations) {
    checks.push(async () => {
      const res = await call(`${base}/api/tenants/${creds.tenantId}/conversations/${id}`, "GET", creds.adminToken);
      if (res.status !== 200) return void lost.push(`conversation ${id}: ${res.status}`);
      const kept = new Map<string, string>(res.body.messages.map((m: { id: string; text: string }) => [m.id, m.text]));
      for (const [messageId, text] of messages) {
        if (kept.get(messageId) !== text) lost.push(`message ${messageId} of ${id}`);
      }
    });
  }
  for (const token of ack.revoked) {
    checks.push(async () => {
      const res = await call(`${base}/api/widget/visitor-token`, "POST", token, {
        siteApiKey: creds.siteApiKey,
        externalUserId: "user-42",
      });
      if (res.status !== 401 || res.body?.code !== "auth_revoked") {
        lost.push(`revocation of ${token.slice(0, 16)}…: minting answered ${res.status}`);
      }
    });
  }
  // A few at a time: the server just restarted and this is loopback.
  const next = () => checks.shift();
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let check = next(); check; check = next()) await check();
  }));
  return lost;
}

function counts(ack: Acknowledged): { conversations: number; messages: number; revoked: number } {
  let messages = 0;
  for (const m of ack.conversations.values()) messages += m.size;
  return { conversations: ack.conversations.size, messages, revoked: ack.revoked.size };
}

/** Starts a server on `dataDir`, or restarts it there. */
async function start(dataDir: string, args: string[] = []): Promise<ChildServer> {
  return await spawnChildServer({ args: ["--data", dataDir, ...args] });
}

Deno.test("startServer() on a file store keeps every acknowledged conversation, message and revocation through SIGKILL", async () => {
  const seed = Date.now() % 2 ** 32;
  const moment = random(seed);
  const next = random(seed + 1);
  const dataDir = await Deno.makeTempDir();
  let server: ChildServer | undefined;
  try {
    server = await start(dataDir);
    const creds = server.hello.demo;
    assert.ok(creds, "the first start creates the demo tenant");
    const ack: Acknowledged = {
      conversations: new Map(),
      revoked: new Set(),
      rotated: [creds.serverToken],
      unexpected: [],
      lastSent: { conversation: 0, message: 0, revocation: 0 },
    };
    const moments: number[] = [];
    for (let kill = 0; kill < 4; kill++) {
      const before = counts(ack);
      const at = Math.round(150 + moment() * 850);
      moments.push(at);
      // The kill must interrupt a load that wrote something: at the moment drawn, or at the first write after it.
      const wrote = () => {
        const now = counts(ack);
        return now.conversations > before.conversations && now.messages > before.messages;
      };
      await loadThenKill(server, creds, ack, { killAfterMs: at, next, killWhen: wrote });
      const where = `seed ${seed}, kills at ${moments.join(", ")} ms after the load started`;
      const after = counts(ack);
      assert.ok(
        after.conversations > before.conversations && after.messages > before.messages,
        `no write was acknowledged (${where})`,
      );
      assert.deepEqual(ack.unexpected, [], where);
      server = await start(dataDir);
      assert.equal(server.hello.demo, null, "a restart creates no demo tenant");
      assert.deepEqual(await missing(server.hello.url, creds, ack), [], `acknowledged writes were lost (${where})`);
    }
    assert.ok(ack.revoked.size > 0, "some server tokens were revoked before a kill");
  } finally {
    await server?.stop("SIGTERM");
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the crash check finds the writes a store acknowledged before committing them", async () => {
  const dataDir = await Deno.makeTempDir();
  let server: ChildServer | undefined;
  try {
    // Writes are committed a second after their answer. The kill comes past two seconds into the load, once a
    // conversation, a message and a revoke-previous were each acknowledged for a request sent less than 400 ms ago:
    // those are lost, while the conversations of the first second, committed, show the messages lost from them.
    // The margins hold on a busy machine: a kill up to 600 ms late, and commits up to 500 ms late.
    const deferMs = 1000;
    server = await start(dataDir, ["--defer-writes", String(deferMs)]);
    const creds = server.hello.demo!;
    const ack: Acknowledged = {
      conversations: new Map(),
      revoked: new Set(),
      rotated: [creds.serverToken],
      unexpected: [],
      lastSent: { conversation: 0, message: 0, revocation: 0 },
    };
    const fresh = (sent: number) => Date.now() - sent < deferMs - 600;
    await loadThenKill(server, creds, ack, {
      killAfterMs: deferMs * 2 + 500,
      next: random(1),
      killWhen: () => fresh(ack.lastSent.conversation) && fresh(ack.lastSent.message) && fresh(ack.lastSent.revocation),
    });
    assert.deepEqual(ack.unexpected, [], "until the crash, the write-behind store answers as a sound one does");
    server = await start(dataDir);
    const lost = await missing(server.hello.url, creds, ack);
    assert.ok(lost.some((l) => l.startsWith("conversation ")), "a lost conversation is found");
    assert.ok(lost.some((l) => l.startsWith("message ")), "a lost message is found");
    assert.ok(lost.some((l) => l.startsWith("revocation ")), "a lost revocation is found");
  } finally {
    await server?.stop("SIGTERM");
    await Deno.remove(dataDir, { recursive: true });
  }
});
