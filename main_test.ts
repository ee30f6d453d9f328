import assert from "node:assert/strict";
import { SETTINGS } from "./src/config.ts";
import { openDataDirectory } from "./src/server.ts";
import { BUNDLES } from "./tools/build.ts";

const ROOT = new URL(".", import.meta.url).pathname;
/** The serve task's permissions. */
const PERMISSIONS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-run"];

/** The environment of this process without the server's own settings, so that none leaks into a test. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Deno.env.toObject();
  for (const s of SETTINGS) if (s.env) delete env[s.env];
  return { ...env, NO_COLOR: "1", ...extra };
}

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno <args>` in the project to its end, or kills it after 30 s (a server that started when it should not). */
async function deno(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    signal: AbortSignal.timeout(30_000),
    cwd: ROOT,
    env: cleanEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Runs `main.ts` to its end: for the runs that must not start. */
function runMain(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return deno(["run", ...PERMISSIONS, "main.ts", ...args], env);
}

/** A `main.ts` that started: its URL, then everything it printed once stopped. */
interface Started {
  firstLine: string;
  /** The loopback URL to call it on. */
  url: string;
  /** Sends SIGTERM and waits for the end. */
  stop(): Promise<Finished>;
}

/** Starts `main.ts` and waits for its first line. */
async function startMain(args: string[]): Promise<Started> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "main.ts", ...args],
    cwd: ROOT,
    env: cleanEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  let stderr = "";
  const reading = Promise.all([
    (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) stdout += chunk;
    })(),
    (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
    })(),
  ]);
  // The banner is the first line of standard output, or of standard error under --log json.
  const json = args[args.indexOf("--log") + 1] === "json";
  const banner = () => (json ? stderr : stdout);
  const deadline = Date.now() + 30_000;
  while (!banner().includes("\n")) {
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`Cannot start main.ts: no first line in 30 s; stderr: ${stderr}`);
    }
    const exited = await Promise.race([child.status.then(() => true), new Promise((r) => setTimeout(r, 50, false))]);
    if (exited && !banner().includes("\n")) {
      await reading;
      throw new Error(`Cannot start main.ts: it exited; stderr: ${stderr}`);
    }
  }
  const firstLine = banner().slice(0, banner().indexOf("\n"));
  const port = /:(\d+) /.exec(firstLine)?.[1];
  return {
    firstLine,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      const { code } = await child.status;
      await reading;
      return { code, stdout, stderr };
    },
  };
}

