/**
 * The backend examples, run as an integrator would against the reference:
 * each example's server mints visitor tokens with the server token, and its
 * page, in Chromium, signs Ada in and reaches a verified conversation.
 * The `node:http` example runs under Node.js; the Express one under Deno's
 * Node compatibility, with Express from the project's pinned imports.
 */
import assert from "node:assert/strict";
import { launchChromium } from "../conformance/browser/chromium.ts";
import { TESTID } from "../src/contract/testids.ts";
import { startServer } from "../src/server.ts";
import { TEST_SERVER_CONFIG } from "../src/test_utils.ts";

const WAIT = 15_000;
const ROOT = new URL("..", import.meta.url).pathname;

/** Starts an example's server; resolves to its URL once it listens. */
async function startExample(
  command: string[],
  env: Record<string, string>,
): Promise<{ url: string; output: () => string; stop(): Promise<void> }> {
  const child = new Deno.Command(command[0]!, {
    args: command.slice(1),
    cwd: ROOT,
    env: { ...env, PORT: "0" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += decoder.decode(chunk);
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    url = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (url) break;
    if (Date.now() > deadline) {
      stop(child);
      await drained;
      throw new Error(`Cannot start ${command.join(" ")}: it did not listen within 60 s\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    output: () => output,
    async stop() {
      stop(child);
      await child.status;
      await drained;
    },
  };
}

/** Ends a child process that may have ended by itself. */
function stop(child: Deno.ChildProcess): void {
  try {
    child.kill();
  } catch {
    // It has exited already: its output says why.
  }
}

async function runExample(name: string, command: string[]): Promise<void> {
  await using server = await startServer(TEST_SERVER_CONFIG);
  const acme = server.demo!.acme;
  const example = await startExample(command, {
    SETCHAT_API_URL: server.url,
    SETCHAT_SERVER_TOKEN: acme.serverToken,
    SETCHAT_SITE_API_KEY: acme.sites[0]!.apiKey,
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
  });
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(example.url);
    // Nobody signed in: the widget offers the page's sign-in, which signs Ada in.
    await page.getByTestId(TESTID.launcher).click();
    await page.getByTestId(TESTID.signIn).click({ timeout: WAIT });
    await page.getByText("Signed in as Ada Lovelace").waitFor({ timeout: WAIT });
    await page.getByTestId(TESTID.launcher).click();
    await page.locator(`[data-testid="${TESTID.identity}"][data-state="verified"]`).waitFor({ timeout: WAIT });
    await page.getByTestId(TESTID.newChat).click();
    await page.getByTestId(TESTID.composerInput).fill(`Hello from the ${name} example`);
    await page.getByTestId(TESTID.composerSend).click();
    await page.getByTestId(TESTID.message).filter({ hasText: `${name} example` }).waitFor({ timeout: WAIT });
    // The agent side sees a verified conversation of user-ada, with the metadata the backend put in the token.
    const res = await fetch(`${server.url}/api/tenants/${acme.tenant.id}/conversations`, {
      headers: { authorization: `Bearer ${acme.adminToken}` },
    });
    const { conversations } = await res.json();
    assert.equal(conversations.length, 1, JSON.stringify(conversations));
    const detail =
      await (await fetch(`${server.url}/api/tenants/${acme.tenant.id}/conversations/${conversations[0].id}`, {
        headers: { authorization: `Bearer ${acme.adminToken}` },
      })).json();
    assert.equal(detail.visitor.verified, true);
    assert.equal(detail.visitor.externalUserId, "user-ada");
    assert.deepEqual(detail.visitor.custom_data, { plan: "pro" });
    assert.ok(!example.output().includes(acme.serverToken), "the example printed the server token");
  } catch (error) {
    throw new Error(`The ${name} example failed; its output:\n${example.output()}`, { cause: error });
  } finally {
    await browser.close();
    await example.stop();
  }
}

Deno.test("the node:http example mints visitor tokens and its page reaches a verified conversation", async () => {
  await runExample("node:http", ["node", "examples/node-http/server.mjs"]);
});

Deno.test("the Express example mints visitor tokens and its page reaches a verified conversation", async () => {
  await runExample("Express", [
    Deno.execPath(),
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "examples/express/server.mjs",
  ]);
});
