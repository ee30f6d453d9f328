import assert from "node:assert/strict";
import { ERRORS } from "../src/contract/errors.ts";
import type { Received } from "./expect.ts";
import { brokenText, idMismatch, labelMismatch, referenceChecks } from "./reference_checks.ts";

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

Deno.test("idMismatch() holds every id of an answer to its kind's prefix, wherever it sits", () => {
  const detail = {
    conversation: { id: "cnv_1", lastMessage: { id: "msg_00000002", conversationId: "cnv_1" } },
    messages: [{ id: "msg_00000001", conversationId: "cnv_1" }],
    visitor: { id: "vis_1", siteApiKey: "site_1" },
  };
  assert.equal(idMismatch(detail), undefined);
  assert.equal(idMismatch({ tokens: [{ id: "s2s_1" }], tokenInfo: { id: "s2s_2" }, s2sTokenId: "s2s_3" }), undefined);
  // An id of no known place, such as the root's, is any string.
  assert.equal(idMismatch({ id: "anything", externalUserId: "u", siteApiKey: "k" }), undefined);
  const lost: [unknown, string][] = [
    [{ conversation: { id: "_1" } }, "conversation.id"],
    [{ conversations: [{ id: "cnv_1" }, { id: "1" }] }, "conversations[1].id"],
    [{ messages: [{ id: "1", conversationId: "cnv_1" }] }, "messages[0].id"],
    [{ conversation: { lastMessage: { id: "00000001" } } }, "conversation.lastMessage.id"],
    [{ visitorId: "1" }, "visitorId"],
    [{ visitor: { id: "1" } }, "visitor.id"],
    [{ revoked: [], current: { id: "s2s_1" }, tokenInfo: { id: "_1" } }, "tokenInfo.id"],
    [{ tokens: [{ id: "1" }] }, "tokens[0].id"],
    [{ revoked: [{ id: "s2s_1" }, { id: "1" }], current: { id: "s2s_2" } }, "revoked[1].id"],
    [{ revoked: [], current: { id: "1" } }, "current.id"],
    [{ conversationId: "1" }, "conversationId"],
  ];
  for (const [body, at] of lost) assert.match(idMismatch(body) ?? "", new RegExp(`"${at.replace(/[[\].]/g, "\\$&")}"`));
});

Deno.test("referenceChecks() holds a detail to naming the first three fields of its errors and counting the rest", () => {
  const paths = ["__proto__", "metadata.__proto__", "metadata.plan.__proto__", "workspace.__proto__"];
  const answer = (detail: string): Received => ({
    status: 400,
    headers: new Headers({ "content-type": "application/problem+json", "x-request-id": "r1" }),
    text: "",
    json: {
      type: "urn:setchat:error:invalid_request",
      code: "invalid_request",
      title: ERRORS.invalid_request.title,
      status: 400,
      fix: ERRORS.invalid_request.fix,
      instance: "urn:setchat:request:r1",
      detail,
      errors: paths.map((path) => ({ path, code: "forbidden_key", message: "is refused" })),
    },
    sentAt: 0,
    receivedAt: 0,
  });
  const verdict = (detail: string) =>
    referenceChecks("POST", "/api/widget/visitor-token", answer(detail), null).find((o) =>
      o.check === "problem as the catalogue gives it"
    );
  const named = paths.slice(0, 3).map((p) => `"${p}"`).join(", ");
  assert.equal(verdict(`Cannot accept the body: ${named} (and 1 more) use the key`)?.ok, true);
  assert.equal(verdict(`Cannot accept the body: ${named} use the key`)?.ok, false, "the rest is not counted");
  const all = paths.map((p) => `"${p}"`).join(", ");
  assert.equal(verdict(`Cannot accept the body: ${all} (and 1 more) use the key`)?.ok, false, "the fourth is named");
});
