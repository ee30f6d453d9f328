import assert from "node:assert/strict";
import { CHAT_TITLE_MAX, chatTitle } from "./conversation_title.ts";

Deno.test("chatTitle() keeps a short first message as it is", () => {
  assert.equal(chatTitle("Where is my invoice?"), "Where is my invoice?");
  assert.equal(chatTitle("x".repeat(CHAT_TITLE_MAX)), "x".repeat(CHAT_TITLE_MAX));
});

Deno.test("chatTitle() takes the first line with text, its spaces collapsed", () => {
  assert.equal(chatTitle("\n  \r\n  Hello   there\tagain \nsecond line"), "Hello there again");
  assert.equal(chatTitle(" \n\t "), null);
});

Deno.test("chatTitle() cuts a long message at a word, with an ellipsis, never past the limit", () => {
  const text = "I was charged twice for the March invoice and would like one of the payments refunded please";
  const title = chatTitle(text)!;
  assert.ok([...title].length <= CHAT_TITLE_MAX, title);
  assert.equal(title, "I was charged twice for the March invoice and would like…");
  assert.ok(text.startsWith(title.slice(0, -1)));
  assert.equal(chatTitle("a".repeat(CHAT_TITLE_MAX + 1)), `${"a".repeat(CHAT_TITLE_MAX - 1)}…`, "inside one word");
  assert.equal([...chatTitle("🙂".repeat(100))!].length, CHAT_TITLE_MAX, "counted in characters, not code units");
});
