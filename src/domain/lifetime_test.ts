import assert from "node:assert/strict";
import { checkVisitorTokenLifetime, formatDuration } from "./lifetime.ts";

Deno.test("formatDuration() writes lifetimes as people do", () => {
  assert.equal(formatDuration(300), "5m");
  assert.equal(formatDuration(900), "15m");
  assert.equal(formatDuration(90), "1m30s");
  assert.equal(formatDuration(3600), "1h");
  assert.equal(formatDuration(3725), "1h2m5s");
  assert.equal(formatDuration(0), "0s");
  assert.throws(() => formatDuration(1.5), TypeError);
});

Deno.test("checkVisitorTokenLifetime() allows 5 to 15 minutes only", () => {
  assert.equal(checkVisitorTokenLifetime(300), 300);
  assert.equal(checkVisitorTokenLifetime(900), 900);
  for (const bad of [299, 901, 0, -1, 300.5, Number.NaN]) {
    assert.throws(() => checkVisitorTokenLifetime(bad), RangeError, String(bad));
  }
});
