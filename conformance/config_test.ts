import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { main, parseCli, withConfig } from "./cli.ts";
import { ConfigError, readConfig } from "./config.ts";
import { RunReport } from "./report_schema.ts";
import { startInProcessTarget, type Target } from "./target.ts";
import { ENV_NAMES, type TargetVariable } from "./variables.ts";

async function cli(args: string[]) {
  const lines: string[] = [];
  const { exitCode, run } = await main(args, { print: (l) => lines.push(l), env: () => undefined, terminal: false });
  return { exitCode, run, text: lines.join("\n") };
}

/** The target's credentials as an env file, without its URL: the configuration names it. */
async function credentialsFile(target: Target, path: string): Promise<string> {
  const lines = (Object.entries(ENV_NAMES) as [TargetVariable, string][])
    .filter(([name]) => target.vars[name] !== undefined)
    .map(([name, variable]) => `${variable}=${target.vars[name]}`);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

async function writeConfig(dir: string, config: unknown): Promise<string> {
  const path = join(dir, "setchat-conformance.json");
  await Deno.writeTextFile(path, typeof config === "string" ? config : JSON.stringify(config));
  return path;
}

Deno.test("readConfig() refuses a file that is not one, naming the file and the field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const refused: [unknown, RegExp][] = [
      ["{ not json", /it is not JSON/],
      [{ target: { url: "ftp://x.example" } }, /target\.url/],
      [{ target: { urls: ["https://x.example"] } }, /target: .*urls/],
      [{ timeouts: { requestMs: 0 } }, /timeouts\.requestMs/],
      [{ retries: { networkErrors: 9 } }, /retries\.networkErrors/],
      [{ profile: "everything" }, /profile/],
      [{ serverToken: "sk_live_x" }, /unrecognized key.*serverToken/i],
    ];
    for (const [config, why] of refused) {
      const path = await writeConfig(dir, config);
      await assert.rejects(readConfig(path), (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /^Cannot (use|read) .*setchat-conformance\.json: /);
        assert.match(e.message, why);
        return true;
      });
    }
    await assert.rejects(readConfig(join(dir, "absent.json")), /Cannot read .*absent\.json/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withConfig() gives way to every flag given, and puts the file's env files first", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = await readConfig(
      await writeConfig(dir, {
        target: { url: ["https://a.example", "https://b.example"], envFiles: ["staging.env"] },
        profile: "s2s",
        expectedFailures: { "token-alg-none": "ticket 12" },
        timeouts: { requestMs: 2000, runMs: 60000 },
        retries: { networkErrors: 2 },
      }),
    );
    const fromFile = withConfig(parseCli(["--env-file", "secrets.env"]), config);
    assert.deepEqual(fromFile.target.targets, ["https://a.example", "https://b.example"]);
    assert.deepEqual(fromFile.envFiles, [join(dir, "staging.env"), "secrets.env"]);
    assert.equal(fromFile.profile, "s2s");
    assert.equal(fromFile.timeoutMs, 2000);
    assert.equal(fromFile.runTimeoutMs, 60000);
    assert.equal(fromFile.retries, 2);
    assert.deepEqual(fromFile.knownFailures, { "token-alg-none": "ticket 12" });

    const flags = withConfig(
      parseCli([
        "--target",
        "https://c.example",
        "--profile",
        "full",
        "--timeout",
        "500",
        "--retries",
        "0",
        "--run-timeout",
        "9",
        "--expected-failures",
        "known.json",
      ]),
      config,
    );
    assert.deepEqual(flags.target.targets, ["https://c.example"]);
    assert.equal(flags.profile, "full");
    assert.equal(flags.timeoutMs, 500);
    assert.equal(flags.retries, 0);
    assert.equal(flags.runTimeoutMs, 9);
    assert.equal(flags.expectedFailures, "known.json");
    assert.equal(flags.knownFailures, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--config runs against the target the file names, with its profile and known failures", async () => {
  const dir = await Deno.makeTempDir();
  const target = await startInProcessTarget();
  try {
    await credentialsFile(target, join(dir, "staging.env"));
    const config = await writeConfig(dir, {
      target: { url: target.apiUrl, envFiles: ["staging.env"] },
      profile: "s2s",
      expectedFailures: { "no-such-case": "listed to be seen" },
    });
    const { exitCode, run, text } = await cli(["--config", config, "--tag", "smoke", "--out", join(dir, "out")]);
    assert.equal(exitCode, 0, text);
    assert.equal(run!.profile.name, "s2s");
    assert.match(run!.target, new RegExp(target.apiUrl.replaceAll(".", "\\.")));
    assert.match(text, /setchat-conformance\.json lists "no-such-case", which no selected case has/);

    const broken = await writeConfig(dir, { target: { url: target.apiUrl }, retries: { networkErrors: "2" } });
    const refused = await cli(["--config", broken]);
    assert.equal(refused.exitCode, 2);
    assert.match(refused.text, /^Cannot use .*setchat-conformance\.json: retries\.networkErrors: /);
  } finally {
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A proxy to `upstream` that drops the connection of every `nth` request of
 * the widget API's before forwarding it, midway through an answer: the client
 * meets a network error, as behind a flaky load balancer, and the target never
 * sees that request.
 * (The preflight's and the run's own requests, minting, discovery, keys,
 * pass: only a case's requests are retried.)
 */
async function flakyProxy(upstream: string, nth: number) {
  let seen = 0;
  let cut = 0;
  const server = createServer(async (req, res) => {
    const caseRequest = req.method === "POST" && /^\/api\/widget\/(?!visitor-token)/.test(req.url ?? "");
    if (caseRequest && ++seen % nth === 1) {
      cut++;
      // An answer cut short: a connection dropped before any answer is retried by the HTTP client itself.
      res.writeHead(200, { "content-type": "application/json", "content-length": "64" });
      res.write("{");
      setTimeout(() => req.socket.destroy(), 10);
      return;
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of req) chunks.push(chunk);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (name !== "host" && name !== "connection" && typeof value === "string") headers.set(name, value);
    }
    const body = chunks.length ? new Blob(chunks as BlobPart[]) : null;
    const answer = await fetch(upstream + req.url, { method: req.method!, headers, body, redirect: "manual" });
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(new Uint8Array(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => cut,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test("--retries sends again a request that met a network error, and every report marks the case", async () => {
  const dir = await Deno.makeTempDir();
  const target = await startInProcessTarget();
  try {
    const env = await credentialsFile(target, join(dir, "staging.env"));
    const flaky = await flakyProxy(target.apiUrl, 5);
    try {
      const args = ["--env-file", env, "--target", flaky.url, "--tag", "smoke", "--concurrency", "1"];
      const out = join(dir, "out");
      const { exitCode, run, text } = await cli([
        ...args,
        "--retries",
        "3",
        "--reporter",
        "json,junit,html",
        "--out",
        out,
      ]);
      assert.ok(flaky.cut() > 0, "the proxy cut connections");
      assert.equal(exitCode, 0, text);
      const retried = run!.results.filter((r) => r.retried);
      assert.ok(retried.length > 0, `some case had a request retried (${flaky.cut()} cut): ${text}`);
      const [first] = retried;
      assert.match(run!.notes.join("\n"), /met a network error and were sent again \(--retries\)/);
      const json = RunReport.parse(JSON.parse(await Deno.readTextFile(join(out, "conformance.json"))));
      assert.equal(json.results.find((r) => r.id === first!.id)!.retried, first!.retried);
      assert.match(await Deno.readTextFile(join(out, "junit.xml")), /<property name="retried" value="\d+"\/>/);
      assert.match(await Deno.readTextFile(join(out, "report.html")), /retried \d+ requests? after a network error/);

      // Without retries, the same cuts fail cases: the retries are what made the run pass.
      const strict = await cli([...args, "--out", out]);
      assert.equal(strict.exitCode, 1, strict.text);
    } finally {
      await flaky.close();
    }
  } finally {
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--run-timeout stops a run that outlasts it: exit 2, saying how far it got, no report", async () => {
  const dir = await Deno.makeTempDir();
  const target = await startInProcessTarget();
  try {
    const env = await credentialsFile(target, join(dir, "staging.env"));
    const out = join(dir, "out");
    const { exitCode, text } = await cli([
      "--env-file",
      env,
      "--target",
      target.apiUrl,
      "--run-timeout",
      "1",
      "--reporter",
      "json",
      "--out",
      out,
    ]);
    assert.equal(exitCode, 2, text);
    assert.match(text, /Cannot finish the run within its whole-run timeout of 1 ms .*: \d+ of \d+ cases had ended/);
    await assert.rejects(Deno.stat(join(out, "conformance.json")), Deno.errors.NotFound);
  } finally {
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the configuration file shown in docs/conformance.md is a valid one", async () => {
  const doc = await Deno.readTextFile(new URL("../docs/conformance.md", import.meta.url));
  const section = doc.slice(doc.indexOf("### The configuration file"));
  const example = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(example, "the section shows a file");
  const dir = await Deno.makeTempDir();
  try {
    const config = await readConfig(await writeConfig(dir, example));
    assert.ok(config.target?.url && config.timeouts?.runMs && config.retries?.networkErrors !== undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
