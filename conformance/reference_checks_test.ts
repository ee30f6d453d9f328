import assert from "node:assert/strict";
import { brokenText, labelMismatch } from "./reference_checks.ts";

Deno.test("brokenText() finds a sentence with a part left out, and passes the reference's whole ones", () => {
  for (
    const whole of [
      "Cannot verify visitor token: the signature does not match",
      'Cannot accept the body: "siteApiKey": Invalid input: expected string, received undefined',
      'Unknown field "custom_data": custom data goes in "metadata"',
      "Cannot accept the body: 4 fields are wrong (and 1 more)",
    ]
  ) assert.equal(brokenText(whole), undefined, whole);
  for (
    const broken of [
      "Cannot verify visitor token: ",
      'Unknown field "custom_data":',
      "Cannot read the body: Content-Type is , expected JSON",
      "Cannot authenticate:  is not recognised",
      'Cannot accept the body: "text": ; "name": too long',
      "Cannot accept the body: it nests deeper than () levels",
      "Cannot find tenant [object Object]",
    ]
  ) assert.notEqual(brokenText(broken), undefined, broken);
});

Deno.test("labelMismatch() holds a lifetime's label to its seconds, written as people write them", () => {
  for (
    const [seconds, label] of [[300, "5m"], [301, "5m1s"], [899, "14m59s"], [900, "15m"], [3600, "1h"], [
      3725,
      "1h2m5s",
    ], [0, "0s"]] as const
  ) {
    assert.equal(labelMismatch(label, seconds), undefined, label);
  }
  for (
    const [seconds, label] of [[301, "5m"], [300, "5m0s"], [300, "300s"], [300, "18000m"], [301, "5m 1s"], [
      3600,
      "60m",
    ], [300, ""]] as const
  ) {
    assert.match(labelMismatch(label, seconds)!, /is written/, label);
  }
  assert.match(labelMismatch("5m", "300")!, /not a whole number/);
});
