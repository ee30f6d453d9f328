import assert from "node:assert/strict";
import { redactUrl } from "./database_url.ts";

Deno.test("redactUrl() hides a database URL's password and keeps the rest", () => {
  assert.equal(redactUrl("postgres://u:secret@h:5432/d?sslmode=require"), "postgres://u:***@h:5432/d?sslmode=require");
  assert.equal(redactUrl("postgres://u@h/d"), "postgres://u@h/d");
  assert.equal(redactUrl("not a url: secret"), "the database URL");
});
