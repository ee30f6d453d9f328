import assert from "node:assert/strict";
import { join } from "node:path";
import { devEnv, type StartOptions } from "../src/server.ts";
import type { Awaitable, CredentialRecord, DeviceRecord, SessionRecord } from "../src/store/store.ts";
import { testCluster } from "../src/test_utils.ts";
import { main } from "./cli.ts";
import { loadFixtures } from "./fixtures.ts";
import { withStore } from "./proof/mutants.ts";
import { needsOf, nodeIndex } from "./runner.ts";
import { startInProcessTarget, type Target } from "./target.ts";
import { ENV_NAMES } from "./variables.ts";

const FIXTURES = new URL("../fixtures", import.meta.url).pathname;

/** The target's credentials as a CI job's environment, less the URL (given with --target). */
function credentials(target: Target): (name: string) => string | undefined {
  const env: Record<string, string | undefined> = {};
  for (const [name, variable] of Object.entries(ENV_NAMES)) env[variable] = target.vars[name as keyof typeof ENV_NAMES];
  return (name) => env[name];
}

/** The command line, its reports (and any recovery file) in a folder of its own. */
async function cli(args: string[], env: (name: string) => string | undefined) {
  const lines: string[] = [];
  const out = await Deno.makeTempDir();
  try {
    const { exitCode, run } = await main([...args, "--out", out], {
      print: (l) => lines.push(l),
      env,
      terminal: false,
    });
    return { exitCode, run, text: lines.join("\n") };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

function answer(r: { status: number; headers: Headers; body: ArrayBuffer }): Response {
  const empty = [204, 205, 304].includes(r.status);
  return new Response(empty ? null : r.body, { status: r.status, headers: r.headers });
}

/** A node in front of `upstream`, as a load balancer's backend: forwards every request and records its path. */
function node(upstream: string) {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const url = new URL(request.url);
    seen.push(`${request.method} ${url.pathname}`);
    const headers = new Headers(request.headers);
    headers.delete("host");
    const res = await fetch(upstream + url.pathname + url.search, {
      method: request.method,
      headers,
      body: request.body ? await request.arrayBuffer() : null,
      redirect: "manual",
    });
    const body = await res.arrayBuffer();
    return answer({ status: res.status, headers: res.headers, body });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

Deno.test("nodeIndex() alternates a case's requests between the nodes, from a start its id fixes", () => {
  for (const n of [2, 3]) {
    const first = nodeIndex("vis-no-merge-prechat-email", 0, n);
    for (let k = 0; k < 6; k++) assert.equal(nodeIndex("vis-no-merge-prechat-email", k, n), (first + k) % n);
  }
  assert.equal(nodeIndex("any", 5, 1), 0);
  const starts = new Set(["a", "b", "c", "d", "e", "f", "g", "h"].map((id) => nodeIndex(id, 0, 2)));
  assert.equal(starts.size, 2, "cases start on either node");
});

Deno.test("--target given twice: each case's requests alternate between the two nodes, and both pass", async () => {
  const reference = await startInProcessTarget();
  const a = node(reference.apiUrl);
  const b = node(reference.apiUrl);
  try {
    const { exitCode, run, text } = await cli(
      // A body whose framing breaks is refused by the node in front, as by any proxy: it never reaches the reference.
      [
        "--target",
        a.url,
        "--target",
        b.url,
        "--profile",
        "reference",
        "--exclude-tag",
        "destructive",
        "--exclude-tag",
        "framing",
      ],
      credentials(reference),
    );
    assert.equal(exitCode, 0, text);
    assert.deepEqual(run!.nodes, [a.url, b.url]);
    assert.match(run!.target, /^2 nodes/);
    assert.ok(a.seen.length > 100 && b.seen.length > 100, `${a.seen.length} and ${b.seen.length} requests`);
    const fixtures = new Map((await loadFixtures(FIXTURES)).map((c) => [c.id, c]));
    for (const r of run!.results) {
      // A step's report names the node of its first request; without parallel copies or a walk's pages in between,
      // two requests in a row are never on one node.
      if (fixtures.get(r.id)!.steps.some((s) => "request" in s && (s.parallel || s.paginate))) continue;
      const nodes = r.steps.map((s) => s.node).filter(Boolean);
      for (let i = 1; i < nodes.length; i++) {
        assert.notEqual(nodes[i], nodes[i - 1], `${r.id}: two in a row on one node`);
      }
    }
    const one = await cli(
      ["--target", a.url, "--tag", "rotation", "--exclude-tag", "destructive"],
      credentials(reference),
    );
    assert.equal(one.exitCode, 0);
    assert.ok(one.run!.results.every((r) => r.steps.every((s) => s.node === undefined)), "one node: as before");
    assert.equal(one.run!.nodes, undefined);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await reference.close();
  }
});

Deno.test("the preflight checks every node and names the one that does not mint", async () => {
  const reference = await startInProcessTarget();
  const other = await startInProcessTarget();
  try {
    const { exitCode, text } = await cli(
      ["--target", reference.apiUrl, "--target", other.apiUrl],
      credentials(reference),
    );
    assert.equal(exitCode, 2);
    assert.match(
      text,
      new RegExp(`^Cannot run: the server token does not mint a visitor token at ${other.apiUrl} \\(node 2 of 2\\)`),
    );
    const bad = await cli(["--target", reference.apiUrl, "--target", "ftp://x"], credentials(reference));
    assert.equal(bad.exitCode, 2);
    assert.match(bad.text, /^Cannot use the target "ftp:\/\/x": only http and https/);
  } finally {
    await Promise.all([reference.close(), other.close()]);
  }
});

Deno.test("the whole suite passes against two reference instances on one PostgreSQL database, steps spread over both", async () => {
  await using cluster = await testCluster();
  const [a, b] = cluster.servers;
  const dir = await Deno.makeTempDir();
  try {
    // The shared signing key, as a vendor gives the suite theirs: the attacks that need a valid signature run too.
    const kid = a!.deps.keys.current.kid;
    const records = await a!.deps.store.signingKeys(() => Promise.reject(new Error("the cluster has its key")));
    const jwk = { ...records.find((r) => r.kid === kid)!.privateJwk, kid, alg: "EdDSA" };
    const keyFile = join(dir, "signing-key.json");
    await Deno.writeTextFile(keyFile, JSON.stringify(jwk), { mode: 0o600 });
    const env = devEnv(a!.url, cluster.demo);
    const { exitCode, run, text } = await cli(
      [
        "--target",
        a!.url,
        "--target",
        b!.url,
        "--signing-key",
        keyFile,
        "--allow-destructive",
        "--strict",
      ],
      (name) => env[name],
    );
    assert.equal(exitCode, 0, text);
    assert.equal(run!.profile.name, "reference");
    const cases = await loadFixtures(FIXTURES);
    assert.equal(run!.results.length, cases.length);
    // Only what cannot apply here is left out: the test clock is for a server with its own store, never a shared
    // database; and a re-encoding attack has nothing to change in a token whose length leaves no stray bits.
    const cannotApply = /clock cannot be moved|leaves this target's value unchanged/;
    const others = run!.results.filter((r) => r.status !== "passed" && !cannotApply.test(r.reason ?? ""));
    assert.deepEqual(others.map((r) => `${r.id} (${r.status}): ${r.reason}`), [], "every other case passed");
    const clockCases = cases.filter((c) => needsOf(c).includes("clock")).map((c) => c.id);
    assert.ok(clockCases.every((id) => run!.results.find((r) => r.id === id)!.status === "skipped"));
    const nodes = new Set(run!.results.flatMap((r) => r.steps.map((s) => s.node).filter(Boolean)));
    assert.deepEqual([...nodes].sort(), [a!.url, b!.url].sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A lookup that keeps what it found in `cache`, never asking the store again. */
function cachedIn<T>(cache: Map<string, T>, lookup: (key: string) => Awaitable<T | null>) {
  return async (key: string): Promise<T | null> => {
    if (cache.has(key)) return cache.get(key)!;
    const found = await lookup(key);
    if (found) cache.set(key, found);
    return found;
  };
}

/**
 * Broken builds that only several instances show: each instance keeps a
 * cache of its own and forgets an entry when it changes it itself, never
 * when another instance does. On one node they pass every case.
 */
const NODE_LOCAL: { name: string; tag: string; start: () => StartOptions }[] = [
  {
    name: "sessions and devices cached per instance (a logout on one node only)",
    tag: "logout",
    start: withStore((store) => {
      const sessions = new Map<string, SessionRecord>();
      const devices = new Map<string, DeviceRecord>();
      return {
        findSession: cachedIn(sessions, (hash) => store.findSession(hash)),
        findDevice: cachedIn(devices, (hash) => store.findDevice(hash)),
        findSessionWithDevice: async (hash) => {
          const session = await cachedIn(sessions, (h) => store.findSession(h))(hash);
          return session &&
            { session, device: await cachedIn(devices, (h) => store.findDevice(h))(session.deviceHash) };
        },
        endSession: async (session, atMs) => {
          sessions.delete(session.hash);
          devices.delete(session.deviceHash);
          await store.endSession(session, atMs);
        },
      };
    }),
  },
  {
    name: "server tokens cached per instance (a revocation on one node only)",
    tag: "rotation",
    start: withStore((store) => {
      const credentials = new Map<string, CredentialRecord>();
      return {
        findCredential: cachedIn(credentials, (hash) => store.findCredential(hash)),
        revokePreviousS2sTokens: async (tenantId, atMs) => {
          credentials.clear();
          return await store.revokePreviousS2sTokens(tenantId, atMs);
        },
      };
    }),
  },
];

for (const broken of NODE_LOCAL) {
  Deno.test(`the suite over two nodes fails ${broken.name}, which one node passes`, async () => {
    const args = ["--tag", broken.tag, "--allow-destructive", "--profile", "reference"];
    // Each instance gets its own cache (`mutate` runs once per instance), and each run a cluster of its own, since
    // the destructive cases leave the tenant another server token.
    const cluster = () => testCluster({ start: broken.start() });
    {
      await using one = await cluster();
      const env = devEnv(one.servers[0]!.url, one.demo);
      const alone = await cli(["--target", one.servers[0]!.url, ...args], (name) => env[name]);
      assert.equal(alone.exitCode, 0, alone.text);
    }
    await using two = await cluster();
    const [a, b] = two.servers;
    const env = devEnv(a!.url, two.demo);
    const spread = await cli(["--target", a!.url, "--target", b!.url, ...args], (name) => env[name]);
    assert.equal(spread.exitCode, 1, spread.text);
    const failed = spread.run!.results.find((r) => r.status === "failed")!;
    assert.ok(failed.steps.some((s) => s.node === b!.url) && failed.steps.some((s) => s.node === a!.url));
    assert.match(failed.curl!, /SETCHAT_API_URL_2=\$\{SETCHAT_API_URL_2:-'http:\/\/127\.0\.0\.1:\d+'\}/);
    assert.match(failed.curl!, /# step \d+: .* \(node [12]\)/);
    assert.match(failed.curl!, /curl .* "\$SETCHAT_API_URL_[12]"'\/api\//);
  });
}
