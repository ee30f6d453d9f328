/**
 * The reference server: `deno task serve`. Reads flags and environment,
 * locks the data directory, builds the browser code when asked, starts the
 * server, prints what a newcomer needs, and stops cleanly. A reason not to
 * start is one line on standard error and exit status 2 (see `--help`).
 */
import { parseCommandLine, usage } from "./src/config.ts";
import { StartupError } from "./src/domain/startup_error.ts";
import { openStore, sourceCommand, startServer, storeLocation } from "./src/server.ts";
import { buildAll } from "./tools/build.ts";

async function main(args: string[]): Promise<void> {
  const { help, build, config } = parseCommandLine(args, (name) => Deno.env.get(name));
  if (help) {
    console.log(usage());
    return;
  }
  // The lock is taken before the build, so that a second server on the same
  // data directory stops before it rewrites the first one's dist/. A database
  // is reached and migrated before the build too: a wrong URL stops at once.
  const store = await openStore(config);
  if (build) {
    try {
      await buildAll();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  const server = await startServer(config, { store });
  // Listening before the first line is printed: whoever reads it may stop the server at once.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      await server.close();
      Deno.exit(0);
    });
  }
  const where = storeLocation(config);
  // Under --log json, standard output is the access log alone, one JSON object per line, for a log collector: what
  // people read goes to standard error, and the demo's tokens are not printed when dev.env holds them.
  const json = config.log === "json";
  const say = json ? (line: string) => console.error(line) : (line: string) => console.log(line);

  say(`SetChat reference server on ${server.publicUrl} (store ${where})`);
  say(
    `  demo ${server.publicUrl}/   agent console ${server.publicUrl}/demo/agent   API ${server.publicUrl}/openapi.json`,
  );
  if (!server.deps.widgetScript) {
    say("  dist/widget.js is missing: run `deno task build` to serve the widget and the demo");
  }
  if (server.demo && json && server.devEnvPath) {
    say(
      `  first start: created the demo tenant; its tokens are in ${server.devEnvPath} (mode 0600), never in the log: ` +
        sourceCommand(server.devEnvPath),
    );
  } else if (server.demo) {
    const { acme } = server.demo;
    say(`
First start: created the demo tenant. These tokens are shown this once.
  tenant id        ${acme.tenant.id}
  site API key     ${acme.sites[0]!.apiKey}
  server token     ${acme.serverToken}
  admin token      ${acme.adminToken}
${server.devEnvPath ? `They are in ${server.devEnvPath} (mode 0600): ${sourceCommand(server.devEnvPath)}` : ""}
`);
  } else if (server.devEnvPath) {
    say(`  demo credentials in ${server.devEnvPath}: ${sourceCommand(server.devEnvPath)}`);
  } else if (config.databaseUrl !== undefined) {
    say("  the demo tenants were created by the first instance on this database: its dev.env has their tokens");
  } else if (config.dataDir !== ":memory:") {
    say(
      `  the demo credentials were shown once at first start and their dev.env is gone: delete ${config.dataDir}/ to start over`,
    );
  }
}

try {
  await main(Deno.args);
} catch (error) {
  if (!(error instanceof StartupError)) throw error;
  console.error(error.message);
  Deno.exit(2);
}
