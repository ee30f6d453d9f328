import { parseArgs } from "node:util";
import { checkVisitorTokenLifetime, VISITOR_TOKEN_LIFETIME } from "./domain/lifetime.ts";
import { StartupError } from "./domain/startup_error.ts";

/** Formats of the access log; `off` writes none. */
export const LOG_FORMATS = ["pretty", "json", "off"] as const;

/** A format of the access log. */
export type LogFormat = typeof LOG_FORMATS[number];

/** How the reference server is started. */
export interface ServerConfig {
  hostname: string;
  port: number;
  /** Directory of the store and of `dev.env`, or `":memory:"` for a store that dies with the process. */
  dataDir: string;
  issuer: string;
  visitorTokenLifetime: number;
  /** The URL written to `dev.env` and shown at start-up; defaults to `http://localhost:<port>`. */
  publicUrl: string | undefined;
  /** The access log's format; none when absent (the command line's default is `pretty`). */
  log?: LogFormat;
  /** A PostgreSQL URL: the store is that database instead of Deno KV in the data directory. */
  databaseUrl?: string | undefined;
  /** A clock tests can move (`POST /api/test/clock`); off unless asked for, refused where others could reach it. */
  testClock?: boolean;
}

/** What the command line asks for. */
export interface CommandLine {
  /** Print the usage and exit. */
  help: boolean;
  /** Bundle the browser code once the data directory is locked, before serving. */
  build: boolean;
  config: ServerConfig;
}

/** One setting of the command line: a flag, an environment variable, or both. */
export interface Setting {
  flag?: string;
  env?: string;
  default: string;
  /** What it sets, for `--help` and docs/running.md. */
  what: string;
}

/** The issuer used when `SETCHAT_ISSUER` is not set. */
export const DEFAULT_ISSUER = "setchat-reference";

/** Every setting, in the order `--help` and docs/running.md list them. */
export const SETTINGS: readonly Setting[] = [
  { flag: "--port", env: "PORT", default: "8787", what: "port to listen on; 0 picks a free one" },
  { flag: "--host", env: "HOST", default: "127.0.0.1", what: "address to listen on" },
  {
    flag: "--data",
    env: "SETCHAT_DATA_DIR",
    default: ".setchat",
    what: "data directory (store and dev.env), mode 0700; :memory: keeps nothing",
  },
  {
    flag: "--database",
    env: "SETCHAT_DATABASE_URL",
    default: "none: Deno KV in the data directory",
    what: "a postgres:// URL: the store is that PostgreSQL database, shared by every instance started with it",
  },
  { flag: "--log", env: "SETCHAT_LOG", default: "pretty", what: "access log on standard output: pretty, json or off" },
  {
    flag: "--build",
    default: "off",
    what: "bundle the widget into dist/ once the data directory is locked (the serve task sets it)",
  },
  {
    flag: "--test-clock",
    env: "SETCHAT_TEST_CLOCK",
    default: "off",
    what: "a clock tests can move (POST /api/test/clock): on a loopback host with its own store only",
  },
  { env: "SETCHAT_ISSUER", default: DEFAULT_ISSUER, what: "iss of visitor tokens" },
  {
    env: "SETCHAT_VISITOR_TOKEN_TTL",
    default: String(VISITOR_TOKEN_LIFETIME.default),
    what: `visitor token lifetime in seconds, ${VISITOR_TOKEN_LIFETIME.min} to ${VISITOR_TOKEN_LIFETIME.max}`,
  },
  {
    env: "SETCHAT_PUBLIC_URL",
    default: "http://localhost:<port>",
    what: "URL written to dev.env and shown at start-up",
  },
  { flag: "--help", default: "", what: "print this help and exit" },
];

/** The exit statuses of `main.ts`. */
export const EXIT_CODES = [
  [0, "stopped by Ctrl-C or SIGTERM, or --help"],
  [1, "the build or the server failed unexpectedly (a stack trace follows)"],
  [
    2,
    "could not start: a wrong flag or setting, a busy port, a data directory in use or open to other users, a database that cannot be used",
  ],
] as const;

/** The text of `--help`. */
export function usage(): string {
  const name = (s: Setting) => [s.flag, s.env].filter(Boolean).join(", ");
  const width = Math.max(...SETTINGS.map((s) => name(s).length));
  const lines = SETTINGS.map((s) =>
    `  ${name(s).padEnd(width)}  ${s.what}${s.default ? ` (default: ${s.default})` : ""}`
  );
  return [
    "SetChat reference server",
    "",
    "Usage: deno task serve [options]   or   deno run -A main.ts [options]",
    "",
    "Options and environment variables (a flag wins over its variable):",
    ...lines,
    "",
    "Exit codes:",
    ...EXIT_CODES.map(([code, what]) => `  ${code}  ${what}`),
  ].join("\n");
}

