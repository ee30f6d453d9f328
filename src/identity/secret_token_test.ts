import assert from "node:assert/strict";
import { displayPrefix, generateSecret, hashesEqual, hashSecret, parseSecret } from "./secret_token.ts";

Deno.test("generateSecret() makes a prefixed token with 256 random bits and a checksum", () => {
  const s = generateSecret("s2s");
  assert.match(s.plaintext, /^setchat_s2s_[0-9A-Za-z]{49}$/);
  assert.equal(s.hash, hashSecret(s.plaintext));
  assert.equal(s.hash.length, 64);
  assert.equal(s.displayPrefix, `${s.plaintext.slice(0, 16)}…`);
  const many = new Set(Array.from({ length: 1000 }, () => generateSecret("adm").plaintext));
  assert.equal(many.size, 1000);
});

Deno.test("parseSecret() accepts its own tokens and tells their kind", () => {
  for (const kind of ["s2s", "adm", "wss", "dev"] as const) {
    const s = generateSecret(kind);
    assert.deepEqual(parseSecret(s.plaintext), { kind, hash: s.hash });
  }
});

Deno.test("parseSecret() refuses every single-character typo through the checksum", () => {
  const { plaintext } = generateSecret("s2s");
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let tried = 0;
  for (let i = "setchat_s2s_".length; i < plaintext.length; i++) {
    for (const c of alphabet) {
      if (c === plaintext[i]) continue;
      const typo = plaintext.slice(0, i) + c + plaintext.slice(i + 1);
      assert.equal(parseSecret(typo), undefined, `typo at ${i} accepted`);
      tried++;
    }
  }
  assert.ok(tried > 2900);
});

Deno.test("parseSecret() refuses truncated, quoted, padded and foreign tokens", () => {
  const { plaintext } = generateSecret("s2s");
  for (
    const bad of [plaintext.slice(0, -1), `"${plaintext}"`, ` ${plaintext}`, `${plaintext}x`, "", "eyJhbGciOi.x.y"]
  ) {
    assert.equal(parseSecret(bad), undefined, bad);
  }
  assert.equal(parseSecret(plaintext.replace("s2s", "xyz")), undefined);
});

Deno.test("displayPrefix() shows the kind and four characters, never the secret", () => {
  const { plaintext } = generateSecret("adm");
  assert.equal(displayPrefix(plaintext).length, "setchat_adm_".length + 5);
  assert.ok(!displayPrefix(plaintext).includes(plaintext.slice(16, 24)));
});

Deno.test("hashesEqual() compares hashes of equal and unequal length", () => {
  const h = hashSecret("a");
  assert.equal(hashesEqual(h, hashSecret("a")), true);
  assert.equal(hashesEqual(h, hashSecret("b")), false);
  assert.equal(hashesEqual(h, h.slice(0, 10)), false);
  // Any text is compared whole, to its last character, outside ASCII too.
  const [long, wide] = ["é".repeat(32), "a".repeat(70)];
  assert.equal(hashesEqual(`${long}${"a".repeat(32)}`, `${long}${"b".repeat(32)}`), false);
  assert.equal(hashesEqual(`${wide}a`, `${wide}b`), false);
  assert.equal(hashesEqual(`${wide}a`, `${wide}a`), true);
  assert.equal(hashesEqual(`${wide}é`, `${wide}ab`.slice(0, 71)), false);
});
