/**
 * What lets every instance on one PostgreSQL database keep server tokens,
 * widget sessions and devices in memory and still see a revocation or a
 * logout made through another instance at its very next request.
 *
 * Every write that changes a cached record adds a row naming it to
 * `cache_changes`, in the same transaction. Each instance runs a check: one
 * statement that takes a snapshot and reads the rows committed since its
 * previous check's snapshot, then forgets those records. A cached record
 * serves a lookup only once a check that started after the lookup has
 * finished: the client that saw a revocation answered, then sent its next
 * request, is served by a check whose snapshot includes the revocation.
 * Lookups that arrive while a check runs share the next one, so a busy
 * instance runs one check for many requests instead of one query each.
 *
 * Commit order is not id order, so rows are told apart by snapshot, not by a
 * counter: a row is new to this instance when its transaction was still
 * running at the previous snapshot, or began after it (`pg_current_xact_id()`
 * against the snapshot's running ids and its `xmax`). Rows older than
 * {@linkcode KEEP_MS} are pruned, and the pruned ids are recorded: an
 * instance whose previous snapshot is older than that forgets every record.
 */
import type postgres from "postgres";

/** How long a change row is kept: an instance that checked within this time never forgets its whole cache. */
const KEEP_MS = 10 * 60_000;
/** How often an instance prunes change rows older than {@linkcode KEEP_MS}. */
const PRUNE_EVERY_MS = 60_000;

/** A snapshot as PostgreSQL prints it (`xmin:xmax:xip,…`), reduced to what tells new rows apart. */
export interface Snapshot {
  /** Transactions from this id on had not begun. */
  xmax: string;
  /** Transactions that were running. */
  running: string[];
}

/** Reads `pg_current_snapshot()::text`. */
export function parseSnapshot(text: string): Snapshot {
  const [, xmax, running] = text.split(":");
  if (xmax === undefined || !/^\d+$/.test(xmax)) throw new TypeError(`Cannot read the snapshot ${text}`);
  return { xmax, running: running ? running.split(",") : [] };
}

/** The oldest transaction id whose rows a check after `snapshot` may still need. */
function oldestNeeded(snapshot: Snapshot): bigint {
  return snapshot.running.reduce((min, id) => (BigInt(id) < min ? BigInt(id) : min), BigInt(snapshot.xmax));
}

/** The key of a cached record in `cache_changes`. */
export type ChangeKey = `${"credential" | "session" | "device"}:${string}`;

/** Options of {@linkcode Changes}. */
export interface ChangesOptions {
  /** Forgets the records named; `undefined` forgets every record. */
  forget(keys: readonly string[] | undefined): void;
}

/** One instance's view of `cache_changes`: its checks, shared by the lookups that wait on them. */
export class Changes {
  readonly #sql: postgres.Sql;
  readonly #forget: ChangesOptions["forget"];
  #snapshot: Snapshot | undefined;
  /** The check running now, if any. */
  #running: Promise<void> | undefined;
  /** The check about to start: lookups that come before it starts wait for it. */
  #next: Promise<void> | undefined;
  #checks = 0;
  #lastPrune = 0;

  constructor(sql: postgres.Sql, options: ChangesOptions) {
    this.#sql = sql;
    this.#forget = options.forget;
  }

  /**
   * How many checks have finished. A record read from the database may be
   * cached only if no check finished during the read: that check may have
   * forgotten a change the read did not see.
   */
  get checks(): number {
    return this.#checks;
  }

  /**
   * Resolves once a check that started after this call has finished (or
   * rejects with its error). A check starts once the running one ends, or at
   * once (after the current task's microtasks, so that lookups made together
   * share it) when none runs.
   */
  fresh(): Promise<void> {
    if (this.#next) return this.#next;
    const after = this.#running ? this.#running.catch(() => {}) : Promise.resolve();
    const next = after.then(() => {
      this.#next = undefined;
      return this.#start();
    });
    this.#next = next;
    return next;
  }

  #start(): Promise<void> {
    const running = this.#check().finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    return running;
  }

  async #check(): Promise<void> {
    const previous = this.#snapshot;
    const [row] = previous
      ? await this.#sql`select pg_current_snapshot()::text as snapshot,
        (select below from cache_changes_pruned)::text as below,
        array(select key from cache_changes
          where xid >= ${previous.xmax}::xid8 or xid = any(${previous.running}::xid8[])) as keys`
      : await this.#sql`select pg_current_snapshot()::text as snapshot`;
    if (!row) throw new Error("Cannot check the cache: the database answered no row");
    this.#snapshot = parseSnapshot(row.snapshot);
    if (!previous || BigInt(row.below) >= oldestNeeded(previous)) this.#forget(undefined);
    else if (row.keys.length > 0) this.#forget(row.keys);
    this.#checks++;
    if (Date.now() - this.#lastPrune >= PRUNE_EVERY_MS) {
      this.#lastPrune = Date.now();
      this.#prune().catch((error) => console.error("Cannot prune cache changes:", error));
    }
  }

  /** Deletes change rows older than {@linkcode KEEP_MS} by the database's clock, noting the newest id deleted. */
  async #prune(): Promise<void> {
    await this.#sql`with gone as (
        delete from cache_changes where at < clock_timestamp() - ${KEEP_MS} * interval '1 millisecond' returning xid
      )
      update cache_changes_pruned
      set below = greatest(below, coalesce((select max(xid::text::bigint) from gone), 0))`;
  }
}

/** Records, inside the transaction `tx` that changes them, that the records `keys` changed. */
export async function recordChanges(tx: postgres.TransactionSql, keys: ChangeKey[]): Promise<void> {
  if (keys.length === 0) return;
  await tx`insert into cache_changes (key) select unnest(${keys}::text[])`;
}
