import { hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { base62, bytesToBigInt, randomBytes } from "./encoding.ts";

/**
 * Bearer secrets: server-to-server tokens (`s2s`), tenant admin tokens
 * (`adm`), widget session tokens (`wss`) and device credentials (`dev`).
 *
 * Shape: `setchat_<kind>_` + 43 base62 digits (256 random bits) + 6 base62
 * digits of CRC32 checksum. The prefix makes a leaked token recognisable to
 * secret scanners; the checksum tells a mistyped token from a wrong one
 * without any lookup (it guards against typos, not attackers: the lookup by
 * SHA-256 does that). Only the SHA-256 hash and a display prefix are stored.
 */
export type SecretKind = "s2s" | "adm" | "wss" | "dev";

const BODY_DIGITS = 43;
const CHECKSUM_DIGITS = 6;
const SHAPE = /^setchat_(s2s|adm|wss|dev)_([0-9A-Za-z]{49})$/;

/** A freshly generated secret; `plaintext` is shown once and then dropped. */
export interface GeneratedSecret {
  kind: SecretKind;
  plaintext: string;
  hash: string;
  displayPrefix: string;
}

/** What a well-formed secret tells before any lookup. */
export interface ParsedSecret {
  kind: SecretKind;
  hash: string;
}

function checksum(prefixAndBody: string): string {
  return base62(crc32(prefixAndBody), CHECKSUM_DIGITS);
}

/** The hex SHA-256 of a secret's plaintext: the only form that is stored. One call, no buffer in between. */
export function hashSecret(plaintext: string): string {
  return hash("sha256", plaintext, "hex");
}

/** Generates a secret of `kind` with 256 random bits. */
export function generateSecret(kind: SecretKind): GeneratedSecret {
  const prefixAndBody = `setchat_${kind}_${base62(bytesToBigInt(randomBytes(32)), BODY_DIGITS)}`;
  const plaintext = prefixAndBody + checksum(prefixAndBody);
  return { kind, plaintext, hash: hashSecret(plaintext), displayPrefix: displayPrefix(plaintext) };
}

/** The part of a secret safe to show in listings and logs: prefix and 4 digits. */
export function displayPrefix(plaintext: string): string {
  return `${plaintext.slice(0, plaintext.indexOf("_", 8) + 5)}…`;
}

/**
 * Checks a secret's shape and checksum. Returns `undefined` when it is
 * malformed (mistyped, truncated, quoted), so callers can say so precisely.
 */
export function parseSecret(text: string): ParsedSecret | undefined {
  const match = SHAPE.exec(text);
  if (!match) return undefined;
  const cut = text.length - CHECKSUM_DIGITS;
  // The checksum derives from the token's own text: comparing it reveals nothing secret.
  if (checksum(text.slice(0, cut)) !== text.slice(cut)) return undefined;
  return { kind: match[1] as SecretKind, hash: hashSecret(text) };
}

/**
 * Compares two hashes in constant time: every character is read, whatever the
 * first difference. Plain string reads, no buffers: this runs on every
 * authenticated request.
 */
export function hashesEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