/** Asserts a refusal to start: exit 2, nothing on standard output, one line on standard error. */
function assertOneLine(run: Finished, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit status 2 expected; stderr: ${run.stderr}`);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line expected, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^Cannot [a-z]/);
  assert.match(lines[0]!, pattern);
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function parseEnvFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split("\n").filter((l) => /^[A-Z_]+=/.test(l)).map((
      l,
    ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function post(url: string, token: string | undefined, body: unknown): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("main.ts --help prints every flag, environment variable, default and exit code", async () => {
  const run = await runMain(["--help"]);
  assert.equal(run.code, 0);
  assert.equal(run.stderr, "");
  for (const s of SETTINGS) {
    if (s.flag) assert.ok(run.stdout.includes(s.flag), `${s.flag} is missing`);
    if (s.env) assert.ok(run.stdout.includes(s.env), `${s.env} is missing`);
    if (s.default) assert.ok(run.stdout.includes(`default: ${s.default}`), `the default of ${s.flag ?? s.env}`);
  }
  for (const code of [0, 1, 2]) assert.match(run.stdout, new RegExp(`^  ${code}  \\w`, "m"));
  // Help answers even when something else is wrong, so that it can explain it.
  const anyway = await runMain(["--prot", "1", "-h"], { PORT: "http" });
  assert.equal(anyway.code, 0);
  assert.equal(anyway.stdout, run.stdout);
});

Deno.test("main.ts refuses an unknown flag or a wrong setting in one line with exit 2", async () => {
  assertOneLine(await runMain(["--prot", "1"]), /unknown option '--prot'; run with --help/);
  assertOneLine(await runMain(["--port"]), /--port.*run with --help/);
  assertOneLine(await runMain(["extra"]), /unexpected argument 'extra'/);
  assertOneLine(await runMain(["--port", "http"]), /--port "http"/);
  assertOneLine(await runMain([], { PORT: "http" }), /PORT "http"/);
  assertOneLine(await runMain(["--log", "xml"]), /--log "xml".*pretty, json, off/);
  assertOneLine(await runMain([], { SETCHAT_VISITOR_TOKEN_TTL: "3600" }), /300 to 900.*SETCHAT_VISITOR_TOKEN_TTL/);
});

Deno.test("main.ts refuses a busy port in one line, and the next start still writes a working dev.env", async () => {
  await withTempDir(async (dir) => {
    const dataDir = `${dir}/data`;
    {
      using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = busy.addr.port;
      assertOneLine(
        await runMain(["--port", String(port), "--data", dataDir]),
        new RegExp(`^Cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use; .*--port`),
      );
    }
    const server = await startMain(["--port", "0", "--data", dataDir, "--log", "off"]);
    let out: Finished;
    try {
      const env = parseEnvFile(await Deno.readTextFile(`${dataDir}/dev.env`));
      const mint = await post(`${server.url}/api/widget/visitor-token`, env.SETCHAT_SERVER_TOKEN, {
        siteApiKey: env.SETCHAT_SITE_API_KEY,
        externalUserId: "user-42",
      });
      assert.equal(mint.status, 200, "dev.env's server token works");
      await mint.body?.cancel();
    } finally {
      out = await server.stop();
    }
    assert.match(out.stdout, /First start: created the demo tenant/);
  });
});

Deno.test("main.ts refuses a data directory in use in one line, and the serve task leaves dist/ alone", async () => {
  await withTempDir(async (dataDir) => {
    await using _first = await openDataDirectory(dataDir);
    const direct = await runMain(["--port", "0", "--data", dataDir]);
    assertOneLine(direct, /^Cannot open the store .*store\.kv: another server process is using it; .*--data$/);

    const modified = () =>
      Promise.all(BUNDLES.map((b) => Deno.stat(`${ROOT}${b.output}`).then((i) => i.mtime?.getTime(), () => null)));
    const before = await modified();
    const task = await deno(["task", "serve", "--port", "0", "--data", dataDir]);
    assert.equal(task.code, 2);
    assert.equal(task.stdout, "");
    assert.equal(task.stderr.trimEnd().split("\n").at(-1), direct.stderr.trimEnd());
    assert.doesNotMatch(task.stderr, /^\s+at /m, "no stack trace");
    assert.deepEqual(await modified(), before, "dist/ was rebuilt by a server that could not start");
  });
});

Deno.test("main.ts refuses a data directory open to others in one line and writes nothing there", async () => {
  await withTempDir(async (dir) => {
    const dataDir = `${dir}/shared`;
    await Deno.mkdir(dataDir);
    await Deno.chmod(dataDir, 0o755);
    assertOneLine(
      await runMain(["--port", "0", "--data", dataDir]),
      /^Cannot use the data directory .*shared: other users can open it \(mode 0755\); run chmod 700 .*shared/,
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dataDir)), []);
    assert.equal((await Deno.stat(dataDir)).mode! & 0o777, 0o755, "the directory's mode is its owner's choice");
  });
});

Deno.test("main.ts names dev.env on a restart without printing its tokens", async () => {
  await withTempDir(async (dir) => {
    const dataDir = `${dir}/data`;
    const first = await startMain(["--port", "0", "--data", dataDir, "--log", "off"]);
    const firstOut = await first.stop();
    assert.equal(firstOut.code, 0);
    const devEnvPath = `${dataDir}/dev.env`;
    const text = await Deno.readTextFile(devEnvPath);
    assert.match(text, new RegExp(`^# Use it with: set -a; \\. ${escaped(devEnvPath)}; set \\+a$`, "m"));
    const secrets = Object.entries(parseEnvFile(text)).filter(([k]) => k !== "SETCHAT_API_URL").map(([, v]) => v);
    assert.ok(secrets.some((s) => firstOut.stdout.includes(s)), "the first start shows the tokens once");

    const again = await startMain(["--port", "0", "--data", dataDir, "--log", "off"]);
    const out = await again.stop();
    assert.equal(out.code, 0);
    assert.match(
      again.firstLine,
      new RegExp(`^SetChat reference server on http://localhost:\\d+ \\(store in ${escaped(dataDir)}/\\)$`),
    );
    assert.match(
      out.stdout,
      new RegExp(`^  demo credentials in ${escaped(devEnvPath)}: set -a; \\. ${escaped(devEnvPath)}; set \\+a$`, "m"),
    );
    for (const s of secrets) assert.ok(!(out.stdout + out.stderr).includes(s), "a restart printed a credential");
  });
});

