import assert from "node:assert/strict";
import { historyParts, K } from "./kv_keys.ts";

Deno.test("historyParts() keeps verified and device histories, and workspaces, under separate prefixes", () => {
  const verified = historyParts({ kind: "verified", siteId: "s", workspace: null, externalUserId: "u" });
  const device = historyParts({ kind: "device", siteId: "s", workspace: null, deviceId: "u" });
  const spaced = historyParts({ kind: "verified", siteId: "s", workspace: "w", externalUserId: "u" });
  assert.deepEqual(verified, ["verified", "s", "", "u"]);
  assert.deepEqual(device, ["device", "s", "", "u"]);
  assert.deepEqual(spaced, ["verified", "s", "w", "u"]);
  assert.deepEqual(K.history({ kind: "device", siteId: "s", workspace: null, deviceId: "d" }, "c"), [
    "history",
    "device",
    "s",
    "",
    "d",
    "c",
  ]);
});
