/** Base62 in ASCII order, so that encoded fixed-width numbers sort as numbers. */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Encodes a non-negative integer as base62, left-padded to `width`. */
export function base62(value: bigint | number, width: number): string {
  let out = "";
  if (typeof value === "number") {
    // The fast path for checksums and timestamps, which fit in a double.
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Cannot encode ${value} in base62`);
    for (let rest = value; rest > 0; rest = Math.floor(rest / 62)) out = ALPHABET[rest % 62] + out;
  } else {
    for (let rest = value; rest > 0n; rest /= 62n) out = ALPHABET[Number(rest % 62n)] + out;
  }
  if (out.length > width) throw new RangeError(`Cannot encode in ${width} base62 digits: value too large`);
  return out.padStart(width, "0");
}

/** Reads bytes as one big-endian unsigned integer. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** `n` cryptographically random bytes. */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** Digits of an id's time: milliseconds since the epoch, up to 62^8 - 1 (in the year 8888). */
const TIME_DIGITS = 8;

/** The last millisecond an id's time holds: the test clock stops centuries before it. */
export const LAST_ID_MS = 62 ** TIME_DIGITS - 1;

/** The last id's time and random part: ids of one millisecond follow it. Before the first, a time no clock reads. */
let last = { ms: Number.NaN, random: 0n };

/**
 * A sortable, unguessable id: prefix, 8 base62 digits of milliseconds, then
 * 72 random bits in 13 digits. Ids made later sort after ids made earlier, in
 * the same millisecond too: the random part then grows from the previous id's
 * by a random step of up to 32 bits, so that it stays unguessable. It may grow
 * past 72 bits: its 13 digits hold 77, which 2^45 ids in one millisecond would
 * not fill.
 */
export function newId(prefix: string, nowMs: number): string {
  const random = nowMs === last.ms ? last.random + 1n + bytesToBigInt(randomBytes(4)) : bytesToBigInt(randomBytes(9));
  last = { ms: nowMs, random };
  return `${prefix}_${base62(nowMs, TIME_DIGITS)}${base62(random, 13)}`;
}
