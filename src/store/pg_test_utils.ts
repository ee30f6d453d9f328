/**
 * A PostgreSQL of the tests' own: `initdb` into a temporary directory as the
 * unprivileged `postgres` user, on a free port, stopped and removed at the
 * end. It never depends on a server someone left running; with
 * `SETCHAT_TEST_DATABASE_URL` set, it uses that server instead (whose user
 * may create databases) and leaves it running.
 */
import postgres from "postgres";

/** Where Debian installs PostgreSQL's server programs, newest version first, then the PATH. */
export async function findPostgresBin(): Promise<string | null> {
  const versions: number[] = [];
  try {
    for await (const e of Deno.readDir("/usr/lib/postgresql")) {
      if (/^\d+$/.test(e.name)) versions.push(Number(e.name));
    }
  } catch { /* not Debian's layout */ }
  for (const v of versions.sort((a, b) => b - a)) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (await exists(`${dir}/initdb`) && await exists(`${dir}/pg_ctl`)) return dir;
  }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    if (await exists(`${dir}/initdb`) && await exists(`${dir}/pg_ctl`)) return dir;
  }
  return null;
}

/** What to install when PostgreSQL's server programs are missing. */
export const POSTGRES_INSTALL_HINT =
  "PostgreSQL's server programs (initdb, pg_ctl) are missing: install Debian's postgresql package (apt-get install postgresql), or set SETCHAT_TEST_DATABASE_URL to a server whose user may create databases";

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** A database made for one test, dropped at the end. */
export interface TestDatabase extends AsyncDisposable {
  url: string;
}

/** A PostgreSQL server for tests. */
export interface TestPostgres extends AsyncDisposable {
  /** Creates an empty database of its own. */
  database(): Promise<TestDatabase>;
  /** The server's processes (the postmaster and its children), or none when it is not this one's own. */
  processes(): Promise<number[]>;
  stop(): Promise<void>;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) || new TextDecoder().decode(out.stdout);
    throw new Error(`Cannot run ${cmd} ${args.join(" ")}: ${text.trim()}`);
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** The uid and gid of the `postgres` user, when there is one. */
async function postgresUser(): Promise<{ uid: number; gid: number } | null> {
  const out = await new Deno.Command("id", { args: ["postgres"], stdout: "piped", stderr: "null" }).output();
  if (!out.success) return null;
  const text = new TextDecoder().decode(out.stdout);
  const uid = /uid=(\d+)/.exec(text)?.[1];
  const gid = /gid=(\d+)/.exec(text)?.[1];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
}

/** Starts a {@linkcode TestPostgres}; dispose it with `await using`. */
export async function testPostgres(): Promise<TestPostgres> {
  const given = Deno.env.get("SETCHAT_TEST_DATABASE_URL");
  if (given) return serverAt(given, async () => {}, () => Promise.resolve([]));
  const bin = await findPostgresBin();
  if (!bin) throw new Error(POSTGRES_INSTALL_HINT);
  // PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
  const asRoot = Deno.uid?.() === 0;
  const user = asRoot ? await postgresUser() : null;
  if (asRoot && !user) throw new Error("Cannot start a test PostgreSQL as root: there is no postgres user to run it");
  const as = (program: string, args: string[]) =>
    user ? run("runuser", ["-u", "postgres", "--", `${bin}/${program}`, ...args]) : run(`${bin}/${program}`, args);
  const dir = await Deno.makeTempDir({ prefix: "setchat-pg-" });
  const data = `${dir}/data`;
  let started = false;
  try {
    if (user) await Deno.chown(dir, user.uid, user.gid);
    await as("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"]);
    const port = freePort();
    const options = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${dir}`,
      "-c fsync=off",
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
      "-c max_connections=200",
    ].join(" ");
    await as("pg_ctl", ["start", "-w", "-s", "-D", data, "-l", `${dir}/log`, "-o", options]);
    started = true;
    const stop = async () => {
      await as("pg_ctl", ["stop", "-s", "-m", "immediate", "-D", data]).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    };
    return serverAt(`postgres://postgres@127.0.0.1:${port}/postgres`, stop, () => serverProcesses(data));
  } catch (error) {
    if (started) await as("pg_ctl", ["stop", "-s", "-m", "immediate", "-D", data]).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** The postmaster of the data directory `data` and its children, from /proc (none where there is no /proc). */
async function serverProcesses(data: string): Promise<number[]> {
  let postmaster: number;
  try {
    postmaster = Number((await Deno.readTextFile(`${data}/postmaster.pid`)).split("\n")[0]);
  } catch {
    return [];
  }
  const pids = [postmaster];
  try {
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const stat = await Deno.readTextFile(`/proc/${e.name}/stat`).catch(() => "");
      // The fourth field, after the command name in parentheses, is the parent's pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) pids.push(Number(e.name));
    }
  } catch {
    return [];
  }
  return pids;
}

function serverAt(
  adminUrl: string,
  stopServer: () => Promise<void>,
  processes: () => Promise<number[]>,
): TestPostgres {
  const admin = postgres(adminUrl, { max: 2, onnotice: () => {} });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      await admin.end({ timeout: 1 });
      await stopServer();
    })();
  return {
    async database() {
      const name = `setchat_test_${crypto.randomUUID().replaceAll("-", "")}`;
      await admin.unsafe(`create database ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const drop = async () => {
        await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      };
      return { url: url.toString(), [Symbol.asyncDispose]: drop };
    },
    processes,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
