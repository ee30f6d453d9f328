/**
 * Delta debugging: the smallest sequence that still fails. First whole
 * steps go (ddmin: halves, then quarters, ... then one by one), then each
 * remaining step is made simpler (other actors merged into the first ones,
 * plainer values), keeping each change only while the failure stays.
 */

/** How to shrink a sequence. */
export interface ShrinkOptions<T> {
  /** Whether a candidate still fails (the same way). */
  fails: (items: T[]) => Promise<boolean>;
  /** Simpler versions of one item, simplest first. */
  simplify?: (item: T) => T[];
  /** Simpler versions of the whole sequence (e.g. two actors merged into one). */
  simplifyAll?: (items: T[]) => T[][];
  /** At most this many candidates tried (a bound on time); default 400. */
  maxTries?: number;
}

/** What shrinking gave. */
export interface Shrunk<T> {
  items: T[];
  /** Candidates tried. */
  tries: number;
}

/** The smallest sequence found that still fails; `items` must fail. */
export async function shrink<T>(items: readonly T[], options: ShrinkOptions<T>): Promise<Shrunk<T>> {
  const maxTries = options.maxTries ?? 400;
  let tries = 0;
  const fails = async (candidate: T[]) => {
    if (tries >= maxTries) return false;
    tries++;
    return await options.fails(candidate);
  };
  let current = [...items];

  // ddmin over whole items.
  let n = 2;
  while (current.length >= 2 && tries < maxTries) {
    const size = Math.ceil(current.length / n);
    let reduced = false;
    for (let start = 0; start < current.length; start += size) {
      const complement = [...current.slice(0, start), ...current.slice(start + size)];
      if (complement.length && await fails(complement)) {
        current = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(n * 2, current.length);
    }
  }
  // Simpler whole sequences, then simpler items, until nothing changes.
  let changed = true;
  while (changed && tries < maxTries) {
    changed = false;
    for (const candidate of options.simplifyAll?.(current) ?? []) {
      if (JSON.stringify(candidate) === JSON.stringify(current)) continue;
      if (await fails(candidate)) {
        current = candidate;
        changed = true;
        break;
      }
    }
    for (let i = 0; i < current.length && tries < maxTries; i++) {
      for (const simpler of options.simplify?.(current[i]!) ?? []) {
        if (JSON.stringify(simpler) === JSON.stringify(current[i])) continue;
        const candidate = current.with(i, simpler);
        if (await fails(candidate)) {
          current = candidate;
          changed = true;
          break;
        }
      }
    }
  }
  return { items: current, tries };
}
