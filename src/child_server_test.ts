import assert from "node:assert/strict";
import { spawnChildServer } from "./child_server.ts";

Deno.test("spawnChildServer() prints the URL and the first start's credentials, reports memory, and stops on SIGTERM", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await using first = await spawnChildServer({ args: ["--data", dataDir], exposeGc: true });
    assert.match(first.hello.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(first.hello.demo!.serverToken, /^setchat_s2s_/);
    assert.match(first.hello.demo!.adminToken, /^setchat_adm_/);
    const health = await fetch(`${first.hello.url}/healthz`);
    assert.deepEqual(await health.json(), { status: "ok" });
    const memory = await first.memory();
    assert.ok(memory.rss > memory.heapUsed && memory.heapTotal >= memory.heapUsed && memory.heapUsed > 0);
    assert.equal((await first.stop("SIGTERM")).code, 0, "a clean stop");
    await using again = await spawnChildServer({ args: ["--data", dataDir] });
    assert.equal(again.hello.demo, null, "a restart prints no credentials: it created none");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
