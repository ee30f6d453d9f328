import assert from "node:assert/strict";
import { canSee, historyOf, indexOf, type Owner, type Viewer } from "./visibility.ts";

const SITES = ["site-1", "site-2"];
const WORKSPACES = [null, "w1", "w2"];
const USERS = ["u1", "u2"];
const DEVICES = ["d1", "d2"];

/** Every combination of site, workspace, verified, user and device. */
function all(): Viewer[] {
  const out: Viewer[] = [];
  for (const siteId of SITES) {
    for (const workspace of WORKSPACES) {
      for (const deviceId of DEVICES) {
        out.push({ siteId, workspace, verified: false, externalUserId: null, deviceId });
        for (const externalUserId of USERS) out.push({ siteId, workspace, verified: true, externalUserId, deviceId });
      }
    }
  }
  return out;
}
const VIEWERS = all();
const OWNERS: Owner[] = all();
const pairs = VIEWERS.flatMap((v) => OWNERS.map((o) => [v, o] as const));
const key = (i: ReturnType<typeof historyOf>) => JSON.stringify(i);

Deno.test("canSee() covers the whole matrix", () => {
  assert.equal(pairs.length, 36 * 36);
  assert.ok(pairs.some(([v, o]) => canSee(v, o)));
  assert.ok(pairs.some(([v, o]) => !canSee(v, o)));
});

Deno.test("canSee() separates sites and workspaces in every mode", () => {
  for (const [v, o] of pairs) {
    if (v.siteId !== o.siteId || v.workspace !== o.workspace) assert.equal(canSee(v, o), false, JSON.stringify([v, o]));
  }
});

Deno.test("canSee() never mixes verified and non-verified, even on one device", () => {
  for (const [v, o] of pairs) {
    if (v.verified !== o.verified) assert.equal(canSee(v, o), false, JSON.stringify([v, o]));
  }
});

Deno.test("canSee() shows a verified user their verified history on every device", () => {
  for (const [v, o] of pairs) {
    if (v.verified && o.verified && v.siteId === o.siteId && v.workspace === o.workspace) {
      assert.equal(canSee(v, o), v.externalUserId === o.externalUserId, JSON.stringify([v, o]));
    }
  }
});

Deno.test("canSee() shows a non-verified visitor the non-verified history of its own device only", () => {
  for (const [v, o] of pairs) {
    if (!v.verified && !o.verified && v.siteId === o.siteId && v.workspace === o.workspace) {
      assert.equal(canSee(v, o), v.deviceId === o.deviceId, JSON.stringify([v, o]));
    }
  }
});

Deno.test("canSee() ignores the device for verified viewers and has no input for client-sent identity", () => {
  for (const [v, o] of pairs) {
    if (v.verified) assert.equal(canSee({ ...v, deviceId: "elsewhere" }, o), canSee(v, o));
  }
  // A viewer has no email, name or claimed id at all: no merge by email can be written.
  const fields = Object.keys(VIEWERS[0]!).sort();
  assert.deepEqual(fields, ["deviceId", "externalUserId", "siteId", "verified", "workspace"]);
});

Deno.test("historyOf() and indexOf() agree with canSee(): the index lists exactly what may be seen", () => {
  for (const [v, o] of pairs) {
    assert.equal(key(historyOf(v)) === key(indexOf(o)), canSee(v, o), JSON.stringify([v, o]));
  }
});

Deno.test("the shared-browser story: what each person sees", () => {
  const site = { siteId: "site-1", workspace: null };
  const uOnA: Owner = { ...site, verified: true, externalUserId: "u1", deviceId: "dA" };
  const anonOnA: Owner = { ...site, verified: false, externalUserId: null, deviceId: "dA" };
  // U on device B (verified) sees U's conversation from A.
  assert.ok(canSee({ ...site, verified: true, externalUserId: "u1", deviceId: "dB" }, uOnA));
  // After U's logout the browser gets a new device credential: the next anonymous visitor sees nothing.
  assert.ok(!canSee({ ...site, verified: false, externalUserId: null, deviceId: "dA2" }, uOnA));
  assert.ok(!canSee({ ...site, verified: false, externalUserId: null, deviceId: "dA2" }, anonOnA));
  // Verified V on the same browser sees none of U's.
  assert.ok(!canSee({ ...site, verified: true, externalUserId: "v1", deviceId: "dA2" }, uOnA));
  // Even with the old device credential, a non-verified session never sees U's verified conversation.
  assert.ok(!canSee({ ...site, verified: false, externalUserId: null, deviceId: "dA" }, uOnA));
  // And U, verified on A, does not see the anonymous conversation of A.
  assert.ok(!canSee({ ...site, verified: true, externalUserId: "u1", deviceId: "dA" }, anonOnA));
});
