/**
 * The reference server: `deno task serve`. Reads flags and environment,
 * starts the server, prints what a newcomer needs, and stops cleanly.
 */
import { parseServerConfig } from "./src/config.ts";
import { startServer } from "./src/server.ts";

const config = parseServerConfig(Deno.args, (name) => Deno.env.get(name));
const server = await startServer(config);
const where = config.dataDir === ":memory:" ? "in memory" : `in ${config.dataDir}/`;

console.log(`SetChat reference server on ${server.publicUrl} (store ${where})`);
console.log(
  `  demo ${server.publicUrl}/   agent console ${server.publicUrl}/demo/agent   API ${server.publicUrl}/openapi.json`,
);
if (!server.deps.widgetScript) {
  console.log("  dist/widget.js is missing: run `deno task build` to serve the widget and the demo");
}
if (server.demo) {
  const { acme } = server.demo;
  console.log(`
First start: created the demo tenant. These tokens are shown this once.
  tenant id        ${acme.tenant.id}
  site API key     ${acme.sites[0]!.apiKey}
  server token     ${acme.serverToken}
  admin token      ${acme.adminToken}
${
    config.dataDir === ":memory:"
      ? ""
      : `They are in ${config.dataDir}/dev.env (mode 0600): set -a; . ${config.dataDir}/dev.env; set +a`
  }
`);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await server.close();
    Deno.exit(0);
  });
}
