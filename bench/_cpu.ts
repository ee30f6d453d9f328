/** CPU time of other processes, from Linux's /proc: what the scale model weighs each request with. */

/**
 * Microseconds of CPU that each of the processes `pids` has run so far, every
 * thread of each (`/proc/<pid>/task/<tid>/schedstat`, in nanoseconds). A
 * process that has ended is left out. Throws where there is no /proc.
 */
export async function cpuOf(pids: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    let ns = 0;
    try {
      for await (const e of Deno.readDir(`/proc/${pid}/task`)) {
        const text = await Deno.readTextFile(`/proc/${pid}/task/${e.name}/schedstat`).catch(() => "0");
        ns += Number(text.split(" ")[0]);
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    out.set(pid, ns / 1000);
  }
  return out;
}

/** Microseconds of CPU run between two readings; a process that began in between counts from zero. */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, us] of after) total += us - (before.get(pid) ?? 0);
  return total;
}

/**
 * Microseconds of CPU that the thread running this JavaScript has run so far
 * (`/proc/thread-self/schedstat`, read synchronously, so from that thread),
 * or `undefined` where there is no /proc. That thread runs every line of
 * JavaScript a server executes, so its time per request bounds one
 * instance's rate wherever other cores are free. The kernel brings a thread's
 * count up to date when the thread stops running, so it is read after an
 * await that waited (as the benchmark reads it, once the load generator has
 * ended).
 */
export function mainThreadCpu(): number | undefined {
  try {
    return Number(Deno.readTextFileSync("/proc/thread-self/schedstat").split(" ")[0]) / 1000;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
