/**
 * Why the server can refuse to start, with the words a user needs to fix it.
 * `main.ts` prints the message as one line and exits with status 2;
 * the start-up table of docs/running.md is generated from this catalogue.
 */

/** What the catalogue says of one start-up failure. */
export interface StartupErrorInfo {
  /** The line printed, with placeholders in angle brackets. */
  message: string;
  cause: string;
  fix: string;
}

function catalogue<const T extends Record<string, StartupErrorInfo>>(t: T): T {
  return t;
}

/** The start-up failures, keyed by stable code. */
export const STARTUP_ERRORS = catalogue({
  invalid_setting: {
    message: "Cannot read the command line: unknown option '--prot'; run with --help to list the options",
    cause:
      "A flag that does not exist or lacks its value, or a value out of range (port, log format, visitor token lifetime).",
    fix: "Run with `--help` and correct the flag or the environment variable the message names.",
  },
  port_in_use: {
    message:
      "Cannot listen on <host>:<port>: the port is in use; stop the process using it or choose another port with --port",
    cause: "Another process, often an earlier server still running, listens on that port.",
    fix: "Stop the other process, or start with another `--port` (`--port 0` picks a free one).",
  },
  listen_failed: {
    message: "Cannot listen on <host>:<port>: <system error>; choose another address with --host or port with --port",
    cause: "The address is not one of this machine's, or the port needs privileges (below 1024).",
    fix: "Listen on `127.0.0.1` or `0.0.0.0`, on a port above 1023.",
  },
  data_dir_unusable: {
    message: "Cannot create the data directory <dir>: <system error>; choose another directory with --data",
    cause: "The path is not writable, or a file that is not a directory is in the way.",
    fix: "Choose a directory you own with `--data`, or remove what is in the way.",
  },
  data_dir_open: {
    message:
      "Cannot use the data directory <dir>: other users can open it (mode 0755); run chmod 700 <dir> or choose another directory with --data",
    cause:
      "The directory existed with access for its group or for others, who could read the store's private signing key.",
    fix:
      "Run `chmod 700 <dir>`, or choose another directory with `--data` (the server creates its own with mode 0700).",
  },
  data_dir_in_use: {
    message:
      "Cannot open the store <dir>/store.kv: another server process is using it; stop that process or choose another directory with --data",
    cause: "Another server runs on the same data directory: the store is locked for one process.",
    fix: "Stop the other server (the first line it printed names its URL), or start this one with another `--data`.",
  },
  test_clock_refused: {
    message:
      "Cannot use --test-clock with --host 0.0.0.0: a server others can reach keeps real time; listen on 127.0.0.1 or start without --test-clock",
    cause:
      "The test clock lets any tenant's admin token move the server's time: it is for a test run on this machine, never for a server others reach or share (a non-loopback `--host`, a `--database`).",
    fix: "Start the server for tests on `127.0.0.1` with its own data directory, or leave `--test-clock` out.",
  },
  database_unusable: {
    message:
      "Cannot use the database <url>: <system error>; start PostgreSQL or correct --database (SETCHAT_DATABASE_URL)",
    cause:
      "`--database` or `SETCHAT_DATABASE_URL` names a PostgreSQL that is not running, cannot be reached, refuses the login, or whose schema is newer than this server.",
    fix: "Start PostgreSQL, or correct the URL (user, password, host, port, database); see docs/postgres.md.",
  },
});

/** A stable code of {@linkcode STARTUP_ERRORS}. */
export type StartupErrorCode = keyof typeof STARTUP_ERRORS;

/** A reason not to start, told to the user in one line: no stack trace, exit status 2. */
export class StartupError extends Error {
  override name = "StartupError";
  readonly code: StartupErrorCode;

  constructor(code: StartupErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }
}
