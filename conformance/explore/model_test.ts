import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { canSee, type ModelConversation, type ModelSession, verifiedCustomDataRules, whyHidden } from "./model.ts";

const session = (over: Partial<ModelSession> = {}): ModelSession => ({
  tenant: "t1",
  site: "s1",
  workspace: null,
  verified: true,
  user: "Ada",
  device: "d1",
  ended: false,
  ...over,
});
const conversation = (over: Partial<ModelConversation> = {}): ModelConversation => ({
  tenant: "t1",
  site: "s1",
  workspace: null,
  verified: true,
  user: "Ada",
  device: "d2",
  texts: [],
  botFirst: false,
  ...over,
});

Deno.test("canSee() lets a verified user see their verified conversations on any device", () => {
  assert.equal(canSee(session(), conversation()), true);
});

Deno.test("canSee() keeps sites, workspaces and users apart, comparing ids byte for byte", () => {
  assert.equal(whyHidden(session(), conversation({ site: "s2" })), "VIS-SITE");
  assert.equal(whyHidden(session(), conversation({ tenant: "t2", site: "s9" })), "VIS-SITE");
  assert.equal(whyHidden(session(), conversation({ workspace: "w1" })), "WS-SCOPE");
  assert.equal(whyHidden(session(), conversation({ user: "ada" })), "TOKEN-SUBJECT");
  assert.equal(whyHidden(session({ user: "Zo\u00e9" }), conversation({ user: "Zoe\u0301" })), "TOKEN-SUBJECT");
  assert.equal(whyHidden(session(), conversation({ user: "Ada " })), "TOKEN-SUBJECT");
  assert.equal(whyHidden(session(), conversation({ user: "Grace" })), "VIS-VERIFIED");
});

Deno.test("canSee() shows a non-verified session its own device's non-verified conversations only", () => {
  const anonymous = session({ verified: false, user: null, device: "d1" });
  assert.equal(canSee(anonymous, conversation({ verified: false, user: null, device: "d1" })), true);
  assert.equal(whyHidden(anonymous, conversation({ verified: false, user: null, device: "d2" })), "VIS-DEVICE");
  assert.equal(whyHidden(anonymous, conversation({ device: "d1" })), "VIS-SEPARATE");
  assert.equal(
    whyHidden(session({ device: "d1" }), conversation({ verified: false, user: null, device: "d1" })),
    "VIS-SEPARATE",
  );
});

Deno.test("canSee() shows an ended session nothing", () => {
  assert.equal(whyHidden(session({ ended: true }), conversation()), "LOGOUT");
});

Deno.test("verifiedCustomDataRules() wants the latest token's data and never a value only the browser sent", () => {
  const rules = verifiedCustomDataRules({
    token: new Map([["plan", ["pro"]]]),
    browser: new Map([["plan", ["free"]], ["color", ["red"]]]),
    latest: { plan: "pro" },
  });
  assert.deepEqual(rules, [
    { key: "color", noneOf: ["red"] },
    { key: "plan", oneOf: ["pro"], noneOf: ["free"] },
  ]);
  // A later token without metadata may clear what an earlier one said.
  assert.deepEqual(
    verifiedCustomDataRules({ token: new Map([["plan", ["pro"]]]), browser: new Map(), latest: {} }),
    [{ key: "plan", noneOf: [] }],
  );
});

Deno.test("the explore folder imports nothing from the reference's src/, and the model imports nothing", async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const src = resolve(here, "../../src");
  for await (const entry of Deno.readDir(here)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(join(here, entry.name));
    const specifiers = [...text.matchAll(/\bfrom\s+"([^"]+)"|\bimport\s*\(?\s*"([^"]+)"/g)].map((m) => m[1] ?? m[2]!);
    for (const s of specifiers.filter((s) => s.startsWith("."))) {
      const inSrc = !relative(src, resolve(here, s)).startsWith("..");
      assert.equal(inSrc, false, `${entry.name} imports ${s}, inside src/`);
    }
    if (entry.name === "model.ts") assert.deepEqual(specifiers, [], "model.ts imports nothing");
  }
});
