/**
 * The suite pointed at a hostile target: a server that answers every request
 * with what an attacker would put in a report, a script or a file. Every
 * report stays well-formed and inert, every reproduction and `recovery.env`
 * runs nothing the target chose, and the terminal gets no control sequence.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { launchChromium } from "./browser/chromium.ts";
import { main } from "./cli.ts";
import type { RunResult } from "./runner.ts";

/** What a shell runs if a value reaches it unquoted: each writes a file named after where it came from. */
const RUNS = {
  recovery: "$(: > pwned-by-recovery)",
  template: "{{(:>PWNED_BY_TEMPLATE)}}",
  quote: "'$(: > pwned-by-quote)'",
};

/**
 * Rotation answers: markup-breaking text (the report once registered it as a
 * secret and replaced it in the rendered page, so that `>` of its own markup
 * vanished and the next answer became attributes of a tag), shell code, a
 * token that is the report's own script text, one the shell would expand
 * unquoted, and one holding a line break.
 */
const ROTATED = [
  ">AAAAAAAA",
  RUNS.recovery,
  "document.querySelectorAll",
  "~root/hostile-but-bearer-shaped",
  `x\nSETCHAT_SERVER_TOKEN=${RUNS.recovery}`,
];

/** A body no report can show as it is. */
const NASTY = [
  "AAAAAAAA onmouseover=alert(1) x",
  "<img src=x onerror=alert(1)>",
  '<a href="javascript:alert(1)">x</a>',
  "</pre></details></td></tr></table><script>alert(1)</script>",
  "]]><!-- --><?xml ?>",
  "\u001b[2J\u001b]0;owned\u0007\r\u0000\u0008",
  "\uffff\ufffe\u202eevil\u202c",
  RUNS.quote,
].join("\n");

