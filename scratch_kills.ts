import { join } from "node:path";
import { main } from "./conformance/cli.ts";
import { BUG_NAMES, startIndependentServer } from "./independent/server.ts";
const only = Deno.args.length ? Deno.args : BUG_NAMES;
const queue = [...only];
const rows: string[] = [];
await Promise.all([0, 1, 2].map(async () => {
  for (let bug = queue.shift(); bug; bug = queue.shift()) {
    const server = await startIndependentServer({ bugs: [bug as never] });
    const dir = await Deno.makeTempDir();
    try {
      const env = join(dir, "t.env");
      await Deno.writeTextFile(env, Object.entries(server.env).map(([k, v]) => `${k}=${v}`).join("\n"));
      const t = performance.now();
      const { exitCode, run } = await main([
        "--env-file",
        env,
        "--profile",
        "s2s",
        "--allow-destructive",
        "--reporter",
        "json",
        "--out",
        join(dir, "out"),
      ], { print: () => {} });
      const failed = run?.results.filter((r) => r.status === "failed").map((r) => r.id) ?? [];
      const warned = run?.results.filter((r) => r.status === "warning").map((r) => r.id) ?? [];
      rows.push(
        `${bug}: exit ${exitCode} in ${Math.round(performance.now() - t)} ms; failed ${failed.join(", ") || "-"}`,
      );
      console.log(rows.at(-1));
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  }
}));
