/** Visitor token lifetimes the contract allows, in seconds. */
export const VISITOR_TOKEN_LIFETIME = { min: 300, default: 300, max: 900 } as const;

/** How long a session that is not verified lives, in seconds. */
export const NON_VERIFIED_SESSION_SECONDS = 24 * 3600;

/** Clock skew tolerated between the minting server and the verifying one, in seconds. */
export const CLOCK_SKEW_SECONDS = 30;

/** A lifetime as people write it: 300 → "5m", 90 → "1m30s", 3600 → "1h". */
export function formatDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new TypeError(`Cannot format duration: ${seconds} is not a whole number of seconds`);
  }
  if (seconds === 0) return "0s";
  const parts: string[] = [];
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s) parts.push(`${s}s`);
  return parts.join("");
}

/** Checks a configured visitor token lifetime against the contract's bounds. */
export function checkVisitorTokenLifetime(seconds: number): number {
  const { min, max } = VISITOR_TOKEN_LIFETIME;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new RangeError(
      `Cannot use visitor token lifetime ${seconds}: it must be a whole number of seconds from ${min} to ${max}`,
    );
  }
  return seconds;
}