interface Hostile {
  url: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A hostile target on a free port, with an env file's worth of settings for it. */
function hostileTarget(): Hostile {
  let rotation = 0;
  let other = 0;
  const encoder = new TextEncoder();
  const answers: (() => Response)[] = [
    () => new Response(NASTY, { status: 200, headers: { "x-nasty": "<script>alert(1)</script>" } }),
    // Escapes JSON.parse turns into lone surrogates and controls, and values made to be read back as templates.
    () =>
      new Response(
        `{"code":"\\ud800\\u0000${RUNS.template}","detail":${JSON.stringify(NASTY)},"token":{"t":"${RUNS.template}"}}`,
        { status: 400, headers: { "content-type": "application/problem+json" } },
      ),
    () => new Response(new Uint8Array([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d, ...encoder.encode(NASTY)]), { status: 200 }),
    () => new Response(`${NASTY}\n${"A".repeat(3 * 1024 * 1024)}`, { status: 200 }),
    () => new Response(NASTY, { status: 500 }),
  ];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    const text = await request.text();
    if (path === "/.well-known/setchat.json") {
      return Response.json({
        implementation: "hostile",
        contractVersion: "1.0",
        surfaces: ["s2s", "widget", "agent"],
        referenceChoices: false,
        // Taken at its word: whatever the rotate answer holds there is its new server token.
        rotateTokenField: "token",
      });
    }
    if (path === "/api/widget/visitor-token" && request.method === "POST") {
      // The preflight gets a token; every other mint a "token" made to be written out as a reproduction's JSON.
      if (text.includes("conformance-preflight-")) return Response.json({ token: "eyJhbGciOiJub25lIn0.e30." });
      return Response.json({ token: { t: RUNS.template, q: RUNS.quote, b: "\u202eevil\u0085" }, expiresIn: 300 });
    }
    if (path.endsWith("/s2s-token/rotate")) return Response.json({ token: ROTATED[rotation++ % ROTATED.length] });
    if (path.endsWith("/s2s-token/revoke-previous")) return Response.json({ revoked: 1 });
    return answers[other++ % answers.length]!();
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  const env = {
    SETCHAT_API_URL: url,
    SETCHAT_SERVER_TOKEN: "hostile-server-token-0001",
    SETCHAT_ADMIN_TOKEN: "hostile-admin-token-0001",
    SETCHAT_TENANT_ID: "ten_hostile",
    SETCHAT_SITE_API_KEY: "site_hostile",
    SETCHAT_OTHER_SITE_API_KEY: "site_hostile_other",
    SETCHAT_FOREIGN_SITE_API_KEY: "site_foreign",
    SETCHAT_FOREIGN_TENANT_ID: "ten_foreign",
    SETCHAT_FOREIGN_ADMIN_TOKEN: "hostile-foreign-admin-0001",
  };
  return { url, env, close: () => server.shutdown() };
}

/** Files a folder holds, by name. */
async function filesIn(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

async function bash(script: string, cwd: string, env: Record<string, string>): Promise<string> {
  // timeout ends the whole process group: a curl the script started cannot outlive it and hold the target open.
  const out = await new Deno.Command("timeout", {
    args: ["-k", "5", "60", "bash", "-c", script],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

Deno.test("a hostile target cannot script the reports, the reproductions or recovery.env, nor drive the terminal", async () => {
  const hostile = hostileTarget();
  const dir = await Deno.makeTempDir();
  const out = join(dir, "reports");
  const browser = await launchChromium();
  try {
    const envFile = join(dir, "hostile.env");
    await Deno.writeTextFile(envFile, Object.entries(hostile.env).map(([k, v]) => `${k}=${v}`).join("\n"));
    const lines: string[] = [];
    const { exitCode } = await main(
      ["--env-file", envFile, "--allow-destructive", "--reporter", "pretty,json,junit,html", "--out", out],
      { print: (l) => lines.push(l), env: () => undefined, terminal: false },
    );
    assert.equal(exitCode, 1, lines.slice(0, 5).join("\n"));

    // The terminal: no control character but line breaks, whatever the target sent.
    const printed = lines.join("\n");
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(printed, /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E]/);
    assert.match(printed, /\\u202eevil\\u0085/, "a value written out in a reproduction shows its escapes");
    assert.ok(!lines.join("\n").split("\n").some((l) => l.startsWith("SETCHAT_")), "a target's line break made a line");

    // JSON: parses, is UTF-8, shows the target's non-credential values as sent, and cuts a huge body with a note.
    const jsonBytes = await Deno.readFile(join(out, "conformance.json"));
    const report = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(jsonBytes)) as RunResult;
    const bodies = report.results.flatMap((r) => r.steps.map((s) => s.response?.body ?? ""));
    assert.ok(bodies.some((b) => /… \[cut: 2000 of 314\d{4} characters shown\]$/.test(b)), "a huge body is cut");
    assert.ok(bodies.every((b) => b.length < 2100));
    assert.ok(bodies.some((b) => b.includes("\\u001b[2J")), "an escape sequence is shown, made visible");
    const text = JSON.stringify(report);
    assert.ok(text.includes(JSON.stringify(">AAAAAAAA").slice(1, -1)), "a value no credential can be is shown");
    assert.ok(!text.includes("~root/hostile-but-bearer-shaped"), "a rotated token shaped like one is masked");
    assert.match(report.notes.join("\n"), /answered a "token" that cannot be a bearer token/);

    // recovery.env: sourcing it runs nothing, and leaves the one bearer-shaped token exactly as the target sent it.
    const sourcing = await Deno.makeTempDir({ dir });
    await Deno.copyFile(join(out, "recovery.env"), join(sourcing, "recovery.env"));
    const sourced = await bash(
      `set -a; . ./recovery.env; set +a; printf '%s' "$SETCHAT_SERVER_TOKEN"`,
      sourcing,
      { PATH: Deno.env.get("PATH") ?? "" },
    );
    assert.deepEqual(await filesIn(sourcing), ["recovery.env"], "sourcing recovery.env ran the target's code");
    assert.equal(sourced.trim().split("\n").at(-1), "~root/hostile-but-bearer-shaped");

    // Every reproduction, run against the same target, runs nothing it chose; nor does the recovery.env they append.
    const scripts = report.results.flatMap((r) => (r.curl ? [r.curl] : []));
    assert.ok(scripts.length > 20, `${scripts.length} reproductions`);
    assert.ok(scripts.some((s) => s.includes("PWNED_BY_TEMPLATE")), "a target's value is written out in a script");
    const replaying = await Deno.makeTempDir({ dir });
    const stubs = await Deno.makeTempDir({ dir });
    // The attack tokens are rebuilt by the suite's own command; a stub stands for it here.
    await Deno.writeTextFile(join(stubs, "npx"), "#!/bin/sh\ncat >/dev/null\necho stub.token.value\n", { mode: 0o755 });
    const shellEnv = { ...hostile.env, PATH: `${stubs}:${Deno.env.get("PATH") ?? ""}`, HOME: dir };
    const queue = [...scripts];
    await Promise.all(Array.from({ length: 6 }, async () => {
      for (let script = queue.shift(); script; script = queue.shift()) await bash(script, replaying, shellEnv);
    }));
    assert.ok((await filesIn(replaying)).every((f) => f === "recovery.env"), `${await filesIn(replaying)}`);
    await bash("set -a; . ./recovery.env; set +a", replaying, shellEnv);
    assert.deepEqual(await filesIn(replaying), ["recovery.env"], "the reproductions' recovery.env ran code");

    // JUnit: well-formed XML.
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const junit = await Deno.readTextFile(join(out, "junit.xml"));
    const parsed = await page.evaluate(
      `(() => { const d = new DOMParser().parseFromString(${JSON.stringify(junit)}, "application/xml");
        return { error: d.querySelector("parsererror")?.textContent ?? null, cases: d.querySelectorAll("testcase").length }; })()`,
    ) as { error: string | null; cases: number };
    assert.equal(parsed.error, null);
    assert.ok(parsed.cases > 20);

    // HTML: no event handler and no javascript: URL anywhere, no script of the target's, no dialog; its own script
    // (whose text a rotated "token" repeats) still filters the cases.
    await page.goto(`file://${join(out, "report.html")}`);
    // Every element gets the events a reader's pointer and keyboard would send it, in one pass: a handler the target
    // smuggled in would run (and open its dialog) here.
    await page.evaluate(`(() => {
      for (const e of document.querySelectorAll("*")) {
        for (const type of ["mouseover", "mouseenter", "focus", "click"]) {
          if (type === "click" && e.closest("a[href]")) continue;
          e.dispatchEvent(new Event(type, { bubbles: true }));
        }
      }
    })()`);
    const found = await page.evaluate(`(() => {
      const attributes = [...document.querySelectorAll("*")].flatMap((e) => [...e.attributes]);
      return {
        handlers: attributes.filter((a) => /^on/i.test(a.name)).map((a) => a.name + "=" + a.value),
        urls: attributes.filter((a) => /^\\s*javascript:/i.test(a.value)).map((a) => a.name + "=" + a.value),
        scripts: document.scripts.length,
        shown: document.body.textContent.includes("onerror=alert(1)"),
      };
    })()`) as { handlers: string[]; urls: string[]; scripts: number; shown: boolean };
    assert.deepEqual(found.handlers, []);
    assert.deepEqual(found.urls, []);
    assert.equal(found.scripts, 1, "the report's own script only");
    assert.ok(found.shown, "the target's markup is shown as text");
    const rows = await page.locator("tr[data-status]").count();
    await page.fill("#q", report.results[0]!.id);
    assert.ok(await page.locator("tr[data-status]:not([hidden])").count() < rows, "the search still filters");
    assert.deepEqual(dialogs, []);
  } finally {
    await browser.close();
    await hostile.close();
    await Deno.remove(dir, { recursive: true });
  }
});
