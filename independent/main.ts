/**
 * Starts the independent server and prints the values a client needs:
 * `deno task independent [--port N] [--bug NAME ...] [--env-file FILE] [--signing-key FILE]`.
 */
import { BUG_NAMES, type BugName, BUGS, isBugName } from "./bugs.ts";
import { type IndependentEnv, startIndependentServer } from "./server.ts";

const USAGE = `Usage: deno task independent [options]

Starts a second, independent implementation of the SetChat contract: the
server-to-server, widget and agent surfaces (two nodes behind a round-robin
dispatcher, one in-memory store, two seeded tenants; each node also listens on a
port of its own, printed at start).

Options:
  --port N         Port to listen on (default: a free port)
  --bug NAME       Switch on a planted bug; repeat for several (see --list-bugs)
  --env-file FILE  Write the SETCHAT_* variables to FILE (mode 0600) instead of printing them
  --signing-key FILE
                   Write the private signing key to FILE (a JWK, mode 0600) and name it as
                   SETCHAT_SIGNING_KEY_FILE, so that a suite can re-sign tokens with one fault
  --list-bugs      List the planted bugs and exit
  --help           Show this help and exit

Through npx on Node 20, put -- before the options: that Node reads an --env-file
anywhere on its command line as its own.`;

/** What the command line asks for. */
export interface CliOptions {
  readonly help: boolean;
  readonly listBugs: boolean;
  readonly port: number;
  readonly bugs: readonly BugName[];
  readonly envFile?: string;
  readonly signingKey?: string;
}

/** Parses the command line; throws a TypeError naming the first thing it cannot understand. */
export function parseCli(args: readonly string[]): CliOptions {
  let help = false;
  let listBugs = false;
  let port = 0;
  let envFile: string | undefined;
  let signingKey: string | undefined;
  const bugs: BugName[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      index += 1;
      const next = args[index];
      if (next === undefined) throw new TypeError(`Cannot parse arguments: ${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--":
        break;
      case "--help":
      case "-h":
        help = true;
        break;
      case "--list-bugs":
        listBugs = true;
        break;
      case "--port": {
        const text = value();
        port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) throw new TypeError(`Cannot parse arguments: bad port "${text}"`);
        break;
      }
      case "--bug": {
        const name = value();
        if (!isBugName(name)) throw new TypeError(`Cannot parse arguments: unknown bug "${name}" (see --list-bugs)`);
        bugs.push(name);
        break;
      }
      case "--env-file":
        envFile = value();
        break;
      case "--signing-key":
        signingKey = value();
        break;
      default:
        throw new TypeError(`Cannot parse arguments: unknown option "${arg}"`);
    }
  }
  return {
    help,
    listBugs,
    port,
    bugs,
    ...(envFile === undefined ? {} : { envFile }),
    ...(signingKey === undefined ? {} : { signingKey }),
  };
}

/** The env lines, `NAME=value`, in a stable order. */
export function envLines(env: IndependentEnv & { SETCHAT_SIGNING_KEY_FILE?: string }): string {
  return Object.entries(env).map(([name, value]) => `${name}=${value}`).join("\n") + "\n";
}

/** Writes text to a file only its owner can read, even if the file was there before. */
async function writePrivate(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, "", { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  await Deno.writeTextFile(path, text);
}

/** Writes the env lines to a file only its owner can read. */
export async function writeEnvFile(
  path: string,
  env: IndependentEnv & { SETCHAT_SIGNING_KEY_FILE?: string },
): Promise<void> {
  await writePrivate(path, envLines(env));
}

async function main(args: readonly string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(args);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    console.error("Run with --help for usage");
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.listBugs) {
    const width = Math.max(...BUG_NAMES.map((name) => name.length));
    for (const name of BUG_NAMES) console.log(`${name.padEnd(width)}  ${BUGS[name]}`);
    return 0;
  }
  const server = await startIndependentServer({ port: options.port, bugs: options.bugs });
  const bugs = options.bugs.length === 0 ? "correct build" : `bugs: ${options.bugs.join(", ")}`;
  console.log(`SetChat independent server listening on ${server.url} (${bugs})`);
  console.log(`Its nodes one by one: ${server.nodeUrls.join(" ")} (give each to the suite with --target)`);
  const env = { ...server.env, ...(options.signingKey ? { SETCHAT_SIGNING_KEY_FILE: options.signingKey } : {}) };
  // Both files are whole before a line says so: a script may read them as soon as it sees "Wrote".
  if (options.signingKey !== undefined) await writePrivate(options.signingKey, JSON.stringify(server.signingJwk));
  const key = options.signingKey === undefined ? "" : ` (the private signing key to ${options.signingKey})`;
  if (options.envFile === undefined) {
    if (key) console.log(`Wrote${key}`);
    console.log(envLines(env).trimEnd());
  } else {
    await writeEnvFile(options.envFile, env);
    console.log(`Wrote the SETCHAT_* variables to ${options.envFile}${key}`);
  }
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const stop = (): void => {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
    void server.close();
  };
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  return 0;
}

if (import.meta.main) {
  const code = await main(Deno.args);
  if (code !== 0) Deno.exit(code);
}
