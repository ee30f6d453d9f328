import assert from "node:assert/strict";
import { startServer } from "../src/server.ts";
import { TEST_SERVER_CONFIG } from "../src/test_utils.ts";
import { openApiContractProblem } from "./openapi_contract.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function servedDocument(): Promise<Json> {
  await using server = await startServer(TEST_SERVER_CONFIG);
  return await (await fetch(`${server.url}/openapi.json`)).json();
}

const MESSAGES = "/api/widget/conversations/{conversationId}/messages";
const LISTING = "/api/tenants/{tenantId}/conversations";

/** One way to break the document, by kind, each a bug the generation of the document could have. */
const BREAKAGES: [string, (d: Json) => void][] = [
  ["an endpoint left out", (d) => delete d.paths["/api/widget/session"].delete],
  ["a path parameter left out", (d) => d.paths[MESSAGES].get.parameters.shift()],
  ["a path parameter optional", (d) => d.paths[MESSAGES].get.parameters[0].required = false],
  ["a path parameter with no type", (d) => d.paths[MESSAGES].get.parameters[0].schema = {}],
  ["a query parameter left out", (d) => d.paths[LISTING].get.parameters.pop()],
  ["a query parameter's description lost", (d) => delete d.paths[LISTING].get.parameters.at(-1).description],
  ["a query parameter required", (d) => d.paths[LISTING].get.parameters.at(-1).required = true],
  ["empty parameters", (d) => d.paths["/api/widget/session"].get.parameters = []],
  ["a body optional", (d) => d.paths["/api/widget/sessions"].post.requestBody.required = false],
  ["a body of no schema", (d) => d.paths["/api/widget/sessions"].post.requestBody.content["application/json"] = {}],
  ["a body where the contract has none", (d) => {
    d.paths["/api/widget/session"].get.requestBody = d.paths["/api/widget/sessions"].post.requestBody;
  }],
  [
    "an error answered without its Problem",
    (d) => delete d.paths["/api/widget/sessions"].post.responses["400"].content,
  ],
  ["an error under another status", (d) => {
    d.paths["/api/widget/sessions"].post.responses["400"].description = "`auth_missing`: Authentication required";
  }],
  ["an error with no code", (d) => d.paths["/api/widget/sessions"].post.responses["413"].description = "Too large"],
  ["a schemeless security requirement", (d) => d.paths["/api/widget/session"].get.security = [{}]],
  ["a security requirement that is no object", (d) => d.paths["/healthz"].get.security = ["session"]],
  ["an undefined scheme", (d) => d.paths["/api/widget/session"].get.security = [{ cookie: [] }]],
  ["a document's media typed as text", (d) =>
    d.paths["/openapi.json"].get.responses["200"].content = {
      "application/json": { schema: { type: "string" } },
    }],
  ["a description cut short", (d) => {
    const op = d.paths["/api/widget/sessions"].post;
    op.description = op.description.slice(0, 20);
  }],
  ["a description missing its first sentence", (d) => {
    const op = d.paths["/api/widget/sessions"].post;
    op.description = op.description.slice(op.description.indexOf(" ") + 1);
  }],
  ["no info", (d) => delete d.info],
  ["another contract version", (d) => d.info.version = "0.0.1"],
  ["an info description without the implementation", (d) => d.info.description = "Errors are problems."],
  ["no servers", (d) => d.servers = []],
  ["a request schema read as answered", (d) => {
    d.components.schemas.CreateSessionRequest.required = Object.keys(
      d.components.schemas.CreateSessionRequest.properties,
    );
  }],
  ["a component that differs from the contract", (d) => delete d.components.schemas.Problem.required],
  ["any JSON value constrained", (d) => d.components.schemas.JsonValue.type = "object"],
  ["a referenced component left out", (d) => delete d.components.schemas.FieldError],
  ["a component nothing uses", (d) => d.components.schemas.Extra = { type: "string" }],
];

Deno.test("openApiContractProblem() passes the reference's document and finds each kind of breakage", async (t) => {
  const doc = await servedDocument();
  assert.equal(openApiContractProblem(doc), undefined);
  for (const [title, breakIt] of BREAKAGES) {
    await t.step(title, () => {
      const broken = structuredClone(doc);
      breakIt(broken);
      assert.notEqual(openApiContractProblem(broken), undefined);
    });
  }
});