function usageError(error: unknown): StartupError {
  // node:util's messages are "Unknown option '--prot'" and the like, sometimes with a second sentence.
  const text = error instanceof Error ? error.message.split(". ")[0]! : String(error);
  return new StartupError(
    "invalid_setting",
    `Cannot read the command line: ${text.charAt(0).toLowerCase()}${
      text.slice(1)
    }; run with --help to list the options`,
    { cause: error },
  );
}

/** The flags `parseArgs` reads. */
interface Flags {
  port?: string | undefined;
  host?: string | undefined;
  data?: string | undefined;
  database?: string | undefined;
  log?: string | undefined;
  build?: boolean | undefined;
  "test-clock"?: boolean | undefined;
  help?: boolean | undefined;
}

/** Reads the command line: flags first, then environment variables, then defaults. */
export function parseCommandLine(args: string[], env: (name: string) => string | undefined): CommandLine {
  // Help is answered whatever else is wrong, so that it can explain what is.
  if (args.includes("--help") || args.includes("-h")) {
    return { help: true, build: false, config: configOf({}, () => undefined) };
  }
  let flags: Flags;
  try {
    flags = parseArgs({
      args,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        data: { type: "string" },
        database: { type: "string" },
        log: { type: "string" },
        build: { type: "boolean" },
        "test-clock": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw usageError(error);
  }
  return { help: false, build: flags.build ?? false, config: configOf(flags, env) };
}

function configOf(flags: Flags, env: (name: string) => string | undefined): ServerConfig {
  const portText = flags.port ?? env("PORT");
  const port = Number(portText ?? "8787");
  if (!Number.isInteger(port) || port < 0 || port > 65535 || portText?.trim() === "") {
    const source = flags.port === undefined ? "PORT" : "--port";
    throw new StartupError(
      "invalid_setting",
      `Cannot use ${source} "${portText}": a port is a whole number from 0 to 65535`,
    );
  }
  const log = flags.log ?? env("SETCHAT_LOG") ?? "pretty";
  if (!isLogFormat(log)) {
    const source = flags.log === undefined ? "SETCHAT_LOG" : "--log";
    throw new StartupError(
      "invalid_setting",
      `Cannot use ${source} "${log}": the access log is one of ${LOG_FORMATS.join(", ")}`,
    );
  }
  const ttlText = env("SETCHAT_VISITOR_TOKEN_TTL");
  let ttl: number = VISITOR_TOKEN_LIFETIME.default;
  try {
    if (ttlText !== undefined) ttl = checkVisitorTokenLifetime(Number(ttlText));
  } catch (error) {
    throw new StartupError("invalid_setting", `${(error as Error).message}; correct SETCHAT_VISITOR_TOKEN_TTL`, {
      cause: error,
    });
  }
  const databaseUrl = flags.database ?? env("SETCHAT_DATABASE_URL");
  if (databaseUrl !== undefined && !isDatabaseUrl(databaseUrl)) {
    const source = flags.database === undefined ? "SETCHAT_DATABASE_URL" : "--database";
    throw new StartupError(
      "invalid_setting",
      `Cannot use ${source}: a database URL starts with postgres:// or postgresql://, such as postgres://setchat@127.0.0.1:5432/setchat`,
    );
  }
  const hostname = flags.host ?? env("HOST") ?? "127.0.0.1";
  const clockText = env("SETCHAT_TEST_CLOCK");
  if (clockText !== undefined && !["1", "true", "0", "false", ""].includes(clockText)) {
    throw new StartupError("invalid_setting", `Cannot use SETCHAT_TEST_CLOCK "${clockText}": it is 1 (on) or 0 (off)`);
  }
  const testClock = flags["test-clock"] ?? ["1", "true"].includes(clockText ?? "");
  if (testClock && (!isLoopback(hostname) || databaseUrl !== undefined)) {
    const where = databaseUrl !== undefined ? "--database" : `--host ${hostname}`;
    throw new StartupError(
      "test_clock_refused",
      `Cannot use --test-clock with ${where}: a server others can reach keeps real time; listen on 127.0.0.1 or start without --test-clock`,
    );
  }
  return {
    hostname,
    port,
    dataDir: flags.data ?? env("SETCHAT_DATA_DIR") ?? ".setchat",
    issuer: env("SETCHAT_ISSUER") ?? DEFAULT_ISSUER,
    visitorTokenLifetime: ttl,
    publicUrl: env("SETCHAT_PUBLIC_URL"),
    log,
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(testClock ? { testClock } : {}),
  };
}

/** Whether a host name is this machine's loopback only: no other machine reaches it. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function isDatabaseUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "postgres:" || url.protocol === "postgresql:") && url.host !== "";
  } catch {
    return false;
  }
}

function isLogFormat(text: string): text is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(text);
}
