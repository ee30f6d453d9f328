/** Reproductions printed on the terminal run as printed, in bash, and reproduce the failure. */
import assert from "node:assert/strict";
import { startIndependentServer } from "../independent/server.ts";
import { main } from "./cli.ts";
import { MUTANTS } from "./proof/mutants.ts";
import { startInProcessTarget } from "./target.ts";
import { ENV_NAMES } from "./variables.ts";

/** The reproduction of `id` exactly as the terminal shows it, indentation included. */
function printedReproduction(lines: string[], id: string): string {
  const text = lines.join("\n").split("\n");
  const head = text.findIndex((l) => l.startsWith(`✗ ${id} (failed`));
  assert.ok(head >= 0, `no failure of ${id} in the output`);
  const start = text.indexOf("  Reproduce:", head) + 1;
  const end = text.findIndex((l, i) => i >= start && l === "");
  return text.slice(start, end).join("\n");
}

async function bash(script: string, env: Record<string, string>, cwd = Deno.cwd()): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: ["-c", `set -u\n${script}`],
    env,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `the reproduction failed to run:\n${script}\n---\n${text}`);
  return text;
}

async function runPretty(env: Record<string, string>, args: string[]): Promise<string[]> {
  const out = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    await main([...args, "--reporter", "pretty", "--out", out], { print: (l) => lines.push(l), env: (n) => env[n] });
    return lines;
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test("an attack's reproduction rebuilds the attack token and replays it, as printed", async () => {
  const target = await startInProcessTarget(MUTANTS.find((m) => m.name === "accepts-alg-none")!.options());
  try {
    const env: Record<string, string> = { SETCHAT_API_URL: target.apiUrl };
    for (const [name, variable] of Object.entries(ENV_NAMES)) {
      const value = target.vars[name as keyof typeof ENV_NAMES];
      if (value) env[variable] = value;
    }
    const lines = await runPretty(env, ["--filter", "token-alg-none", "--profile", "full"]);
    const script = printedReproduction(lines, "token-alg-none");
    assert.match(script, /--transform alg_none/);
    assert.ok(!/eyJ/.test(script), "the attack token is rebuilt, not pasted");
    const output = await bash(script, { ...env, PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "" });
    assert.match(output, /^HTTP\/1\.1 201/m, "the broken build accepts the unsigned token again");
  } finally {
    await target.close();
  }
});

Deno.test("a rotation's reproduction replays the flow to the failing step, as printed", async () => {
  const server = await startIndependentServer({ bugs: ["revoked-token-403"] });
  try {
    const env = { ...server.env } as unknown as Record<string, string>;
    const lines = await runPretty(env, ["--filter", "rot-rotate-revoke", "--profile", "s2s", "--allow-destructive"]);
    const script = printedReproduction(lines, "rot-rotate-revoke");
    // The new token is read where the run found it: this implementation's own field, not the reference's.
    assert.match(script, /jq -r '\.credential\.secret \/\/ empty'/);
    assert.match(script, /DESTRUCTIVE/);
    for (const secret of [env.SETCHAT_SERVER_TOKEN!, env.SETCHAT_ADMIN_TOKEN!]) assert.ok(!script.includes(secret));
    const dir = await Deno.makeTempDir();
    const output = await bash(script, { ...env, PATH: Deno.env.get("PATH") ?? "" }, dir);
    const recovery = `${dir}/recovery.env`;
    assert.equal((await Deno.stat(recovery)).mode! & 0o777, 0o600);
    assert.match(
      await Deno.readTextFile(recovery),
      /^SETCHAT_SERVER_TOKEN='sk_[0-9a-f]{64}'$/m,
      "the rotated token is kept",
    );
    await Deno.remove(dir, { recursive: true });
    assert.match(output, /^HTTP\/1\.1 403/m, `the revoked token gets 403 again, not 401:\n${script}\n---\n${output}`);
  } finally {
    await server.close();
  }
});

Deno.test("every case's reproduction, to its last step, is valid bash", async () => {
  const { loadFixtures } = await import("./fixtures.ts");
  const { reproduction } = await import("./curl.ts");
  const cases = await loadFixtures("fixtures");
  const scripts = cases.map((c) =>
    `${
      reproduction(c, { upTo: c.steps.length - 1, unique: "u1", vars: {}, levels: ["must", "should", "reference"] })
    }\n`
  );
  // One bash process checks them all: each script as the body of its own function.
  const all = scripts.map((s, i) => `f${i}() {\n${s}\n}`).join("\n");
  const out = await new Deno.Command("bash", { args: ["-n"], stdin: "piped", stderr: "piped" }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(all));
  await writer.close();
  const { success, stderr } = await out.output();
  assert.ok(success, new TextDecoder().decode(stderr));
});

Deno.test("a credential the fixture writes out is sent as written in its reproduction, never masked", async () => {
  // A broken build that takes any well-formed server token it does not know.
  const target = await startInProcessTarget({
    wrap: (next) => async (request, info) => {
      const auth = request.headers.get("authorization") ?? "";
      if (new URL(request.url).pathname === "/api/widget/visitor-token" && auth.startsWith("Bearer setchat_s2s_6Nf9")) {
        return Response.json({ token: "not-checked", expiresIn: 300 });
      }
      return await next(request, info);
    },
  });
  try {
    const env: Record<string, string> = { SETCHAT_API_URL: target.apiUrl };
    for (const [name, variable] of Object.entries(ENV_NAMES)) {
      const value = target.vars[name as keyof typeof ENV_NAMES];
      if (value) env[variable] = value;
    }
    const lines = await runPretty(env, ["--filter", "s2s-auth-unknown"]);
    const script = printedReproduction(lines, "s2s-auth-unknown");
    assert.match(script, /'Authorization: Bearer setchat_s2s_6Nf9\w+'/);
    assert.ok(!lines.join("\n").includes(env.SETCHAT_SERVER_TOKEN!), "the real server token stays masked");
    const output = await bash(script, { ...env, PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "" });
    assert.match(output, /^HTTP\/1\.1 200/m, "the broken build takes the fixture's unknown token again");
  } finally {
    await target.close();
  }
});

Deno.test("a HEAD step's reproduction ends once the headers came, as curl reads no body after HEAD", async () => {
  const { loadFixtures } = await import("./fixtures.ts");
  const { reproduction } = await import("./curl.ts");
  const c = (await loadFixtures("fixtures")).find((c) => c.id === "http-head-published-documents")!;
  const target = await startInProcessTarget();
  try {
    const script = reproduction(c, { upTo: 0, unique: "u1", vars: {}, levels: ["must", "should", "reference"] });
    assert.match(script, /--head/);
    // With `-X HEAD`, curl waits for the body the headers announce until the timeout kills it.
    const out = await new Deno.Command("timeout", {
      args: ["-k", "2", "20", "bash", "-c", script],
      env: { SETCHAT_API_URL: target.apiUrl, PATH: Deno.env.get("PATH") ?? "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.match(text, /^HTTP\/1\.1 200/m);
  } finally {
    await target.close();
  }
});
