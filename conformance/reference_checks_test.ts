import assert from "node:assert/strict";
import { brokenText } from "./reference_checks.ts";

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