Deno.test("main.ts logs each request in one line, and never a token", async () => {
  await withTempDir(async (dir) => {
    const dataDir = `${dir}/data`;
    await (await startMain(["--port", "0", "--data", dataDir, "--log", "off"])).stop();
    const env = parseEnvFile(await Deno.readTextFile(`${dataDir}/dev.env`));
    const server = await startMain(["--port", "0", "--data", dataDir, "--log", "json"]);
    const tokens: string[] = [env.SETCHAT_SERVER_TOKEN!, env.SETCHAT_ADMIN_TOKEN!, env.SETCHAT_FOREIGN_ADMIN_TOKEN!];
    let requests = 0;
    const call = async (path: string, init: RequestInit = {}) => {
      requests++;
      const response = await fetch(`${server.url}${path}`, init);
      const body = await response.text();
      return { status: response.status, body: body ? JSON.parse(body) : null };
    };
    const json = (method: string, token: string | undefined, body?: unknown): RequestInit => ({
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    let out: Finished;
    try {
      const minted = await call(
        "/api/widget/visitor-token",
        json("POST", env.SETCHAT_SERVER_TOKEN, { siteApiKey: env.SETCHAT_SITE_API_KEY, externalUserId: "user-42" }),
      );
      assert.equal(minted.status, 200);
      tokens.push(minted.body.token);
      const session = await call(
        "/api/widget/sessions",
        json("POST", undefined, { siteApiKey: env.SETCHAT_SITE_API_KEY, visitorToken: minted.body.token }),
      );
      assert.equal(session.status, 201, JSON.stringify(session.body));
      tokens.push(session.body.sessionToken, session.body.deviceCredential);
      const wss = session.body.sessionToken;
      const created = await call("/api/widget/conversations", json("POST", wss, { kind: "chat", text: "Hello" }));
      assert.equal(created.status, 201);
      const messages = `/api/widget/conversations/${created.body.conversation.id}/messages`;
      assert.equal((await call(`${messages}?after=${created.body.messages[0].id}`, json("GET", wss))).status, 200);
      const rotated = await call(
        `/api/tenants/${env.SETCHAT_TENANT_ID}/widget-identity/s2s-token/rotate`,
        json("POST", env.SETCHAT_ADMIN_TOKEN),
      );
      assert.equal(rotated.status, 200);
      tokens.push(rotated.body.token);
      // Tokens where they do not belong: in the query and in the path.
      await call(`/api/widget/conversations?token=${wss}&access_token=${minted.body.token}`);
      await call(`/api/widget/session/${env.SETCHAT_SERVER_TOKEN}`);
      await call(`/api/widget/${encodeURIComponent(`Bearer ${minted.body.token}`)}/x`);
      assert.equal((await call("/api/widget/session", json("DELETE", wss))).status, 204);
      assert.equal((await call("/healthz")).status, 200);
    } finally {
      out = await server.stop();
    }
    for (const token of tokens) {
      assert.ok(token.length > 40);
      assert.ok(!(out.stdout + out.stderr).includes(token), `a token reached the log: ${token.slice(0, 12)}…`);
    }
    const lines = out.stdout.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, requests, `one line per request, and nothing else:\n${out.stdout}`);
    for (const line of lines) {
      const entry = JSON.parse(line);
      assert.deepEqual(Object.keys(entry).sort(), ["durationMs", "method", "path", "requestId", "status", "time"]);
      assert.match(entry.requestId, /^[0-9a-f-]{36}$/);
      assert.equal(typeof entry.durationMs, "number");
      assert.ok(!entry.path.includes("?"), "the query is never logged");
    }
    const first = JSON.parse(lines[0]!);
    assert.deepEqual([first.method, first.path, first.status], ["POST", "/api/widget/visitor-token", 200]);
    assert.ok(lines.some((l) => JSON.parse(l).path === "/api/widget/session/[redacted]"));
  });
});

Deno.test("main.ts under --log json writes only JSON lines on standard output, a first start included", async () => {
  await withTempDir(async (dir) => {
    const dataDir = `${dir}/data`;
    const server = await startMain(["--port", "0", "--data", dataDir, "--log", "json"]);
    let out: Finished;
    try {
      await (await fetch(`${server.url}/healthz`)).body?.cancel();
    } finally {
      out = await server.stop();
    }
    const lines = out.stdout.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1, out.stdout);
    assert.deepEqual(JSON.parse(lines[0]!).path, "/healthz");
    assert.match(
      server.firstLine,
      /^SetChat reference server on http:\/\/localhost:\d+ /,
      "the banner is on standard error",
    );
    const devEnvPath = `${dataDir}/dev.env`;
    assert.match(out.stderr, new RegExp(`tokens are in ${escaped(devEnvPath)} \\(mode 0600\\), never in the log`));
    const env = parseEnvFile(await Deno.readTextFile(devEnvPath));
    for (const [name, value] of Object.entries(env)) {
      if (/TOKEN/.test(name)) assert.ok(!(out.stdout + out.stderr).includes(value), `${name} was printed`);
    }
  });
});

Deno.test("main.ts logs requests in pretty lines by default, and none with --log off", async () => {
  for (const [args, expected] of [[[], 1], [["--log", "off"], 0]] as const) {
    const server = await startMain(["--port", "0", "--data", ":memory:", ...args]);
    let out: Finished;
    try {
      await (await fetch(`${server.url}/healthz?probe=1`)).body?.cancel();
    } finally {
      out = await server.stop();
    }
    const lines = out.stdout.split("\n").filter((l) => l.includes(" GET /healthz"));
    assert.equal(lines.length, expected, out.stdout);
    if (expected) {
      assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z GET \/healthz 200 \d+\.\dms [0-9a-f-]{36}$/);
    }
  }
});
