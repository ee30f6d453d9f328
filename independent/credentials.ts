/** Credential formats of this implementation, their generation, and hashing for storage and comparison. */
import { createHash, timingSafeEqual } from "node:crypto";

/** Server-to-server tokens: `sk_` and 64 hex characters (256 bits). */
export const SERVER_TOKEN_PATTERN = /^sk_[0-9a-f]{64}$/;
/** Tenant admin tokens: `ak_` and 64 hex characters. */
export const ADMIN_TOKEN_PATTERN = /^ak_[0-9a-f]{64}$/;
/** Site API keys: `pk_` and 32 hex characters. */
export const SITE_KEY_PATTERN = /^pk_[0-9a-f]{32}$/;
/** Tenant ids: `org_` and 16 hex characters. */
export const TENANT_ID_PATTERN = /^org_[0-9a-f]{16}$/;

/** Random hex of the given number of bytes, from the platform's CSPRNG. */
export function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buffer, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A fresh server token. */
export function newServerToken(): string {
  return `sk_${randomHex(32)}`;
}

/** A fresh admin token. */
export function newAdminToken(): string {
  return `ak_${randomHex(32)}`;
}

/** A fresh site API key. */
export function newSiteKey(): string {
  return `pk_${randomHex(16)}`;
}

/** A fresh tenant id. */
export function newTenantId(): string {
  return `org_${randomHex(8)}`;
}

/** The SHA-256 digest of a secret, the only form in which secrets are kept. */
export function hashSecret(secret: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(secret, "utf8").digest());
}

/** Hex of a digest, used as a map key (the digest, not the secret, so lookups leak nothing useful). */
export function digestKey(digest: Uint8Array): string {
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Compares two digests in constant time. */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
