import assert from "node:assert/strict";
import { sendRaw } from "./raw_http.ts";

/** A server on loopback that answers every connection with `answer`, written in the pieces given. */
function rawServer(answer: (conn: Deno.Conn) => Promise<void>): { origin: string; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      answer(conn).catch(() => {}).finally(() => {
        try {
          conn.close();
        } catch { /* closed by the client */ }
      });
    }
  })();
  return { origin: `http://127.0.0.1:${listener.addr.port}`, close: () => listener.close() };
}

const request = (origin: string) => ({
  method: "POST",
  origin,
  path: "/",
  headers: new Headers({ "content-type": "application/json" }),
  body: new TextEncoder().encode('{"a":1}'),
  stallAfter: 3,
  timeoutMs: 5_000,
});

Deno.test("sendRaw reads an answer whose head and body arrive split anywhere, by its Content-Length", async () => {
  const whole = new TextEncoder().encode(
    "HTTP/1.1 408 Request Timeout\r\nContent-Length: 5\r\nX-A: é\r\n\r\nhello, and more",
  );
  const server = rawServer(async (conn) => {
    await conn.read(new Uint8Array(1024));
    // Cuts inside the status line, inside a two-byte character, and inside the blank line that ends the head.
    const cuts = [0, 10, 55, 57, 58, whole.byteLength];
    for (let i = 1; i < cuts.length; i++) {
      await conn.write(whole.subarray(cuts[i - 1], cuts[i]));
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 200));
  });
  try {
    const answer = await sendRaw(request(server.origin));
    assert.equal(answer.status, 408);
    assert.equal(answer.headers.get("x-a"), "é");
    assert.equal(answer.text, "hello");
  } finally {
    server.close();
  }
});

Deno.test("sendRaw stops reading a target that sends without end: at most 1 MiB is kept", async () => {
  const server = rawServer(async (conn) => {
    await conn.read(new Uint8Array(1024));
    await conn.write(new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n"));
    const chunk = new Uint8Array(64 * 1024).fill(65);
    for (let i = 0; i < 64; i++) await conn.write(chunk); // 4 MiB, more than is read
  });
  try {
    const answer = await sendRaw(request(server.origin));
    assert.equal(answer.status, 200);
    assert.ok(answer.text.length > 0 && answer.text.length <= 1024 * 1024, `${answer.text.length} characters kept`);
  } finally {
    server.close();
  }
});

Deno.test("sendRaw runs whileStalled for a stalled body only: a body whose framing breaks moves no clock", async () => {
  const server = rawServer(async (conn) => {
    await conn.read(new Uint8Array(1024));
    await new Promise((r) => setTimeout(r, 400));
    await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
  });
  try {
    const stalledFor: string[] = [];
    const whileStalled = async (answered: Promise<unknown>) => {
      stalledFor.push("called");
      await answered.catch(() => {});
    };
    const broken = await sendRaw({ ...request(server.origin), brokenChunks: true, whileStalled });
    assert.equal(broken.status, 400);
    assert.deepEqual(stalledFor, [], "whileStalled ran for a body that never stalled");
    const stalled = await sendRaw({ ...request(server.origin), whileStalled });
    assert.equal(stalled.status, 400);
    assert.deepEqual(stalledFor, ["called"]);
  } finally {
    server.close();
  }
});
