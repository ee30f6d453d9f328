import assert from "node:assert/strict";
import { type Method, pathReader, type Route, Router } from "./router.ts";

Deno.test("a request's path reads as the URL parser reads it, before and after its origin is known", () => {
  const hrefs = [
    "http://127.0.0.1:8787/api/widget/visitor-token",
    "http://127.0.0.1:8787/api/widget/visitor-token?x=1",
    "http://127.0.0.1:8787/api/widget/conversations/cnv_1/messages?cursor=a#frag",
    "http://127.0.0.1:8787/",
    "http://127.0.0.1:8787//double//slashes",
    "http://127.0.0.1:8787/api/../openapi.json",
    "http://127.0.0.1:8787/api/%2e%2e/openapi.json",
    "http://127.0.0.1:8787/api/./widget",
    "http://127.0.0.1:8787/caf\u00e9",
    "http://127.0.0.1:8787/a b",
    "http://127.0.0.1:8787/a\\b",
    "http://127.0.0.1:8787/a%2Fb",
    "http://127.0.0.1:8787/a|b",
    "http://127.0.0.1:80/api/widget/visitor-token",
    "http://127.0.0.1/api/widget/visitor-token",
    "http://user@127.0.0.1:8787/api/widget/visitor-token",
    "http://EXAMPLE.com:8787/api/x",
    "http://example.com:8787/api/x",
    "http://127.0.0.1:8787?q",
    "http://127.0.0.1:8787/api/x?a=/../b",
  ];
  const requestPath = pathReader();
  // Twice: the first pass learns the origins, the second reads the paths after them.
  for (let pass = 0; pass < 2; pass++) {
    for (const href of hrefs) assert.equal(requestPath(href), new URL(href).pathname, href);
  }
});

Deno.test("a URL the parser refuses is refused whatever origin was seen before", () => {
  const requestPath = pathReader();
  assert.equal(requestPath("http://127.0.0.1:8787/api/x"), "/api/x");
  assert.throws(() => requestPath("http://127.0.0.1:99999/api/x"), TypeError);
  assert.throws(() => requestPath("http://127.0.0.1:8787x/api/x"), TypeError);
});

Deno.test("the routes a path shares between its requests cannot be changed by one of them", () => {
  const route = (method: Method, path: string): Route<{ none: undefined }> => ({
    method,
    path,
    operationId: `${method}${path}`,
    summary: "",
    tag: "",
    security: "none",
    responses: {},
    errors: [],
    handle: () => new Response(),
  });
  const router = new Router([route("GET", "/a"), route("POST", "/a"), route("GET", "/b/:id")]);
  for (const path of ["/a", "/b/1"]) {
    const found = router.candidates(path)!;
    assert.throws(() => (found.routes as Route<{ none: undefined }>[]).push(route("DELETE", path)), TypeError, path);
    assert.equal(router.candidates(path)!.routes.length, path === "/a" ? 2 : 1, path);
  }
  const shared = router.candidates("/a")!;
  assert.throws(() => Object.assign(shared, { routes: [] }), TypeError);
  assert.throws(() => Object.assign(shared.params, { id: "x" }), TypeError);
});
