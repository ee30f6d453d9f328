import * as jose from "jose";
import type { Jwks } from "../contract/meta.ts";

/** The only signature algorithm of visitor tokens. */
export const VISITOR_TOKEN_ALG = "EdDSA";

/** A signing key as stored: the private JWK is the one secret kept in clear. */
export interface SigningKeyRecord {
  kid: string;
  privateJwk: jose.JWK;
  publicJwk: jose.JWK;
  createdAt: number;
}

/** Signing keys imported once at start-up, ready for every request. */
export interface SigningKeys {
  /** The key new tokens are signed with. */
  current: { kid: string; privateKey: CryptoKey };
  /** Public keys by kid, for verification: the current key and older ones. */
  publicKeys: ReadonlyMap<string, CryptoKey>;
  /** The public keys as published at `/.well-known/jwks.json`. */
  jwks: Jwks;
}

/** Generates an Ed25519 signing key whose kid is its RFC 7638 thumbprint. */
export async function generateSigningKey(nowMs: number): Promise<SigningKeyRecord> {
  const pair = await jose.generateKeyPair(VISITOR_TOKEN_ALG, { crv: "Ed25519", extractable: true });
  const publicJwk = await jose.exportJWK(pair.publicKey);
  const privateJwk = await jose.exportJWK(pair.privateKey);
  const kid = await jose.calculateJwkThumbprint(publicJwk);
  return { kid, privateJwk, publicJwk, createdAt: nowMs };
}

/** Imports stored keys; the newest becomes the current signing key. */
export async function importSigningKeys(records: readonly SigningKeyRecord[]): Promise<SigningKeys> {
  const newest = records.reduce<SigningKeyRecord | undefined>(
    (best, r) => (!best || r.createdAt > best.createdAt ? r : best),
    undefined,
  );
  if (!newest) throw new TypeError("Cannot import signing keys: there are none");
  const publicKeys = new Map<string, CryptoKey>();
  const keys: Jwks["keys"] = [];
  for (const r of records) {
    publicKeys.set(r.kid, (await jose.importJWK(r.publicJwk, VISITOR_TOKEN_ALG)) as CryptoKey);
    const { kty, crv, x } = r.publicJwk;
    keys.push({ kty: kty ?? "OKP", crv, x, kid: r.kid, alg: VISITOR_TOKEN_ALG, use: "sig" });
  }
  const privateKey = (await jose.importJWK(newest.privateJwk, VISITOR_TOKEN_ALG)) as CryptoKey;
  return { current: { kid: newest.kid, privateKey }, publicKeys, jwks: { keys } };
}
